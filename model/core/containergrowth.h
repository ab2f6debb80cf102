#pragma once

#include "core/growth.h"
#include "core/session.h"

#include <QString>

#include <vector>

namespace leakscope {

// One container followed across the snapshots of a session: the same
// (object id, type) in the same process with an unbroken history
// (docs/file-format.md: an id that reappears with a different type, or whose
// previous_items is not what the earlier snapshot recorded, is a new
// container).
struct ContainerRow
{
    qint64 objectId = 0;
    int type = -1;                 // session TypeRegistry id
    bool value = false;            // a large str/bytes/bytearray a module global holds
    qint64 pid = 0;
    QString heldBy;                // the latest holder named; empty = not named
    QString holderKind;
    QString name;                  // short name: "_REQUEST_LOG", "Session.history", "list 0x7f..."
    int first = -1;                // session index of its first and last recording
    int last = -1;
    std::vector<qint64> items;     // per session snapshot [0, current]; -1 = not recorded
    std::vector<qint64> payload;   // per snapshot; -1 = not recorded or not measured
    bool payloadEstimated = false;
    qint64 itemsNow = -1;          // at current (-1: not recorded there)
    qint64 itemsBaseline = -1;     // at baseline
    qint64 payloadNow = -1;
    qint64 payloadBaseline = -1;
    qint64 deltaItems = 0;         // now - baseline (0 when either is unknown)
    qint64 deltaPayload = 0;
    SuspectVerdict itemsVerdict;
    SuspectVerdict payloadVerdict;
    bool suspect = false;
    double score = 0.0;
    QString reason;                // "_REQUEST_LOG (list) grew in 9 of 9 intervals, +30 items and +61.0 KiB per snapshot"
};

struct ContainerComparison
{
    int baseline = 0;
    int current = 0;
    // Some snapshot of the session had a container pass; false: every file
    // predates the container tables (or was not written by the agent).
    bool anyContainerPass = false;
    std::vector<ContainerRow> rows; // suspects first, then by Δ items
};

// RSS that Python objects do not explain (issue 14 "Memory outside Python objects").
struct RssCheck
{
    bool unexplained = false;
    qint64 rssGrowth = 0;       // last - first over the snapshots judged
    qint64 explainedGrowth = 0; // census bytes + container payloads, last - first
    int snapshots = 0;
    QString message;            // set when unexplained
};

class ContainerAnalysis
{
public:
    // Containers recorded at baseline or current, with verdicts over [0, current].
    static ContainerComparison compare(const Session &session, int baseline, int current);
    // The short name used in reasons and tables.
    static QString shortName(const QString &heldBy, const QString &holderKind, const QString &typeName,
                             qint64 objectId);
    // Steady RSS growth over [0, current] that census bytes and container
    // payloads leave mostly unexplained.
    static RssCheck checkRss(const Session &session, int current);
    // Sum of the measured payloads of a snapshot's containers.
    static qint64 payloadTotal(const Snapshot &snapshot);
};

} // namespace leakscope
