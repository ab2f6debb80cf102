#include "lsnap/heapgraphstore.h"

#include "core/checkedint.h"
#include "core/packedarray.h"
#include "core/textutil.h"
#include "lsnap/heapgraphblob.h"
#include "lsnap/heapgraphstore_p.h"
#include "lsnap/lsnapformat.h"
#include "lsnap/sqlitedatabase.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QLoggingCategory>
#include <QRandomGenerator>

#include <unistd.h>

#include <algorithm>
#include <limits>
#include <utility>

namespace leakscope {

Q_LOGGING_CATEGORY(lcGraphStore, "leakscope.model.graphstore", QtInfoMsg)

namespace {

using namespace HeapGraphFile;
using HeapGraphBlob::inflateCapped;

// Object ids are unique 8-byte values: zlib gets at most about 7.5:1 from
// them (addresses in arithmetic progression, the best case, measured for
// strides 1 to 64; real heaps 3 to 6:1). A node_count that needs more than
// 32:1 from the stored ids is a lie, found before anything is decompressed:
// it bounds the nodes, and with them every node array, by the file's size
// (about 4 nodes per stored byte of ids).
constexpr qint64 s_maxIdsRatio = 32;
// What a loaded graph costs in memory per node and per edge (the arrays
// read here, and HeapGraph's in-edges), to refuse up front a graph that could
// never fit: edges of one node to one target compress about 1000:1, so the
// edge count of an honest file is not bounded by its size.
// All the arrays of one graph (the graph row's and its labels) together: the
// agent's graph of bench/graph_bench.py's heap compresses 7.4:1, 15:1 with a
// list holding one object a million times added, so counts implying more
// than 64:1 from the stored bytes are refused before anything is
// decompressed. An edge blob alone may compress 1000:1 (that list's part),
// so graphs whose arrays total at most 256 MiB are not held to the ratio:
// they load in a few seconds whatever their file size. Before this, a 3 MB file declaring 300M
// edges took 3.5 GB and a minute to refuse.
constexpr qint64 s_maxGraphRatio = 64;
constexpr qint64 s_ratioFreeBytes = qint64(256) * 1024 * 1024;
constexpr qint64 s_bytesPerNode = 33;
constexpr qint64 s_bytesPerEdge = 12;

qint64 physicalMemory()
{
    const long pages = sysconf(_SC_PHYS_PAGES);
    const long pageSize = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && pageSize > 0 ? qint64(pages) * qint64(pageSize) : 0;
}

// Reads the header like SnapshotReader and opens the file read-only, or says
// why not (without the file name).
QString openForReading(SqliteDatabase &db, const QString &path)
{
    const QFileInfo info(path);
    if (!info.exists())
        return tr("no such file");
    if (!info.isFile())
        return tr("not a regular file");
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return file.error() == QFileDevice::PermissionsError ? tr("permission denied")
                                                              : tr("cannot open (%1)").arg(file.errorString());
    const QByteArray head = file.read(LsnapFormat::SqliteHeaderSize);
    file.close();
    if (!LsnapFormat::isSqlite(head))
        return tr("not a Leakscope file (not a SQLite database)");
    if (head.size() < LsnapFormat::SqliteHeaderSize)
        return tr("truncated or corrupt (shorter than a SQLite header)");
    const LsnapFormat::Header header = LsnapFormat::parseHeader(head);
    // With a -wal file beside it, page 1 may be newer there; the pragmas
    // read through SQLite decide then.
    const bool walExists = QFileInfo(path + QStringLiteral("-wal")).size() > 0;
    if (!walExists) {
        const QString refusal = LsnapFormat::refusalReason(header);
        if (!refusal.isEmpty())
            return refusal;
    }
    const auto mode = header.wal && !walExists ? SqliteDatabase::ReadOnlyImmutable : SqliteDatabase::ReadOnly;
    // A hot journal is rolled back in a private copy, never in the user's file.
    if (!db.openForReading(path, mode))
        return db.errorClass() == SqliteDatabase::HotJournal
            ? tr("interrupted write: run `leakscope-cli repair %1`").arg(path)
            : tr("cannot be read (%1)").arg(TextUtil::oneLine(db.errorMessage()));
    db.setBusyTimeout(5000);
    bool schemaOk = false;
    const QString unsafe = LsnapFormat::unsafeSchemaReason(db, &schemaOk);
    if (!schemaOk)
        return db.errorClass() == SqliteDatabase::HotJournal
            ? tr("interrupted write: run `leakscope-cli repair %1`").arg(path)
            : tr("truncated or corrupt (%1)").arg(TextUtil::oneLine(db.errorMessage()));
    return unsafe;
}

// Object id -> node index, for edge targets stored as ids (target_encoding
// 'id'). Open addressing with linear probing at a load of at most 1/2; a slot
// holds only the node index (the id is compared in the ids array), which
// keeps the table at 8 MB for 1M nodes: 20-50 ms to build it and resolve
// 1.3M targets (bench_graphio), where sorted (id, node) pairs and binary
// searches took 3 to 8 times as long in a trial, and 16-byte (id, node)
// slots about 1.5 times.
// Ids are addresses (multiples of 16, clustered in arenas), so the slot comes
// from the high bits of a multiplicative hash rather than from the id itself;
// the multiplier is random per load (multiply-shift hashing), so a crafted
// file cannot pile its ids into one probe run and stall the load.
class IdToNode
{
public:
    static constexpr quint32 NoNode = std::numeric_limits<quint32>::max();

    explicit IdToNode(const std::vector<quint64> &ids) : m_ids(ids) {}

    // Returns an error (without the "heap graph: " prefix) or an empty string.
    QString build(const TaskControl &control)
    {
        int bits = 4;
        while ((size_t(1) << bits) < m_ids.size() * 2)
            ++bits;
        m_shift = 64 - bits;
        m_mask = (size_t(1) << bits) - 1;
        m_multiplier = QRandomGenerator::global()->generate64() | 1;
        m_slots.assign(m_mask + 1, NoNode);
        const size_t n = m_ids.size();
        for (size_t i = 0; i < n; ++i) {
            if ((i & 0xFFFF) == 0 && control.cancelled())
                return tr("loading cancelled");
            // The inserts miss the cache one after another; asking for the
            // slot a few nodes ahead overlaps those misses.
            if (i + s_ahead < n)
                prefetch(&m_slots[slotOf(m_ids[i + s_ahead])]);
            const quint64 id = m_ids[i];
            size_t s = slotOf(id);
            while (m_slots[s] != NoNode) {
                if (m_ids[m_slots[s]] == id)
                    return tr("object id %1 appears twice (nodes %2 and %3)")
                        .arg(num(id), num(quint64(m_slots[s])), num(quint64(i)));
                s = (s + 1) & m_mask;
            }
            m_slots[s] = quint32(i);
        }
        return QString();
    }

    quint32 find(quint64 id) const
    {
        for (size_t s = slotOf(id);; s = (s + 1) & m_mask) {
            const quint32 node = m_slots[s];
            if (node == NoNode || m_ids[node] == id)
                return node;
        }
    }

    void prefetchFor(quint64 id) const { prefetch(&m_slots[slotOf(id)]); }

    static constexpr size_t s_ahead = 16;

private:
    static void prefetch(const void *p)
    {
#if defined(__GNUC__) || defined(__clang__)
        __builtin_prefetch(p);
#else
        Q_UNUSED(p);
#endif
    }
    size_t slotOf(quint64 id) const { return size_t((id * m_multiplier) >> m_shift); }

    const std::vector<quint64> &m_ids;
    std::vector<quint32> m_slots;
    quint64 m_multiplier = 1;
    size_t m_mask = 0;
    int m_shift = 63;
};

// Loads one graph; every method returns false after setting m_error (the
// part after "heap graph: ") or m_fileError (about the file as a whole).
class GraphLoader
{
public:
    GraphLoader(const QString &path, qint64 snapshotId, const TaskControl &control)
        : m_path(path), m_snapshotId(snapshotId), m_control(control)
    {
    }

    Expected<HeapGraphArrays> load();

private:
    bool sqliteFailed(const QString &what);
    bool openAndCheck();
    bool readGraphRow();
    bool readBlob(SqliteStatement &stmt, int column, const char *name, qint64 minBytes, qint64 maxBytes,
                  QByteArray *out);
    bool resolveTargets(const std::vector<quint64> &targetIds);
    bool readTypes();
    bool readLabels();
    bool readStrings();

    QString m_path;
    qint64 m_snapshotId;
    const TaskControl &m_control;
    SqliteDatabase m_db;
    QString m_error;
    QString m_fileError;
    Tables m_tables;
    qint32 m_version = 0;
    bool m_zlib = false;
    bool m_targetIds = false; // target_encoding 'id'
    quint64 m_n = 0;
    quint64 m_m = 0;
    HeapGraphArrays m_arrays;
    int m_step = 0;
};

bool GraphLoader::sqliteFailed(const QString &what)
{
    if (m_db.errorClass() == SqliteDatabase::Interrupted || m_control.cancelled())
        m_error = tr("loading cancelled");
    else
        m_error = tr("%1 failed (%2)").arg(what, TextUtil::oneLine(m_db.errorMessage()));
    return false;
}

bool GraphLoader::openAndCheck()
{
    m_fileError = openForReading(m_db, m_path);
    if (!m_fileError.isEmpty())
        return false;
    if (m_control.cancel)
        m_db.setInterruptCheck([control = &m_control] { return control->cancelled(); });
    // One read transaction: a writer appending meanwhile (the agent) cannot
    // commit between the graph row, its labels and its strings.
    if (!m_db.exec("BEGIN")) {
        m_fileError = tr("cannot be read (%1)").arg(TextUtil::oneLine(m_db.errorMessage()));
        return false;
    }
    bool ok = false;
    LsnapFormat::Header header;
    header.applicationId = quint32(pragmaValue(m_db, "PRAGMA application_id", &ok));
    if (ok)
        header.userVersion = qint32(pragmaValue(m_db, "PRAGMA user_version", &ok));
    if (!ok) {
        m_fileError = tr("truncated or corrupt (%1)").arg(TextUtil::oneLine(m_db.errorMessage()));
        return false;
    }
    m_fileError = LsnapFormat::refusalReason(header);
    if (!m_fileError.isEmpty())
        return false;
    m_version = header.userVersion;
    if (!readTables(m_db, &m_tables)) {
        m_fileError = tr("truncated or corrupt (%1)").arg(TextUtil::oneLine(m_db.errorMessage()));
        return false;
    }
    if (!m_tables.snapshot) {
        m_fileError = tr("not a Leakscope file (no snapshot table)");
        return false;
    }
    if (header.userVersion < LsnapFormat::GraphVersion || !m_tables.graph) {
        m_fileError = tr("has no heap graphs (format version %1; record with --graph or "
                         "leakscope_agent.snapshot(path, graph=True))")
                          .arg(header.userVersion);
        return false;
    }
    if (!m_tables.type) {
        m_fileError = tr("malformed (no type table)");
        return false;
    }
    return true;
}

bool GraphLoader::readBlob(SqliteStatement &stmt, int column, const char *name, qint64 minBytes, qint64 maxBytes,
                           QByteArray *out)
{
    if (m_control.cancelled()) {
        m_error = tr("loading cancelled");
        return false;
    }
    if (stmt.columnType(column) != SqliteStatement::Blob) {
        m_error = tr("array %1 is not a BLOB").arg(QLatin1String(name));
        return false;
    }
    QByteArray stored = stmt.blob(column);
    if (!m_zlib) {
        *out = std::move(stored);
    } else {
        const QString error = inflateCapped(stored, minBytes, maxBytes, out, m_control);
        if (!error.isEmpty()) {
            m_error = m_control.cancelled() ? tr("loading cancelled") : tr("array %1: %2").arg(QLatin1String(name), error);
            return false;
        }
    }
    m_control.report("reading graph", ++m_step, 8);
    return true;
}

bool GraphLoader::readGraphRow()
{
    // Version 2 graph tables have no target_encoding column: all their rows
    // hold node indices.
    SqliteStatement stmt = m_db.prepare(
        m_version >= LsnapFormat::TargetIdsVersion
            ? "SELECT node_count, edge_count, compression, length(ids), length(types), length(sizes), "
              "length(flags), length(edge_offsets), length(edge_targets), target_encoding "
              "FROM graph WHERE snapshot = ?1"
            : "SELECT node_count, edge_count, compression, length(ids), length(types), length(sizes), "
              "length(flags), length(edge_offsets), length(edge_targets), 'index' "
              "FROM graph WHERE snapshot = ?1");
    if (!stmt.isValid())
        return sqliteFailed(tr("reading the graph table"));
    stmt.bindInt64(1, m_snapshotId);
    const SqliteStatement::StepResult step = stmt.step();
    if (step == SqliteStatement::Error)
        return sqliteFailed(tr("reading the graph table"));
    if (step == SqliteStatement::Done) {
        SqliteStatement snapshot = m_db.prepare("SELECT 1 FROM snapshot WHERE id = ?1");
        bool exists = false;
        if (snapshot.isValid()) {
            snapshot.bindInt64(1, m_snapshotId);
            exists = snapshot.step() == SqliteStatement::Row;
        }
        m_fileError = exists ? tr("snapshot %1 has no heap graph").arg(m_snapshotId)
                             : tr("there is no snapshot %1").arg(m_snapshotId);
        return false;
    }
    if (stmt.columnType(0) != SqliteStatement::Integer || stmt.columnType(1) != SqliteStatement::Integer) {
        m_error = tr("node_count and edge_count are not integers");
        return false;
    }
    const qint64 n = stmt.int64(0);
    const qint64 m = stmt.int64(1);
    if (n < 0 || quint64(n) > s_maxCount) {
        m_error = tr("node_count %1 is out of range (0 to %2)").arg(num(n), num(s_maxCount));
        return false;
    }
    if (m < 0 || quint64(m) > s_maxCount) {
        m_error = tr("edge_count %1 is out of range (0 to %2)").arg(num(m), num(s_maxCount));
        return false;
    }
    m_n = quint64(n);
    m_m = quint64(m);
    const QString compression = stmt.text(2);
    if (compression == QLatin1String("zlib")) {
        m_zlib = true;
    } else if (compression != QLatin1String("none")) {
        m_error = tr("unknown compression \"%1\" (expected \"none\" or \"zlib\")").arg(compression.left(40));
        return false;
    }
    const QString encoding = stmt.text(9);
    if (encoding == QLatin1String("id")) {
        m_targetIds = true;
    } else if (encoding != QLatin1String("index")) {
        m_error = tr("unknown target_encoding \"%1\" (expected \"index\" or \"id\")").arg(TextUtil::oneLine(encoding.left(40)));
        return false;
    }

    // Uncompressed BLOBs must have their exact sizes before they are loaded.
    const qint64 nodes = n;
    const qint64 edges = m;
    const qint64 targetBytes = edges * (m_targetIds ? 8 : 4);
    struct Expect
    {
        const char *name;
        qint64 bytes;
        qint64 alternative; // uint64 offsets are accepted as well
    };
    const Expect expect[] = {{"ids", nodes * 8, -1},         {"types", nodes * 4, -1},
                             {"sizes", nodes * 4, -1},       {"flags", nodes, -1},
                             {"edge_offsets", (nodes + 1) * 4, (nodes + 1) * 8}, {"edge_targets", targetBytes, -1}};
    if (m_zlib) {
        const qint64 storedIds = stmt.int64(3);
        if (nodes > 0 && nodes * 8 > storedIds * s_maxIdsRatio) {
            m_error = tr("node_count %1 cannot be true: its %2 bytes of unique ids would have to be stored in %3 "
                         "compressed bytes (more than %4:1)")
                          .arg(num(nodes), num(nodes * 8), num(storedIds), num(s_maxIdsRatio));
            return false;
        }
    }
    {
        // n and m are below 2^32, so these stay far from overflowing.
        const qint64 needed = nodes * s_bytesPerNode + edges * s_bytesPerEdge;
        const qint64 memory = physicalMemory();
        if (memory > 0 && needed > memory / 2) {
            m_error = tr("%1 nodes and %2 edges would need about %3 MiB of memory, more than half of this "
                         "machine's %4 MiB")
                          .arg(num(nodes), num(edges), num(needed >> 20), num(memory >> 20));
            return false;
        }
    }
    if (m_zlib) {
        // n and m are below 2^32: no sum here comes near overflowing.
        qint64 stored = 0;
        for (int i = 0; i < 6; ++i)
            stored += std::max<qint64>(stmt.int64(3 + i), 0);
        qint64 expected = 0;
        for (const Expect &e : expect)
            expected += e.bytes;
        SqliteStatement labels = m_db.prepare(
            "SELECT length(node_labels), length(edge_labels) FROM graph_label WHERE snapshot = ?1");
        if (labels.isValid()) {
            labels.bindInt64(1, m_snapshotId);
            if (labels.step() == SqliteStatement::Row) {
                stored += std::max<qint64>(labels.int64(0), 0) + std::max<qint64>(labels.int64(1), 0);
                expected += nodes * 4 + edges * 4;
            }
        }
        if (expected > s_ratioFreeBytes && expected > stored * s_maxGraphRatio) {
            m_error = tr("%1 nodes and %2 edges cannot be true: their %3 bytes of arrays would have to be stored "
                         "in %4 compressed bytes (more than %5:1)")
                          .arg(num(nodes), num(edges), num(expected), num(stored), num(s_maxGraphRatio));
            return false;
        }
    }
    if (!m_zlib) {
        for (int i = 0; i < 6; ++i) {
            const qint64 length = stmt.int64(3 + i);
            if (length != expect[i].bytes && length != expect[i].alternative) {
                m_error = tr("array %1 has %2 bytes, expected %3 for %4 nodes and %5 edges")
                              .arg(QLatin1String(expect[i].name), num(length), num(expect[i].bytes), num(nodes),
                                   num(edges));
                return false;
            }
        }
    }
    stmt = SqliteStatement();

    SqliteStatement blobs = m_db.prepare(
        "SELECT flags, types, sizes, ids, edge_offsets, edge_targets FROM graph WHERE snapshot = ?1");
    if (!blobs.isValid())
        return sqliteFailed(tr("reading the graph table"));
    blobs.bindInt64(1, m_snapshotId);
    if (blobs.step() != SqliteStatement::Row)
        return sqliteFailed(tr("reading the graph table"));

    // The smallest array first: a node_count that lies shows before the big
    // arrays are decompressed.
    QByteArray bytes;
    if (!readBlob(blobs, 0, "flags", nodes, nodes, &bytes))
        return false;
    auto flags = PackedArray::decode<quint8>(bytes, QStringLiteral("flags"), nodes);
    if (!flags) {
        m_error = flags.error();
        return false;
    }
    m_arrays.flags = flags.take();

    if (!readBlob(blobs, 1, "types", nodes * 4, nodes * 4, &bytes))
        return false;
    auto types = PackedArray::decode<qint32>(bytes, QStringLiteral("types"), nodes);
    if (!types) {
        m_error = types.error();
        return false;
    }
    m_arrays.types = types.take();

    if (!readBlob(blobs, 2, "sizes", nodes * 4, nodes * 4, &bytes))
        return false;
    auto sizes = PackedArray::decode<quint32>(bytes, QStringLiteral("sizes"), nodes);
    if (!sizes) {
        m_error = sizes.error();
        return false;
    }
    m_arrays.sizes.assign(sizes.value().begin(), sizes.value().end());

    if (!readBlob(blobs, 3, "ids", nodes * 8, nodes * 8, &bytes))
        return false;
    auto ids = PackedArray::decode<quint64>(bytes, QStringLiteral("ids"), nodes);
    if (!ids) {
        m_error = ids.error();
        return false;
    }
    m_arrays.ids = ids.take();

    if (!readBlob(blobs, 4, "edge_offsets", (nodes + 1) * 4, (nodes + 1) * 8, &bytes))
        return false;
    auto offsets = PackedArray::decodeOffsets(bytes, QStringLiteral("edge_offsets"), quint64(nodes + 1));
    if (!offsets) {
        m_error = offsets.error();
        return false;
    }
    m_arrays.edgeOffsets = offsets.take();
    // The offsets must end at edge_count before the largest array is
    // decompressed (HeapGraph::fromArrays checks them in full later).
    if (m_arrays.edgeOffsets.front() != 0 || m_arrays.edgeOffsets.back() != quint64(edges)) {
        m_error = tr("edge_offsets run from %1 to %2, expected 0 to the edge count %3")
                      .arg(num(m_arrays.edgeOffsets.front()), num(m_arrays.edgeOffsets.back()), num(edges));
        return false;
    }

    if (!readBlob(blobs, 5, "edge_targets", targetBytes, targetBytes, &bytes))
        return false;
    if (m_targetIds) {
        auto targetIds = PackedArray::decode<quint64>(bytes, QStringLiteral("edge_targets"), edges);
        bytes = QByteArray();
        if (!targetIds) {
            m_error = targetIds.error();
            return false;
        }
        return resolveTargets(targetIds.value());
    }
    auto targets = PackedArray::decode<quint32>(bytes, QStringLiteral("edge_targets"), edges);
    if (!targets) {
        m_error = targets.error();
        return false;
    }
    m_arrays.edgeTargets = targets.take();
    return true;
}

bool GraphLoader::resolveTargets(const std::vector<quint64> &targetIds)
{
    QElapsedTimer timer;
    timer.start();
    IdToNode index(m_arrays.ids);
    m_error = index.build(m_control);
    if (!m_error.isEmpty())
        return false;
    const size_t m = targetIds.size();
    std::vector<quint32> &targets = m_arrays.edgeTargets;
    targets.resize(m);
    // Progress and cancel between chunks: at most ~64 reports, none per edge.
    const size_t chunk = std::max<size_t>(size_t(1) << 16, m / 64);
    for (size_t begin = 0; begin < m; begin += chunk) {
        m_control.report("resolving edge targets", qint64(begin), qint64(m));
        if (m_control.cancelled()) {
            m_error = tr("loading cancelled");
            return false;
        }
        const size_t end = std::min(m, begin + chunk);
        for (size_t e = begin; e < end; ++e) {
            if (e + IdToNode::s_ahead < m)
                index.prefetchFor(targetIds[e + IdToNode::s_ahead]);
            const quint32 node = index.find(targetIds[e]);
            if (node == IdToNode::NoNode) {
                m_error = tr("edge_targets[%1] = 0x%2 is not the id of a node")
                              .arg(num(quint64(e)), QString::number(targetIds[e], 16));
                return false;
            }
            targets[e] = node;
        }
    }
    m_control.report("resolving edge targets", qint64(m), qint64(m));
    qCDebug(lcGraphStore).nospace() << m_path << ", snapshot " << m_snapshotId << ": resolved " << targetIds.size()
                                    << " edge target ids to " << m_arrays.ids.size() << " nodes in "
                                    << double(timer.nsecsElapsed()) / 1e6 << " ms";
    return true;
}

bool GraphLoader::readTypes()
{
    SqliteStatement stmt = m_db.prepare("SELECT id, name FROM type ORDER BY id");
    if (!stmt.isValid())
        return sqliteFailed(tr("reading types"));
    std::vector<qint64> fileIds;
    SqliteStatement::StepResult step;
    while ((step = stmt.step()) == SqliteStatement::Row) {
        if (stmt.columnType(0) != SqliteStatement::Integer || stmt.columnType(1) != SqliteStatement::Text) {
            m_fileError = tr("malformed (a type row is not an integer id and a name)");
            return false;
        }
        // The type table of a crafted file need not have an INTEGER PRIMARY
        // KEY: ascending, unique ids are checked, the lookup below relies on them.
        const qint64 id = stmt.int64(0);
        if (!fileIds.empty() && id <= fileIds.back()) {
            m_fileError = tr("malformed (type id %1 repeats or is out of order)").arg(num(id));
            return false;
        }
        if (fileIds.size() >= size_t(std::numeric_limits<qint32>::max())) {
            m_fileError = tr("malformed (too many types)");
            return false;
        }
        fileIds.push_back(id);
        m_arrays.typeNames.push_back(stmt.text(1));
    }
    if (step == SqliteStatement::Error)
        return sqliteFailed(tr("reading types"));

    // File type id -> index into typeNames. Ids are ascending (ORDER BY the
    // primary key) and usually dense (1, 2, 3...): a table then, else a
    // binary search.
    // Ids may span the whole int64 range: distances are taken unsigned (the
    // ids ascend, so they are exact), never as int64 differences.
    std::vector<qint32> lookup;
    const qint64 base = fileIds.empty() ? 0 : fileIds.front();
    if (!fileIds.empty() && checked::span(base, fileIds.back()) < quint64(fileIds.size()) * 4 + 1024) {
        lookup.assign(size_t(checked::span(base, fileIds.back())) + 1, -1);
        for (size_t t = 0; t < fileIds.size(); ++t)
            lookup[size_t(checked::span(base, fileIds[t]))] = qint32(t);
    }
    std::vector<qint32> &types = m_arrays.types;
    for (size_t i = 0; i < types.size(); ++i) {
        const qint32 fileId = types[i];
        qint32 index = -1;
        if (!lookup.empty()) {
            // Unsigned, so ids below the base wrap around and miss too.
            const quint64 offset = quint64(qint64(fileId)) - quint64(base);
            if (offset < lookup.size())
                index = lookup[size_t(offset)];
        } else {
            const auto it = std::lower_bound(fileIds.begin(), fileIds.end(), qint64(fileId));
            if (it != fileIds.end() && *it == fileId)
                index = qint32(it - fileIds.begin());
        }
        if (index < 0) {
            m_error = tr("types[%1] = %2 is not in the file's type table").arg(num(quint64(i)), num(qint64(fileId)));
            return false;
        }
        types[i] = index;
    }
    return true;
}

bool GraphLoader::readLabels()
{
    if (!m_tables.graphLabel)
        return true; // no labels at all: tolerated, the graph is still whole
    SqliteStatement stmt = m_db.prepare("SELECT node_labels, edge_labels FROM graph_label WHERE snapshot = ?1");
    if (!stmt.isValid())
        return sqliteFailed(tr("reading graph_label"));
    stmt.bindInt64(1, m_snapshotId);
    const SqliteStatement::StepResult step = stmt.step();
    if (step == SqliteStatement::Error)
        return sqliteFailed(tr("reading graph_label"));
    if (step == SqliteStatement::Done)
        return true;
    const qint64 nodes = qint64(m_n);
    const qint64 edges = qint64(m_m);
    QByteArray bytes;
    if (!readBlob(stmt, 0, "node_labels", nodes * 4, nodes * 4, &bytes))
        return false;
    auto nodeLabels = PackedArray::decode<qint32>(bytes, QStringLiteral("node_labels"), nodes);
    if (!nodeLabels) {
        m_error = nodeLabels.error();
        return false;
    }
    if (!readBlob(stmt, 1, "edge_labels", edges * 4, edges * 4, &bytes))
        return false;
    auto edgeLabels = PackedArray::decode<qint32>(bytes, QStringLiteral("edge_labels"), edges);
    if (!edgeLabels) {
        m_error = edgeLabels.error();
        return false;
    }
    // All -1 is the same as no labels, and costs nothing to keep.
    const auto none = [](const std::vector<qint32> &v) {
        return std::all_of(v.begin(), v.end(), [](qint32 l) { return l == -1; });
    };
    if (!none(nodeLabels.value()))
        m_arrays.nodeLabels = nodeLabels.take();
    if (!none(edgeLabels.value()))
        m_arrays.edgeLabels = edgeLabels.take();
    return true;
}

bool GraphLoader::readStrings()
{
    if (m_arrays.nodeLabels.empty() && m_arrays.edgeLabels.empty())
        return true;
    if (!m_tables.graphString) {
        m_error = tr("labels refer to strings, but there is no graph_string table");
        return false;
    }
    SqliteStatement stmt = m_db.prepare("SELECT id, text FROM graph_string WHERE snapshot = ?1 ORDER BY id");
    if (!stmt.isValid())
        return sqliteFailed(tr("reading graph_string"));
    stmt.bindInt64(1, m_snapshotId);
    std::vector<QString> &strings = m_arrays.strings;
    SqliteStatement::StepResult step;
    while ((step = stmt.step()) == SqliteStatement::Row) {
        const qint64 expected = qint64(strings.size());
        if (stmt.columnType(0) != SqliteStatement::Integer || stmt.int64(0) != expected) {
            m_error = tr("graph_string ids are not 0, 1, 2...: found %1 where %2 was expected")
                          .arg(stmt.text(0).left(40), num(expected));
            return false;
        }
        if (expected >= std::numeric_limits<qint32>::max()) {
            m_error = tr("too many label strings");
            return false;
        }
        strings.push_back(stmt.text(1));
    }
    if (step == SqliteStatement::Error)
        return sqliteFailed(tr("reading graph_string"));
    m_control.report("reading graph", 8, 8);
    return true;
}

Expected<HeapGraphArrays> GraphLoader::load()
{
    const bool ok = openAndCheck() && readGraphRow() && readTypes() && readLabels() && readStrings();
    if (m_db.isOpen())
        m_db.exec("COMMIT");
    if (!m_fileError.isEmpty())
        return Expected<HeapGraphArrays>::failure(m_path + QStringLiteral(": ") + m_fileError);
    if (!ok) {
        const QString message = tr("%1, snapshot %2: heap graph: %3").arg(m_path).arg(m_snapshotId).arg(m_error);
        qCDebug(lcGraphStore) << message;
        return Expected<HeapGraphArrays>::failure(message);
    }
    return std::move(m_arrays);
}

} // namespace

Expected<HeapGraphArrays> HeapGraphStore::readArrays(const QString &path, qint64 snapshotId,
                                                     const TaskControl &control)
{
    GraphLoader loader(path, snapshotId, control);
    return loader.load();
}

} // namespace leakscope
