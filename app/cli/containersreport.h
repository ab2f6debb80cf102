#pragma once

#include "core/containergrowth.h"
#include "core/session.h"

#include <QJsonArray>
#include <QRegularExpression>
#include <QString>

namespace leakscope {

// The containers part of `leakscope-cli compare` (issue 14): the
// growing-containers section after the types, the "containers" array of
// --json, what --fail-on-suspect and --fail-on-growth find among them, and
// the note on memory outside Python objects.
class JsonWriter;

class ContainersReport
{
public:
    explicit ContainersReport(const Session &session, int baseline, int current);

    const ContainerComparison &comparison() const { return m_comparison; }
    // Text after the types table; empty when no snapshot has a container pass
    // and RSS is explained.
    QString text(int top, bool all) const;
    // [{id, type, held_by, counts, payload_bytes, suspect, reason}], one per
    // container recorded at the baseline or the last snapshot.
    QJsonArray json() const;
    // Adds "containers" (and "memory_outside_python" when RSS is not
    // explained) to the comparison JSON object `json` (its closing brace).
    void addToJson(QByteArray &json) const;
    // The same two members, written into the comparison's streamed object.
    void writeJsonMembers(JsonWriter &w) const;
    // A suspect container whose name, holder or type matches `pattern` (all
    // when it is empty); its description, or empty.
    QString suspectMatching(const QRegularExpression *pattern) const;
    // The container that grew most, by at least `threshold` items from the
    // baseline (holder or type matching `filter` when given): a message, or
    // empty.
    QString growthAtLeast(qint64 threshold, const QRegularExpression *filter) const;

private:
    const Session &m_session;
    ContainerComparison m_comparison;
    RssCheck m_rss;
};

} // namespace leakscope
