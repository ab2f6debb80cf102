#pragma once

#include "core/expected.h"
#include "core/heapgrapharrays.h"
#include "core/taskcontrol.h"

#include <QString>

namespace leakscope {

// Heap graphs inside .lsnap files (docs/file-format.md, "Heap graphs"):
// loads the graph of one snapshot, trusting nothing in the file, and writes
// one, creating or extending the graph tables and raising the file to format
// version 3 in the same transaction. SQLite and zlib stay inside the .cpp.
class HeapGraphStore
{
public:
    enum class Compression {
        None, // BLOBs hold the packed arrays as they are
        Zlib, // each BLOB is one zlib stream (RFC 1950)
    };

    // The arrays of the graph of snapshot `snapshotId` (the id column of the
    // snapshot table, not an index). Every BLOB length is checked against
    // node_count / edge_count before and after decompression (decompression
    // stops at that length, so a zip bomb costs no more memory than an honest
    // graph of the claimed size), type ids are mapped from the file's type
    // table to HeapGraphArrays::typeNames (all types of the file, by id), and
    // label string ids must be dense. Offsets, targets and ids are checked by
    // HeapGraph::fromArrays (HeapGraph::read(HeapGraphStore::readArrays, ...)
    // does both). Edge targets stored as object ids (version 3,
    // target_encoding 'id') are resolved to node indices here; an id that is
    // no node's, or ids that repeat, fail the load.
    // Errors read "<file>, snapshot <id>: heap graph: ...".
    static Expected<HeapGraphArrays> readArrays(const QString &path, qint64 snapshotId,
                                                const TaskControl &control = {});
    // Stores a graph for an existing snapshot of an existing .lsnap file that
    // has none yet, in one transaction: missing type names are added to the
    // type table, label strings are de-duplicated, shallow sizes of 4 GiB or
    // more are stored as 0xFFFFFFFF, edge targets as node indices
    // (target_encoding 'index'). A file below version 3 gets the graph tables
    // (version 1) or their target_encoding column (version 2) and
    // user_version 3 in the same transaction, so a crash leaves either the
    // old file or the new one. The arrays are checked (lengths, offsets,
    // targets, type and label indices) before anything is written.
    static Status write(const QString &path, qint64 snapshotId, const HeapGraphArrays &arrays,
                        Compression compression = Compression::Zlib);
};

} // namespace leakscope
