#pragma once

#include <QDateTime>
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <memory>
#include <vector>

namespace leakscope {

// Count and total shallow size of the live objects of one type.
struct TypeStat
{
    int type = -1;   // id in the TypeRegistry the snapshot belongs to
    qint64 count = 0;
    qint64 size = 0; // bytes; 0 when the source has no sizes
};

// Where a snapshot came from.
enum class SnapshotOrigin {
    Agent,             // .lsnap written by the agent or by Leakscope
    ObjgraphTypestats, // JSON dump of objgraph.typestats()
    ObjgraphGrowthLog, // text log of objgraph.show_growth() calls
    Live,              // taken through the live feed
};

// Everything about a snapshot except the per-type numbers.
struct SnapshotInfo
{
    qint64 id = 0;         // id inside its source file (1-based for .lsnap)
    QString label;
    QDateTime takenAt;     // UTC; invalid when the source has no times
    qint64 pid = 0;        // 0 when unknown
    qint64 rss = -1;       // bytes; -1 when unknown
    qint64 gcObjects = -1; // len(gc.get_objects()) at census time
    qint64 gcGarbage = -1; // len(gc.garbage)
    QString pythonVersion;
    QStringList argv;
    QJsonObject meta;      // the full metadata object as stored
    QString sourceFile;    // path of the file it was read from
    SnapshotOrigin origin = SnapshotOrigin::Agent;
    bool hasSizes = true;  // false for objgraph imports
    // objgraph show_growth logs list only the types above their peak; the
    // importer carries the last known count forward for the others.
    bool partial = false;
    // The .lsnap file holds a heap graph for this snapshot (format version 2;
    // load it with HeapGraphStore).
    bool hasGraph = false;
    // How many types the snapshot lists and their summed counts, set by
    // SnapshotReader (.lsnap files); with SnapshotReader::Content::Totals
    // the only per-type figures (stats stay empty). -1 when not set.
    qint64 listedTypes = -1;
    qint64 listedObjects = -1;
};

// One census: metadata plus per-type counts, sorted by type id, unique ids.
struct Snapshot
{
    SnapshotInfo info;
    std::vector<TypeStat> stats;

    qint64 totalObjects() const;
    qint64 totalSize() const;
};

using SnapshotPtr = std::shared_ptr<const Snapshot>;

} // namespace leakscope
