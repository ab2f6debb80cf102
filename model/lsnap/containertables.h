#pragma once

#include "core/loadedfile.h"

#include <QString>

#include <functional>

namespace leakscope {

class SqliteDatabase;

// Reads the optional tables of issue 14 (container, alloc_frame,
// alloc_traceback, alloc_stat, object_traceback; docs/file-format.md
// "Optional tables") into the snapshots of `file`, which readSnapshots() has
// filled. A file without the container table reads as before and
// file.hasContainerTables stays false. Every value is checked like the rest of
// the file: a wrong type, a negative or impossible size, a frame or traceback
// id that does not resolve, or more rows than the agent ever writes makes the
// file malformed (the reason goes to *error); rows of an unknown kind are
// skipped.
class ContainerTables
{
public:
    // Limits per snapshot, well above what the agent writes.
    static constexpr qint64 MaxContainers = 200000;
    static constexpr qint64 MaxFrames = 200000;
    static constexpr qint64 MaxTracebackRows = 2000000;
    static constexpr qint64 MaxDepth = 1000;
    static constexpr qint64 MaxStats = 20000;
    static constexpr qint64 MaxObjectTracebacks = 100000;
    static constexpr int MaxText = 4096; // characters kept of a name or file name

    static bool read(SqliteDatabase &db, LoadedFile &file, const std::function<int(qint64)> &typeIndex,
                     QString *error);
    // The five tables (CREATE TABLE IF NOT EXISTS), as the agent creates
    // them (no meta key: readers look for the container table).
    static const char *schemaSql();
    // Writes a snapshot's containers and allocation data (inside the
    // caller's transaction); typeId gives the file's id of a type name (-1 on
    // error). False with *error set on failure.
    static bool write(SqliteDatabase &db, qint64 snapshotId, const Snapshot &snapshot, const TypeRegistry &types,
                      const std::function<qint64(const QString &)> &typeId, QString *error);
};

} // namespace leakscope
