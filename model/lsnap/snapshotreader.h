#pragma once

#include "core/expected.h"
#include "core/loadedfile.h"

#include <QString>

#include <atomic>
#include <functional>

namespace leakscope {

// Reads .lsnap files and objgraph outputs (detected by content) and trusts
// nothing: every failure is an error naming the file and the reason (missing,
// empty, not SQLite, not a Leakscope file, truncated or malformed, written by a
// newer version). Safe to run on a worker thread.
class SnapshotReader
{
public:
    // progress(done, total) is called now and then; cancel, when set, aborts
    // with the error "<file>: cancelled".
    using Progress = std::function<void(qint64 done, qint64 total)>;

    // What a .lsnap read keeps (objgraph files are always read whole).
    struct Content
    {
        // Every snapshot's per-type rows in Snapshot::stats. Without them
        // the rows are read and checked the same way but only summed into
        // SnapshotInfo::listedTypes/listedObjects (stats stay empty), so
        // memory does not grow with them (`info`).
        bool typeRows = true;
        // The whole meta_json object in SnapshotInfo::meta. argv, the Python
        // version, origin, has_sizes and partial are taken from it either
        // way; `compare` without --by-test prints nothing else of it.
        bool meta = true;
    };

    static Expected<LoadedFile> read(const QString &path, const Progress &progress = {},
                                     const std::atomic_bool *cancel = nullptr);
    static Expected<LoadedFile> read(const QString &path, const Progress &progress, const std::atomic_bool *cancel,
                                     Content content);
};

} // namespace leakscope
