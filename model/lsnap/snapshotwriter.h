#pragma once

#include "core/expected.h"
#include "core/snapshot.h"
#include "core/typeregistry.h"

#include <QString>

#include <functional>
#include <memory>

namespace leakscope {

// Appends snapshots to a .lsnap file (creating it with the current schema),
// one transaction per snapshot, in the same format the agent writes. Used by
// import, Save Session As and the live autosave.
class SnapshotWriter
{
public:
    SnapshotWriter();
    ~SnapshotWriter();
    SnapshotWriter(const SnapshotWriter &) = delete;
    SnapshotWriter &operator=(const SnapshotWriter &) = delete;

    Status open(const QString &path); // creates or opens for append; refuses foreign/newer files
    // Writes one snapshot; type ids in snapshot.stats refer to types.
    Expected<qint64> append(const Snapshot &snapshot, const TypeRegistry &types);
    void close();
    QString path() const;

    // Writes the snapshots to a new file atomically (temporary file + rename),
    // so a failure never leaves half a file behind. `finish`, when given, runs
    // on the complete temporary file before the rename with the id each
    // snapshot got there (-1 for null entries), e.g. to copy heap graphs; a
    // failure it returns discards the file.
    using Finish = std::function<Status(const QString &temporaryPath, const std::vector<qint64> &ids)>;
    static Status writeFile(const QString &path, const std::vector<const Snapshot *> &snapshots,
                            const TypeRegistry &types, const Finish &finish = {});

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace leakscope
