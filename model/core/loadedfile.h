#pragma once

#include "core/snapshot.h"
#include "core/typeregistry.h"

#include <QJsonObject>
#include <QString>

#include <vector>

namespace leakscope {

// Which reader understood a file.
enum class FileFormat {
    Lsnap,
    ObjgraphTypestats,
    ObjgraphGrowthLog,
};

QString fileFormatName(FileFormat format); // "lsnap", "objgraph-typestats", "objgraph-growth-log"

// The content of one file, with its own TypeRegistry so files can be read on
// worker threads and merged into a Session afterwards.
struct LoadedFile
{
    QString path;
    FileFormat format = FileFormat::Lsnap;
    int formatVersion = 0;   // user_version for .lsnap, 0 for objgraph files
    QJsonObject fileMeta;    // the meta table for .lsnap
    // The file has the optional container/alloc_* tables (issue 14); a file
    // without them predates them.
    bool hasContainerTables = false;
    TypeRegistry types;
    std::vector<Snapshot> snapshots; // in file order
};

} // namespace leakscope
