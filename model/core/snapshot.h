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
    // The agent's container pass ran for this snapshot (meta_json has
    // "containers"; docs/file-format.md "Optional tables"): its containers
    // are known, even when none was large enough to be recorded.
    bool hasContainerPass = false;
    // tracemalloc traced the process (meta_json has "tracemalloc"): the
    // snapshot has allocation statistics.
    bool traced = false;
    // false when the interpreter gives no object tracebacks for instances of
    // ordinary classes (CPython 3.11): show the line statistics instead.
    bool objectTracebacks = true;
    // Which passes the agent ran (meta_json census_impl/graph_impl, issue 17):
    // "native", "python", or empty when the file does not say.
    QString censusImpl;
    QString graphImpl;
    // How many types the snapshot lists and their summed counts, set by
    // SnapshotReader (.lsnap files); with SnapshotReader::Content::Totals
    // the only per-type figures (stats stay empty). -1 when not set.
    qint64 listedTypes = -1;
    qint64 listedObjects = -1;
};

// One row of the container table: a large container (or a large str/bytes
// value a module global holds) and what its items hold.
struct ContainerStat
{
    qint64 objectId = 0;        // id() in the recorded process (signed)
    int type = -1;              // id in the TypeRegistry the snapshot belongs to
    bool value = false;         // kind 'value': a str/bytes/bytearray, not a container
    qint64 items = 0;           // length (base type's own __len__)
    qint64 size = 0;            // shallow size, bytes
    qint64 payloadBytes = -1;   // summed sizes of atom items; -1 = not measured
    bool payloadEstimated = false;
    qint64 previousItems = -1;  // items at the agent's previous snapshot; -1 = not recorded then
    QString heldBy;             // "myservice.handlers._REQUEST_LOG"; empty = not named
    QString holderKind;         // "module_global", "instance_attribute", ...
    QString holderType;         // instance_attribute: the holding instance's type
};

// tracemalloc data of one snapshot (alloc_frame, alloc_traceback, alloc_stat,
// object_traceback).
struct AllocFrame
{
    QString filename;
    int lineno = 0;             // 0 = unknown
    QString function;           // empty = not known
};

struct AllocStat
{
    int traceback = -1;         // index into AllocationData::tracebacks
    qint64 size = 0;            // bytes currently allocated from it
    qint64 count = 0;           // blocks
};

struct ObjectTraceback
{
    bool container = false;     // subject is a container's object id, else a type name
    QString subject;
    int rank = 0;               // 0 = newest
    qint64 objectId = 0;
    int objectType = -1;        // TypeRegistry id
    int traceback = -1;         // -1 = the interpreter gave none
};

struct AllocationData
{
    std::vector<AllocFrame> frames;
    std::vector<std::vector<int>> tracebacks; // frame indices, depth 0 (allocating line) first
    std::vector<AllocStat> stats;             // rank order, largest first
    std::vector<ObjectTraceback> objects;
};

// One census: metadata plus per-type counts, sorted by type id, unique ids.
struct Snapshot
{
    SnapshotInfo info;
    std::vector<TypeStat> stats;
    std::vector<ContainerStat> containers; // empty unless info.hasContainerPass
    std::shared_ptr<const AllocationData> allocations; // null unless info.traced

    qint64 totalObjects() const;
    qint64 totalSize() const;
};

using SnapshotPtr = std::shared_ptr<const Snapshot>;

} // namespace leakscope
