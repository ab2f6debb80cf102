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

    static Expected<LoadedFile> read(const QString &path, const Progress &progress = {},
                                     const std::atomic_bool *cancel = nullptr);
};

} // namespace leakscope
