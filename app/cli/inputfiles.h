#pragma once

#include "core/expected.h"
#include "core/loadedfile.h"
#include "core/session.h"

#include <QStringList>

#include <vector>

namespace leakscope {

// Reads every input file of a command (stopping at the first failure, whose
// error names the file) and merges them into one Session.
class InputFiles
{
public:
    // totalsOnly: neither per-type rows nor meta_json objects, only what
    // `info` prints (SnapshotReader::Content).
    static Expected<std::vector<LoadedFile>> readAll(const QStringList &paths, bool totalsOnly = false);
    // The files merged in time order, each dropped once merged; fails when a
    // file holds no snapshot.
    // keepMeta: SnapshotReader::Content::meta (compare needs it for --by-test only).
    static Expected<Session> readSession(const QStringList &paths, bool keepMeta = true);
};

} // namespace leakscope
