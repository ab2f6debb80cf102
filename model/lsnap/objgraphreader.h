#pragma once

#include "core/expected.h"
#include "core/loadedfile.h"

#include <QByteArray>
#include <QDateTime>
#include <QString>

#include <atomic>
#include <functional>

namespace leakscope {

// Imports the two text outputs of objgraph: a JSON dump of typestats() and a
// log of show_growth() calls. SnapshotReader picks the format by content and
// calls these; they take the whole file content.
class ObjgraphReader
{
public:
    using Progress = std::function<void(qint64 done, qint64 total)>;

    // True when the text (after whitespace and a UTF-8 BOM) starts with '{'.
    static bool looksLikeJsonObject(const QByteArray &text);

    // {"dict": 1234, "function": 567, ...}: one snapshot. Fails (with the
    // path) when it is not a JSON object of non-negative integers.
    static Expected<LoadedFile> parseTypestats(const QByteArray &text, const QString &path,
                                               const QDateTime &fileModified = QDateTime());

    // show_growth() output mixed with any other text: one snapshot per call,
    // types not listed in a call keep their last printed count (partial
    // snapshots). Returns a file with no snapshots when no line parses, and
    // fails only when cancelled.
    static Expected<LoadedFile> parseGrowthLog(const QByteArray &text, const QString &path,
                                               const Progress &progress = {},
                                               const std::atomic_bool *cancel = nullptr);

    // One show_growth line, '%-*s%9d %+9d' % (width, name, count, delta).
    struct GrowthLine
    {
        QByteArray name;
        qint64 count = 0;
        qint64 delta = 0;
        int countEnd = 0; // offset just past the count column; equal within one call
    };
    static bool parseGrowthLine(const QByteArray &line, GrowthLine *out);
};

} // namespace leakscope
