// Heap graphs in .lsnap files: round trips through the real writer and
// reader, the version 1 -> 2 upgrade, a graph written by an independent
// writer from the spec (Python's sqlite3 + zlib), and corrupt graph rows.

#include "lsnap/heapgraphstore.h"
#include "testutil/heapgraphtestutil.h"
#include "testutil/readertestutil.h"
#include "heapgraph/referencechain.h"
#include "lsnap/snapshotreader.h"
#include "lsnap/snapshotwriter.h"
#include "lsnap/sqlitedatabase.h"
#include "core/packedarray.h"

#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <zlib.h>

#include <atomic>
#include <functional>

using namespace leakscope;
using leakscope::test::GraphSpec;
using leakscope::test::cacheHeap;

namespace {

constexpr quint8 Module = HeapGraph::ModuleRoot;
constexpr quint8 Class = HeapGraph::ClassRoot;

// listeners list -> bound methods -> __self__ (the listeners) and __func__.
GraphSpec listenerHeap()
{
    GraphSpec g;
    g.typeNames = {QStringLiteral("module"), QStringLiteral("dict"), QStringLiteral("list"),
                   QStringLiteral("method"), QStringLiteral("__main__.Listener"), QStringLiteral("function"),
                   QStringLiteral("type")};
    g.nodes = 9;
    g.types = {0, 1, 2, 3, 3, 4, 4, 5, 6};
    g.sizes = {72, 1176, 88, 48, 48, 48, 48, 160, 1064};
    g.flags = {{0, Module}, {8, Class}};
    g.labels = {{0, QStringLiteral("module __main__")}, {7, QStringLiteral("Listener.on_event")},
                {8, QStringLiteral("class __main__.Listener")}};
    g.edge(0, 1, QStringLiteral("__dict__"));
    g.edge(1, 2, QStringLiteral("['_listeners']"));
    g.edge(2, 3, QStringLiteral("[0]"));
    g.edge(2, 4, QStringLiteral("[1]"));
    g.edge(3, 5, QStringLiteral("__self__"));
    g.edge(3, 7, QStringLiteral("__func__"));
    g.edge(4, 6, QStringLiteral("__self__"));
    g.edge(4, 7, QStringLiteral("__func__"));
    g.edge(5, 8, QStringLiteral("__class__"));
    g.edge(6, 8, QStringLiteral("__class__"));
    return g;
}

// A kept exception: its traceback chain holds frames and their locals. One
// object is 5 GiB (stored as 0xFFFFFFFF, "4 GiB or more").
GraphSpec tracebackHeap()
{
    GraphSpec g;
    g.typeNames = {QStringLiteral("module"), QStringLiteral("dict"), QStringLiteral("ValueError"),
                   QStringLiteral("traceback"), QStringLiteral("frame"), QStringLiteral("__main__.Worker"),
                   QStringLiteral("list"), QStringLiteral("bytearray")};
    g.nodes = 11;
    g.types = {0, 1, 2, 3, 3, 4, 4, 1, 5, 6, 7};
    g.sizes = {72, 1176, 80, 64, 64, 432, 432, 232, 48, 136, quint64(5) << 30};
    g.flags = {{0, Module}, {6, HeapGraph::ThreadFrameRoot}};
    g.labels = {{0, QStringLiteral("module __main__")}, {2, QStringLiteral("ValueError('boom 10')")},
                {5, QStringLiteral("remember_error at leaky.py:12")},
                {6, QStringLiteral("fail_with_worker at leaky.py:7")}};
    g.edge(0, 1, QStringLiteral("__dict__"));
    g.edge(1, 2, QStringLiteral("['_LAST_ERROR']"));
    g.edge(2, 3, QStringLiteral("__traceback__"));
    g.edge(3, 4, QStringLiteral("tb_next"));
    g.edge(3, 5, QStringLiteral("tb_frame"));
    g.edge(4, 6, QStringLiteral("tb_frame"));
    g.edge(5, 1, QStringLiteral("f_globals"));
    g.edge(6, 1, QStringLiteral("f_globals"));
    g.edge(6, 7, QStringLiteral("f_locals"));
    g.edge(7, 8, QStringLiteral("['worker']"));
    g.edge(8, 9, QStringLiteral(".job"));
    g.edge(7, 10, QStringLiteral("['blob']"));
    return g;
}

// A bigger graph with an unlabelled majority, so zlib output grows past its
// first buffer and labels repeat.
GraphSpec bigHeap()
{
    GraphSpec g;
    g.typeNames = {QStringLiteral("module"), QStringLiteral("dict"), QStringLiteral("list"),
                   QStringLiteral("__main__.Node")};
    g.nodes = 60000;
    g.types.resize(g.nodes);
    g.sizes.resize(g.nodes);
    quint32 seed = 12345;
    const auto next = [&seed] {
        seed = seed * 1103515245u + 12345u;
        return seed >> 8;
    };
    for (quint32 i = 0; i < g.nodes; ++i) {
        g.types[i] = i == 0 ? 0 : qint32(1 + next() % 3);
        g.sizes[i] = 16 + next() % 4000;
        if (i > 0)
            g.edge(next() % i, i, i % 7 == 0 ? QStringLiteral("[%1]").arg(i % 50) : QString());
        if (i > 10 && i % 3 == 0)
            g.edge(i, next() % i);
    }
    g.flags = {{0, Module}};
    g.labels = {{0, QStringLiteral("module __main__")}};
    return g;
}

// The heaps of the round-trip rows: 0 module cache, 1 listeners, 2
// traceback, 3 empty, 4 60k nodes.
HeapGraphArrays heapArrays(int heap)
{
    if (heap == 3) {
        GraphSpec empty;
        empty.typeNames = {};
        return empty.arrays();
    }
    return (heap == 0 ? cacheHeap() : heap == 1 ? listenerHeap() : heap == 2 ? tracebackHeap() : bigHeap()).arrays();
}

// Edge targets as version 3's target_encoding 'id' stores them: the id of
// each target node, uint64 little-endian.
QByteArray targetIdsBlob(const HeapGraphArrays &a, const std::vector<quint32> &targets)
{
    std::vector<quint64> ids(targets.size());
    for (size_t e = 0; e < targets.size(); ++e)
        ids[e] = a.ids[targets[e]];
    return PackedArray::encode(ids);
}

struct Labelled
{
    std::vector<QString> nodes;
    std::vector<QString> edges;
    std::vector<QString> types;
};

// Labels and types as text: a reader may renumber strings and types.
Labelled texts(const HeapGraphArrays &a)
{
    Labelled t;
    for (size_t i = 0; i < a.ids.size(); ++i) {
        const qint32 l = a.nodeLabels.empty() ? -1 : a.nodeLabels[i];
        t.nodes.push_back(l < 0 ? QString() : a.strings[size_t(l)]);
        t.types.push_back(a.typeNames[size_t(a.types[i])]);
    }
    for (size_t e = 0; e < a.edgeTargets.size(); ++e) {
        const qint32 l = a.edgeLabels.empty() ? -1 : a.edgeLabels[e];
        t.edges.push_back(l < 0 ? QString() : a.strings[size_t(l)]);
    }
    return t;
}

std::vector<quint64> storedSizes(const std::vector<quint64> &sizes, size_t n)
{
    std::vector<quint64> out(n, 0);
    for (size_t i = 0; i < sizes.size(); ++i)
        out[i] = std::min<quint64>(sizes[i], 0xFFFFFFFFu);
    return out;
}

// One zlib stream, as Python's zlib.compress writes it (qCompress gives
// nothing at all for empty input).
QByteArray zlibStream(const QByteArray &raw)
{
    uLongf length = compressBound(uLong(raw.size()));
    QByteArray out(qsizetype(length), Qt::Uninitialized);
    if (compress(reinterpret_cast<Bytef *>(out.data()), &length, reinterpret_cast<const Bytef *>(raw.constData()),
                 uLong(raw.size()))
        != Z_OK)
        return QByteArray();
    out.resize(qsizetype(length));
    return out;
}

qint64 pragma(const QString &path, const char *sql)
{
    SqliteDatabase db;
    if (!db.open(path, SqliteDatabase::ReadOnly))
        return -100;
    SqliteStatement s = db.prepare(sql);
    if (!s.isValid() || s.step() != SqliteStatement::Row)
        return -101;
    return s.int64(0);
}

QString metaValue(const QString &path, const QString &key)
{
    SqliteDatabase db;
    db.open(path, SqliteDatabase::ReadOnly);
    SqliteStatement s = db.prepare("SELECT value FROM meta WHERE key = ?1");
    s.bindText(1, key);
    return s.step() == SqliteStatement::Row ? s.text(0) : QString();
}

bool hasTable(const QString &path, const char *name)
{
    SqliteDatabase db;
    db.open(path, SqliteDatabase::ReadOnly);
    SqliteStatement s = db.prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1");
    s.bindText(1, QString::fromLatin1(name));
    return s.step() == SqliteStatement::Row && s.int64(0) == 1;
}

// "snapshot:target_encoding" of every graph row, by snapshot.
QStringList targetEncodings(const QString &path)
{
    SqliteDatabase db;
    db.open(path, SqliteDatabase::ReadOnly);
    SqliteStatement s = db.prepare("SELECT snapshot, target_encoding FROM graph ORDER BY snapshot");
    QStringList rows;
    while (s.isValid() && s.step() == SqliteStatement::Row)
        rows << QStringLiteral("%1:%2").arg(s.int64(0)).arg(s.text(1));
    if (!s.isValid())
        rows << QStringLiteral("error: %1").arg(db.errorMessage());
    return rows;
}

// Runs one statement with an optional BLOB as ?1 on a file.
bool execSql(const QString &path, const QString &sql, const QByteArray &blob = QByteArray(), bool bindBlob = false)
{
    SqliteDatabase db;
    if (!db.open(path, SqliteDatabase::ReadWriteCreate))
        return false;
    const QByteArray utf8 = sql.toUtf8();
    SqliteStatement s = db.prepare(utf8.constData());
    if (!s.isValid()) {
        qWarning("prepare failed: %s", qPrintable(db.errorMessage()));
        return false;
    }
    if (bindBlob)
        s.bindBlob(1, blob);
    return s.step() == SqliteStatement::Done;
}

// Peak resident set size of this process (VmHWM), in KiB.
qint64 peakRssKiB()
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("VmHWM:"))
            return line.mid(6).trimmed().split(' ').first().toLongLong();
    }
    return 0;
}

struct Corruption
{
    QString sql;       // run after the graph is written; ?1 = blob
    QByteArray blob;
    bool bind = false;
};

} // namespace

Q_DECLARE_METATYPE(Corruption)
Q_DECLARE_METATYPE(HeapGraphStore::Compression)

class TestHeapGraphStore : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void roundTrip_data();
    void roundTrip();
    void writeHeapGraphObject();
    void versionUpgrade();
    void appendAfterUpgrade();
    void failedWriteLeavesFileAlone_data();
    void failedWriteLeavesFileAlone();
    void readRefuses_data();
    void readRefuses();
    void specWrittenGraph_data();
    void specWrittenGraph();
    void version2FileGetsAGraph();
    void idTargetsLoadLikeIndices_data();
    void idTargetsLoadLikeIndices();
    void offsetsAsUint64();
    void corruptGraph_data();
    void corruptGraph();
    void zipBombStopsAtTheCounts_data();
    void zipBombStopsAtTheCounts();
    void cancelAndProgress_data();
    void cancelAndProgress();
    void nodeCountBombRefusedUpFront();
    void edgeCountBombRefusedUpFront();
    void typeIdsSpanningInt64_data();
    void typeIdsSpanningInt64();

private:
    // Writes the 5-node graph of snapshot 1 with Python's sqlite3 + zlib from
    // the spec, as format "2", "3-index" or "3-id" (target_encoding 'id').
    bool writeSpecGraph(const QString &path, const QString &format, QString *error);
    void checkSpecGraph(const QString &path, qint64 snapshot);
    // A v1 file with `count` snapshots written by SnapshotWriter.
    QString makeFile(const QString &name, int count = 2);
    QTemporaryDir m_dir;
    int m_files = 0;
};

void TestHeapGraphStore::initTestCase()
{
    QVERIFY(m_dir.isValid());
}

QString TestHeapGraphStore::makeFile(const QString &name, int count)
{
    const QString path = m_dir.filePath(QStringLiteral("%1-%2.lsnap").arg(name).arg(++m_files));
    TypeRegistry types;
    SnapshotWriter writer;
    if (!writer.open(path))
        return QString();
    for (int k = 0; k < count; ++k) {
        Snapshot s;
        s.info.label = QStringLiteral("s%1").arg(k);
        s.info.takenAt = QDateTime::fromMSecsSinceEpoch(1767225600000LL + 1000 * k, Qt::UTC);
        s.info.pid = 4242;
        s.info.gcObjects = 100 + k;
        s.info.gcGarbage = 0;
        s.stats.push_back(TypeStat{types.intern(QStringLiteral("dict")), 40 + k, 4000});
        s.stats.push_back(TypeStat{types.intern(QStringLiteral("__main__.Session")), 3 * k + 1, 56 * (3 * k + 1)});
        if (!writer.append(s, types))
            return QString();
    }
    return path;
}

void TestHeapGraphStore::roundTrip_data()
{
    QTest::addColumn<int>("heap");
    QTest::addColumn<HeapGraphStore::Compression>("compression");
    const char *names[] = {"module cache", "listeners", "traceback", "empty graph", "60k nodes"};
    for (int h = 0; h < 5; ++h) {
        QTest::addRow("%s, zlib", names[h]) << h << HeapGraphStore::Compression::Zlib;
        QTest::addRow("%s, uncompressed", names[h]) << h << HeapGraphStore::Compression::None;
    }
}

void TestHeapGraphStore::roundTrip()
{
    QFETCH(int, heap);
    QFETCH(HeapGraphStore::Compression, compression);
    const HeapGraphArrays in = heapArrays(heap);
    const QString path = makeFile(QStringLiteral("roundtrip"));
    QVERIFY(!path.isEmpty());

    const Status written = HeapGraphStore::write(path, 2, in, compression);
    QVERIFY2(written.ok(), qPrintable(written.error()));

    Expected<HeapGraphArrays> out = HeapGraphStore::readArrays(path, 2);
    QVERIFY2(out.ok(), qPrintable(out.error()));
    const HeapGraphArrays &a = out.value();
    QCOMPARE(a.ids, in.ids);
    QCOMPARE(a.sizes, storedSizes(in.sizes, in.ids.size()));
    QCOMPARE(a.flags, in.flags.empty() ? std::vector<quint8>(in.ids.size(), 0) : in.flags);
    QCOMPARE(a.edgeOffsets, in.edgeOffsets);
    QCOMPARE(a.edgeTargets, in.edgeTargets);
    const Labelled want = texts(in);
    const Labelled got = texts(a);
    QCOMPARE(got.types, want.types);
    QCOMPARE(got.nodes, want.nodes);
    QCOMPARE(got.edges, want.edges);
    // Strings are stored once each, and only those in use.
    QSet<QString> distinct;
    for (const auto *list : {&want.nodes, &want.edges})
        for (const QString &s : *list)
            if (!s.isEmpty())
                distinct.insert(s);
    QCOMPARE(a.strings.size(), size_t(distinct.size()));

    Expected<LoadedFile> loaded = SnapshotReader::read(path);
    QVERIFY2(loaded.ok(), qPrintable(loaded.error()));
    QCOMPARE(loaded.value().formatVersion, 3);
    QVERIFY(!loaded.value().snapshots[0].info.hasGraph);
    QVERIFY(loaded.value().snapshots[1].info.hasGraph);

    Expected<HeapGraph> graph = HeapGraph::read(HeapGraphStore::readArrays, path, 2);
    QVERIFY2(graph.ok(), qPrintable(graph.error()));
    QCOMPARE(graph.value().nodeCount(), quint32(in.ids.size()));
    if (heap == 0) {
        const HeapGraph &g = graph.value();
        auto chain = ReferenceChain::shortestToRoot(g, g.nodesOfType(g.findType(QStringLiteral("__main__.Session"))));
        QVERIFY2(chain.ok(), qPrintable(chain.error()));
        QStringList labels;
        for (const auto &step : chain.value().steps)
            if (step.edge != HeapGraph::NoEdge)
                labels << g.edgeLabel(step.edge);
        QCOMPARE(labels, (QStringList{QStringLiteral("__dict__"), QStringLiteral("['_CACHE']"),
                                      QStringLiteral("['s0']")}));
    }
    if (heap == 2)
        QCOMPARE(graph.value().shallowSize(10), quint64(0xFFFFFFFFu));
}

void TestHeapGraphStore::writeHeapGraphObject()
{
    Expected<HeapGraph> built = HeapGraph::fromArrays(listenerHeap().arrays());
    QVERIFY(built.ok());
    const QString path = makeFile(QStringLiteral("object"));
    QVERIFY2(HeapGraphStore::write(path, 1, built.value().toArrays()).ok(), "write");
    Expected<HeapGraph> read = HeapGraph::read(HeapGraphStore::readArrays, path, 1);
    QVERIFY2(read.ok(), qPrintable(read.error()));
    const HeapGraph &g = read.value();
    const HeapGraph &h = built.value();
    QCOMPARE(g.nodeCount(), h.nodeCount());
    QCOMPARE(g.edgeCount(), h.edgeCount());
    for (quint32 i = 0; i < h.nodeCount(); ++i) {
        QCOMPARE(g.id(i), h.id(i));
        QCOMPARE(g.typeName(g.type(i)), h.typeName(h.type(i)));
        QCOMPARE(g.label(i), h.label(i));
        QCOMPARE(g.inDegree(i), h.inDegree(i));
        QCOMPARE(g.flags(i), h.flags(i));
    }
    for (quint32 e = 0; e < h.edgeCount(); ++e)
        QCOMPARE(g.edgeLabel(e), h.edgeLabel(e));
}

void TestHeapGraphStore::versionUpgrade()
{
    const QString path = makeFile(QStringLiteral("upgrade"), 3);
    QCOMPARE(pragma(path, "PRAGMA user_version"), qint64(1));
    QCOMPARE(metaValue(path, QStringLiteral("format_version")), QStringLiteral("1"));
    Expected<LoadedFile> before = SnapshotReader::read(path);
    QVERIFY2(before.ok(), qPrintable(before.error()));
    QCOMPARE(before.value().formatVersion, 1);
    for (const Snapshot &s : before.value().snapshots)
        QVERIFY(!s.info.hasGraph);
    QVERIFY(!hasTable(path, "graph"));

    // A version 1 file has no graphs to read.
    Expected<HeapGraphArrays> none = HeapGraphStore::readArrays(path, 1);
    QVERIFY(!none.ok());
    QVERIFY2(none.error().startsWith(path + QStringLiteral(": has no heap graphs (format version 1")),
             qPrintable(none.error()));

    QVERIFY(HeapGraphStore::write(path, 3, cacheHeap().arrays()).ok());
    QCOMPARE(pragma(path, "PRAGMA user_version"), qint64(3));
    QCOMPARE(pragma(path, "PRAGMA application_id"), qint64(0x4C534E50));
    QCOMPARE(metaValue(path, QStringLiteral("format_version")), QStringLiteral("3"));
    QVERIFY(hasTable(path, "graph") && hasTable(path, "graph_string") && hasTable(path, "graph_label"));
    // Created with the version 3 column, and the C++ writer stores indices.
    QCOMPARE(targetEncodings(path), QStringList{QStringLiteral("3:index")});

    // The counts read as before; only snapshot 3 has a graph.
    Expected<LoadedFile> after = SnapshotReader::read(path);
    QVERIFY2(after.ok(), qPrintable(after.error()));
    QCOMPARE(after.value().formatVersion, 3);
    QCOMPARE(after.value().snapshots.size(), before.value().snapshots.size());
    for (size_t i = 0; i < after.value().snapshots.size(); ++i) {
        const Snapshot &a = after.value().snapshots[i];
        const Snapshot &b = before.value().snapshots[i];
        QCOMPARE(a.info.hasGraph, a.info.id == 3);
        QCOMPARE(a.totalObjects(), b.totalObjects());
        QCOMPARE(a.totalSize(), b.totalSize());
        QCOMPARE(a.info.label, b.info.label);
    }

    // A second graph in the same file leaves the version at 3; writing the
    // same snapshot twice is refused.
    QVERIFY(HeapGraphStore::write(path, 1, listenerHeap().arrays(), HeapGraphStore::Compression::None).ok());
    QCOMPARE(pragma(path, "PRAGMA user_version"), qint64(3));
    QCOMPARE(targetEncodings(path), (QStringList{QStringLiteral("1:index"), QStringLiteral("3:index")}));
    const Status again = HeapGraphStore::write(path, 3, listenerHeap().arrays());
    QVERIFY(!again.ok());
    QCOMPARE(again.error(), path + QStringLiteral(": snapshot 3 already has a heap graph"));
    Expected<HeapGraph> first = HeapGraph::read(HeapGraphStore::readArrays, path, 3);
    QVERIFY(first.ok());
    QCOMPARE(first.value().nodeCount(), quint32(10)); // still the cache heap
    QVERIFY(HeapGraph::read(HeapGraphStore::readArrays, path, 1).ok());
}

void TestHeapGraphStore::appendAfterUpgrade()
{
    const QString path = makeFile(QStringLiteral("append"), 1);
    QVERIFY(HeapGraphStore::write(path, 1, cacheHeap().arrays()).ok());
    // SnapshotWriter appends to a version 3 file and keeps its version.
    SnapshotWriter writer;
    const Status opened = writer.open(path);
    QVERIFY2(opened.ok(), qPrintable(opened.error()));
    TypeRegistry types;
    Snapshot s;
    s.info.label = QStringLiteral("later");
    s.stats.push_back(TypeStat{types.intern(QStringLiteral("list")), 5, 400});
    const Expected<qint64> id = writer.append(s, types);
    QVERIFY2(id.ok(), qPrintable(id.error()));
    writer.close();
    QCOMPARE(pragma(path, "PRAGMA user_version"), qint64(3));
    Expected<LoadedFile> loaded = SnapshotReader::read(path);
    QVERIFY2(loaded.ok(), qPrintable(loaded.error()));
    QCOMPARE(loaded.value().snapshots.size(), size_t(2));
    QVERIFY(loaded.value().snapshots[0].info.hasGraph);
    QVERIFY(!loaded.value().snapshots[1].info.hasGraph);
    // And a graph for the new snapshot.
    QVERIFY(HeapGraphStore::write(path, id.value(), tracebackHeap().arrays()).ok());
    QVERIFY(HeapGraph::read(HeapGraphStore::readArrays, path, id.value()).ok());
}

void TestHeapGraphStore::failedWriteLeavesFileAlone_data()
{
    QTest::addColumn<qint64>("snapshot");
    QTest::addColumn<int>("damage");
    QTest::addColumn<QString>("error");
    QTest::newRow("no such snapshot") << qint64(7) << 0 << QStringLiteral("there is no snapshot 7");
    QTest::newRow("edge target out of range") << qint64(1) << 1 << QStringLiteral("edge_targets[0] = 99 is not a node");
    QTest::newRow("type index out of range") << qint64(1) << 2 << QStringLiteral("types[1] = 9 is not a type");
    QTest::newRow("offsets too short") << qint64(1) << 3 << QStringLiteral("array edge_offsets has 10 entries");
    QTest::newRow("label string out of range") << qint64(1) << 4 << QStringLiteral("node_labels[0] = 40");
    QTest::newRow("empty type name") << qint64(1) << 5 << QStringLiteral("type 0 has an empty name");
    QTest::newRow("unknown flag bit") << qint64(1) << 6 << QStringLiteral("flags[9] has unknown bits");
}

void TestHeapGraphStore::failedWriteLeavesFileAlone()
{
    QFETCH(qint64, snapshot);
    QFETCH(int, damage);
    QFETCH(QString, error);
    HeapGraphArrays a = cacheHeap().arrays();
    switch (damage) {
    case 1: a.edgeTargets[0] = 99; break;
    case 2: a.types[1] = 9; break;
    case 3: a.edgeOffsets.pop_back(); break;
    case 4: a.nodeLabels[0] = 40; break;
    case 5: a.typeNames[0].clear(); break;
    case 6: a.flags[9] = 0x40; break;
    default: break;
    }
    const QString path = makeFile(QStringLiteral("failed"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray before = file.readAll();
    file.close();
    const Status status = HeapGraphStore::write(path, snapshot, a);
    QVERIFY(!status.ok());
    QVERIFY2(status.error().startsWith(path + QStringLiteral(": ")), qPrintable(status.error()));
    QVERIFY2(status.error().contains(error), qPrintable(status.error()));
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll(), before);
    QCOMPARE(pragma(path, "PRAGMA user_version"), qint64(1));
    QVERIFY(!hasTable(path, "graph"));
}

void TestHeapGraphStore::readRefuses_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("error");
    QTest::newRow("missing file") << 0 << QStringLiteral(": no such file");
    QTest::newRow("foreign sqlite file") << 1 << QStringLiteral(": not a Leakscope file");
    QTest::newRow("text file") << 2 << QStringLiteral(": not a Leakscope file (not a SQLite database)");
    QTest::newRow("newer format 4") << 3 << QStringLiteral(": written by a newer Leakscope (format 4; this build reads up to 3)");
    QTest::newRow("snapshot without graph") << 4 << QStringLiteral(": snapshot 1 has no heap graph");
    QTest::newRow("no such snapshot") << 5 << QStringLiteral(": there is no snapshot 9");
    QTest::newRow("graph is a view") << 6 << QStringLiteral(": refused: the file contains SQL that Leakscope never runs (view \"graph\")");
}

void TestHeapGraphStore::readRefuses()
{
    QFETCH(int, kind);
    QFETCH(QString, error);
    QString path = m_dir.filePath(QStringLiteral("refuse-%1.lsnap").arg(kind));
    qint64 snapshot = 1;
    if (kind == 1) {
        QVERIFY(execSql(path, QStringLiteral("CREATE TABLE t(x)")));
    } else if (kind == 2) {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("just some text\n");
    } else if (kind >= 3) {
        path = makeFile(QStringLiteral("refuse"));
        QVERIFY(HeapGraphStore::write(path, 2, cacheHeap().arrays()).ok());
        if (kind == 3)
            QVERIFY(execSql(path, QStringLiteral("PRAGMA user_version = 4")));
        if (kind == 5)
            snapshot = 9;
        if (kind == 6) {
            QVERIFY(execSql(path, QStringLiteral("DROP TABLE graph")));
            QVERIFY(execSql(path, QStringLiteral("CREATE VIEW graph AS SELECT 2 AS snapshot, 1 AS node_count")));
            snapshot = 2;
        }
    }
    Expected<HeapGraph> g = HeapGraph::read(HeapGraphStore::readArrays, path, snapshot);
    QVERIFY(!g.ok());
    QVERIFY2(g.error().startsWith(path + error), qPrintable(g.error()));
    QVERIFY(!g.error().contains(QLatin1Char('\n')));
    if (kind == 3) {
        // The counts reader refuses it the same way.
        Expected<LoadedFile> loaded = SnapshotReader::read(path);
        QVERIFY(!loaded.ok());
        QVERIFY2(loaded.error().contains(QStringLiteral("written by a newer Leakscope (format 4")),
                 qPrintable(loaded.error()));
    }
    if (kind == 6) {
        // The counts reader refuses it too, and a writer adds nothing to it.
        Expected<LoadedFile> loaded = SnapshotReader::read(path);
        QVERIFY(!loaded.ok());
        QVERIFY2(loaded.error().contains(QStringLiteral("contains SQL that Leakscope never runs")), qPrintable(loaded.error()));
        const Status written = HeapGraphStore::write(path, 1, cacheHeap().arrays());
        QVERIFY(!written.ok());
        QVERIFY2(written.error().contains(QStringLiteral("contains SQL that Leakscope never runs")), qPrintable(written.error()));
    }
}

void TestHeapGraphStore::specWrittenGraph_data()
{
    QTest::addColumn<QString>("format");
    QTest::newRow("version 2, uint32 node indices") << QStringLiteral("2");
    QTest::newRow("version 3, target_encoding 'index'") << QStringLiteral("3-index");
    QTest::newRow("version 3, target_encoding 'id'") << QStringLiteral("3-id");
}

void TestHeapGraphStore::specWrittenGraph()
{
    QFETCH(QString, format);
    const QString path = makeFile(QStringLiteral("spec"), 1);
    QString error;
    QVERIFY2(writeSpecGraph(path, format, &error), qPrintable(error));
    QCOMPARE(pragma(path, "PRAGMA user_version"), qint64(format.startsWith(QLatin1Char('3')) ? 3 : 2));

    Expected<LoadedFile> loaded = SnapshotReader::read(path);
    QVERIFY2(loaded.ok(), qPrintable(loaded.error()));
    QVERIFY(loaded.value().snapshots[0].info.hasGraph);
    checkSpecGraph(path, 1);
}

bool TestHeapGraphStore::writeSpecGraph(const QString &path, const QString &format, QString *error)
{
    // An independent writer that follows docs/file-format.md only: Python's
    // sqlite3 and zlib, type ids that are not 0-based, strings in its own
    // order, offsets as uint32; edge targets as node indices (version 2, or
    // version 3 with target_encoding 'index') or as the referents' ids
    // (version 3, 'id'), the way the Python agent stores them.
    const QString script = QStringLiteral(R"PY(
import sqlite3, struct, sys, zlib
db = sqlite3.connect(sys.argv[1])
fmt = sys.argv[2]
types = {}
for name in ("module", "dict", "__main__.Session"):
    row = db.execute("SELECT id FROM type WHERE name = ?", (name,)).fetchone()
    types[name] = row[0] if row else db.execute("INSERT INTO type(name) VALUES (?)", (name,)).lastrowid
nodes = [  # id, type, size, flags, label
    (0x7f0010, "module", 72, 1, "module __main__"),
    (0x7f0020, "dict", 1176, 0, None),
    (0x7f0030, "dict", 640, 0, "dict (2 items)"),
    (0x7f0040, "__main__.Session", 56, 0, "<Session a>"),
    (0x7f0050, "__main__.Session", 56, 0, None),
]
edges = [[(1, "__dict__")], [(2, "['_CACHE']")], [(3, "['a']"), (4, "['b']")], [], []]
strings = []
def sid(text):
    if text is None:
        return -1
    if text not in strings:
        strings.append(text)
    return strings.index(text)
offsets, targets, elabels = [0], [], []
for out in edges:
    for t, l in out:
        targets.append(t); elabels.append(sid(l))
    offsets.append(len(targets))
nlabels = [sid(n[4]) for n in nodes]
n, m = len(nodes), len(targets)
z = lambda b: zlib.compress(b)
columns = "snapshot INTEGER PRIMARY KEY REFERENCES snapshot(id), node_count INTEGER NOT NULL, edge_count INTEGER NOT NULL, compression TEXT NOT NULL, ids BLOB NOT NULL, types BLOB NOT NULL, sizes BLOB NOT NULL, flags BLOB NOT NULL, edge_offsets BLOB NOT NULL, edge_targets BLOB NOT NULL"
if fmt == "2":
    packed_targets, extra = struct.pack("<%dI" % m, *targets), ()
else:
    columns += ", target_encoding TEXT NOT NULL DEFAULT 'index'"
    if fmt == "3-id":
        packed_targets, extra = struct.pack("<%dQ" % m, *[nodes[t][0] for t in targets]), ("id",)
    else:
        packed_targets, extra = struct.pack("<%dI" % m, *targets), ("index",)
db.execute("CREATE TABLE graph(%s)" % columns)
db.execute("CREATE TABLE graph_string(snapshot INTEGER NOT NULL, id INTEGER NOT NULL, text TEXT NOT NULL, PRIMARY KEY(snapshot, id)) WITHOUT ROWID")
db.execute("CREATE TABLE graph_label(snapshot INTEGER PRIMARY KEY REFERENCES snapshot(id), node_labels BLOB NOT NULL, edge_labels BLOB NOT NULL)")
db.execute("INSERT INTO graph VALUES (1, ?, ?, 'zlib', ?, ?, ?, ?, ?, ?%s)" % (", ?" * len(extra)), (n, m,
    z(struct.pack("<%dQ" % n, *[x[0] for x in nodes])),
    z(struct.pack("<%di" % n, *[types[x[1]] for x in nodes])),
    z(struct.pack("<%dI" % n, *[x[2] for x in nodes])),
    z(bytes(x[3] for x in nodes)),
    z(struct.pack("<%dI" % (n + 1), *offsets)),
    z(packed_targets)) + extra)
db.executemany("INSERT INTO graph_string VALUES (1, ?, ?)", list(enumerate(strings)))
db.execute("INSERT INTO graph_label VALUES (1, ?, ?)", (z(struct.pack("<%di" % n, *nlabels)), z(struct.pack("<%di" % m, *elabels))))
db.execute("PRAGMA user_version = %d" % (2 if fmt == "2" else 3))
db.commit()
)PY");
    QProcess python;
    python.start(QStringLiteral(LEAKSCOPE_PYTHON), {QStringLiteral("-c"), script, path, format});
    if (!python.waitForFinished(30000) || python.exitStatus() != QProcess::NormalExit || python.exitCode() != 0) {
        *error = QString::fromUtf8(python.readAllStandardError());
        return false;
    }
    return true;
}

void TestHeapGraphStore::checkSpecGraph(const QString &path, qint64 snapshot)
{
    Expected<HeapGraph> g = HeapGraph::read(HeapGraphStore::readArrays, path, snapshot);
    QVERIFY2(g.ok(), qPrintable(g.error()));
    const HeapGraph &graph = g.value();
    QCOMPARE(graph.nodeCount(), quint32(5));
    QCOMPARE(graph.edgeCount(), quint32(4));
    QCOMPARE(graph.typeName(graph.type(3)), QStringLiteral("__main__.Session"));
    QCOMPARE(graph.typeName(graph.type(0)), QStringLiteral("module"));
    QCOMPARE(graph.label(0), QStringLiteral("module __main__"));
    QCOMPARE(graph.label(1), QString());
    QCOMPARE(graph.label(3), QStringLiteral("<Session a>"));
    QCOMPARE(graph.edgeLabel(1), QStringLiteral("['_CACHE']"));
    QCOMPARE(graph.edgeLabel(3), QStringLiteral("['b']"));
    QCOMPARE(graph.shallowSize(2), quint64(640));
    QCOMPARE(graph.id(4), quint64(0x7f0050));
    QVERIFY(graph.isRoot(0));
    QCOMPARE(graph.findNode(0x7f0040), quint32(3));
    const std::vector<quint32> targets = {1, 2, 3, 4};
    for (quint32 e = 0; e < graph.edgeCount(); ++e)
        QCOMPARE(graph.target(e), targets[e]);
}

void TestHeapGraphStore::version2FileGetsAGraph()
{
    // A version 2 file from the spec writer (graph of snapshot 1, no
    // target_encoding column) gets a graph for snapshot 2 from the C++ writer.
    const QString path = makeFile(QStringLiteral("v2"), 2);
    QString error;
    QVERIFY2(writeSpecGraph(path, QStringLiteral("2"), &error), qPrintable(error));
    QCOMPARE(pragma(path, "PRAGMA user_version"), qint64(2));
    QVERIFY(targetEncodings(path).value(0).contains(QStringLiteral("no such column: target_encoding")));

    // A write that fails after the schema change rolls it back as well.
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray before = file.readAll();
    file.close();
    const Status refused = HeapGraphStore::write(path, 1, cacheHeap().arrays());
    QVERIFY(!refused.ok());
    QVERIFY2(refused.error().endsWith(QStringLiteral("snapshot 1 already has a heap graph")), qPrintable(refused.error()));
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll(), before);
    file.close();
    QCOMPARE(pragma(path, "PRAGMA user_version"), qint64(2));

    const Status written = HeapGraphStore::write(path, 2, cacheHeap().arrays());
    QVERIFY2(written.ok(), qPrintable(written.error()));
    QCOMPARE(pragma(path, "PRAGMA user_version"), qint64(3));
    QCOMPARE(metaValue(path, QStringLiteral("format_version")), QStringLiteral("3"));
    // The old row reads 'index' through the column's default.
    QCOMPARE(targetEncodings(path), (QStringList{QStringLiteral("1:index"), QStringLiteral("2:index")}));

    Expected<LoadedFile> loaded = SnapshotReader::read(path);
    QVERIFY2(loaded.ok(), qPrintable(loaded.error()));
    QCOMPARE(loaded.value().formatVersion, 3);
    QVERIFY(loaded.value().snapshots[0].info.hasGraph);
    QVERIFY(loaded.value().snapshots[1].info.hasGraph);
    checkSpecGraph(path, 1);
    if (QTest::currentTestFailed())
        return;
    Expected<HeapGraphArrays> second = HeapGraphStore::readArrays(path, 2);
    QVERIFY2(second.ok(), qPrintable(second.error()));
    const HeapGraphArrays want = cacheHeap().arrays();
    QCOMPARE(second.value().ids, want.ids);
    QCOMPARE(second.value().edgeOffsets, want.edgeOffsets);
    QCOMPARE(second.value().edgeTargets, want.edgeTargets);
    QCOMPARE(texts(second.value()).edges, texts(want).edges);
}

void TestHeapGraphStore::idTargetsLoadLikeIndices_data()
{
    roundTrip_data();
}

void TestHeapGraphStore::idTargetsLoadLikeIndices()
{
    QFETCH(int, heap);
    QFETCH(HeapGraphStore::Compression, compression);
    HeapGraphArrays in = heapArrays(heap);
    // Ids in gc order, not in address order (an odd multiplier permutes the
    // 32-bit numbers, so they stay unique).
    for (size_t i = 0; i < in.ids.size(); ++i)
        in.ids[i] = 0x7f0000000000ull + quint64(quint32(i) * 0x9E3779B1u) * 16;
    const QString byIndex = makeFile(QStringLiteral("targets-index"));
    const QString byId = makeFile(QStringLiteral("targets-id"));
    QVERIFY(HeapGraphStore::write(byIndex, 2, in, compression).ok());
    QVERIFY(HeapGraphStore::write(byId, 2, in, compression).ok());
    QByteArray targetIds = targetIdsBlob(in, in.edgeTargets);
    if (compression == HeapGraphStore::Compression::Zlib)
        targetIds = zlibStream(targetIds);
    QVERIFY(execSql(byId, QStringLiteral("UPDATE graph SET target_encoding = 'id', edge_targets = ?1"), targetIds,
                    true));
    QCOMPARE(targetEncodings(byId), QStringList{QStringLiteral("2:id")});

    Expected<HeapGraphArrays> a = HeapGraphStore::readArrays(byIndex, 2);
    Expected<HeapGraphArrays> b = HeapGraphStore::readArrays(byId, 2);
    QVERIFY2(a.ok(), qPrintable(a.error()));
    QVERIFY2(b.ok(), qPrintable(b.error()));
    QCOMPARE(b.value().edgeTargets, in.edgeTargets);
    QCOMPARE(b.value().edgeTargets, a.value().edgeTargets);
    QCOMPARE(b.value().ids, a.value().ids);
    QCOMPARE(b.value().types, a.value().types);
    QCOMPARE(b.value().sizes, a.value().sizes);
    QCOMPARE(b.value().flags, a.value().flags);
    QCOMPARE(b.value().nodeLabels, a.value().nodeLabels);
    QCOMPARE(b.value().edgeOffsets, a.value().edgeOffsets);
    QCOMPARE(b.value().edgeLabels, a.value().edgeLabels);
    QCOMPARE(b.value().strings, a.value().strings);
    QCOMPARE(b.value().typeNames, a.value().typeNames);

    Expected<HeapGraph> g = HeapGraph::read(HeapGraphStore::readArrays, byId, 2);
    QVERIFY2(g.ok(), qPrintable(g.error()));
    QCOMPARE(g.value().nodeCount(), quint32(in.ids.size()));
    QCOMPARE(g.value().edgeCount(), quint32(in.edgeTargets.size()));
    for (quint32 e = 0; e < g.value().edgeCount(); ++e) {
        if (g.value().id(g.value().target(e)) != in.ids[in.edgeTargets[e]])
            QFAIL(qPrintable(QStringLiteral("edge %1 leads to the wrong node").arg(e)));
    }
}

void TestHeapGraphStore::offsetsAsUint64()
{
    // docs/heapgraph.md allows uint64 offsets; the length tells the width.
    const QString path = makeFile(QStringLiteral("offsets64"), 1);
    const HeapGraphArrays in = cacheHeap().arrays();
    QVERIFY(HeapGraphStore::write(path, 1, in, HeapGraphStore::Compression::None).ok());
    QVERIFY(execSql(path, QStringLiteral("UPDATE graph SET edge_offsets = ?1"), PackedArray::encode(in.edgeOffsets),
                    true));
    Expected<HeapGraphArrays> out = HeapGraphStore::readArrays(path, 1);
    QVERIFY2(out.ok(), qPrintable(out.error()));
    QCOMPARE(out.value().edgeOffsets, in.edgeOffsets);
}

void TestHeapGraphStore::corruptGraph_data()
{
    QTest::addColumn<HeapGraphStore::Compression>("compression");
    QTest::addColumn<Corruption>("corruption");
    QTest::addColumn<QString>("error");

    using C = HeapGraphStore::Compression;
    const HeapGraphArrays a = cacheHeap().arrays(); // 10 nodes, 12 edges
    const auto u32 = [](std::vector<quint32> v) { return PackedArray::encode(v); };
    const auto i32 = [](std::vector<qint32> v) { return PackedArray::encode(v); };
    std::vector<quint32> offsets(a.edgeOffsets.begin(), a.edgeOffsets.end());
    const auto blob = [](const char *column, const QByteArray &bytes) {
        return Corruption{QStringLiteral("UPDATE graph SET %1 = ?1").arg(QLatin1String(column)), bytes, true};
    };
    const auto sql = [](const QString &text) { return Corruption{text, QByteArray(), false}; };

    {
        auto o = offsets;
        o[0] = 1;
        QTest::newRow("first offset not 0") << C::None << blob("edge_offsets", u32(o)) << QStringLiteral("edge_offsets run from 1 to 12, expected 0 to the edge count 12");
    }
    {
        auto o = offsets;
        o[3] = 0;
        QTest::newRow("offsets decrease") << C::None << blob("edge_offsets", u32(o)) << QStringLiteral("edge_offsets[3] = 0 is below edge_offsets[2]");
    }
    {
        auto o = offsets;
        o.back() = 13;
        QTest::newRow("last offset is not the edge count") << C::None << blob("edge_offsets", u32(o)) << QStringLiteral("edge_offsets run from 0 to 13, expected 0 to the edge count 12");
    }
    {
        auto o = offsets;
        o[5] = 0xFFFFFFF0u;
        QTest::newRow("offset far past the edges, zlib") << C::Zlib << blob("edge_offsets", zlibStream(u32(o))) << QStringLiteral("edge_offsets[6] = ");
    }
    {
        auto t = a.edgeTargets;
        t[4] = 10;
        QTest::newRow("target one past the last node") << C::None << blob("edge_targets", u32(t)) << QStringLiteral("edge_targets[4] = 10 is not a node (there are 10 nodes)");
        t[4] = 0xFFFFFFFFu;
        QTest::newRow("target 2^32-1, zlib") << C::Zlib << blob("edge_targets", zlibStream(u32(t))) << QStringLiteral("edge_targets[4] = 4294967295 is not a node");
    }
    QTest::newRow("ids one byte short") << C::None << blob("ids", PackedArray::encode(a.ids).chopped(1)) << QStringLiteral("array ids has 79 bytes, expected 80 for 10 nodes and 12 edges");
    QTest::newRow("types one entry long") << C::None << blob("types", i32({1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1})) << QStringLiteral("array types has 44 bytes, expected 40");
    QTest::newRow("sizes empty") << C::None << blob("sizes", QByteArray("")) << QStringLiteral("array sizes has 0 bytes, expected 40");
    QTest::newRow("flags short, zlib") << C::Zlib << blob("flags", zlibStream(QByteArray(9, '\0'))) << QStringLiteral("array flags has 9 entries, expected 10");
    QTest::newRow("edge targets odd length, zlib") << C::Zlib << blob("edge_targets", zlibStream(QByteArray(47, '\0'))) << QStringLiteral("array edge_targets: 47 bytes is not a whole number of 4-byte entries");
    QTest::newRow("offsets fit neither width") << C::None << blob("edge_offsets", QByteArray(48, '\0')) << QStringLiteral("array edge_offsets has 48 bytes, expected 44");
    QTest::newRow("edge labels one short, zlib") << C::Zlib << Corruption{QStringLiteral("UPDATE graph_label SET edge_labels = ?1"), zlibStream(i32(std::vector<qint32>(11, -1))), true} << QStringLiteral("array edge_labels has 11 entries, expected 12");
    {
        const QByteArray z = zlibStream(PackedArray::encode(a.ids));
        QTest::newRow("truncated zlib") << C::Zlib << blob("ids", z.left(z.size() / 2)) << QStringLiteral("array ids: the zlib stream is truncated");
        QTest::newRow("zlib with trailing bytes") << C::Zlib << blob("ids", z + QByteArray("junk")) << QStringLiteral("array ids: 4 bytes follow the end of the zlib stream");
        QByteArray flipped = z;
        flipped[0] = char(0x79);
        QTest::newRow("zlib header damaged") << C::Zlib << blob("ids", flipped) << QStringLiteral("array ids: not a valid zlib stream (incorrect header check)");
    }
    QTest::newRow("garbage instead of zlib") << C::Zlib << blob("types", QByteArray("garbage, not zlib at all")) << QStringLiteral("array types: not a valid zlib stream");
    QTest::newRow("uncompressed BLOB marked zlib") << C::None << sql(QStringLiteral("UPDATE graph SET compression = 'zlib'")) << QStringLiteral("array flags: not a valid zlib stream");
    QTest::newRow("zlib expands past node_count") << C::Zlib << blob("ids", zlibStream(QByteArray(81, '\1'))) << QStringLiteral("array ids: decompresses to more than the 80 bytes the counts imply");
    QTest::newRow("node_count lies high") << C::None << sql(QStringLiteral("UPDATE graph SET node_count = 11")) << QStringLiteral("array ids has 80 bytes, expected 88 for 11 nodes");
    QTest::newRow("node_count lies high, zlib") << C::Zlib << sql(QStringLiteral("UPDATE graph SET node_count = 1000")) << QStringLiteral("node_count 1000 cannot be true: its 8000 bytes of unique ids would have to be stored in");
    QTest::newRow("node_count huge, zlib") << C::Zlib << sql(QStringLiteral("UPDATE graph SET node_count = 4000000000")) << QStringLiteral("node_count 4000000000 cannot be true");
    QTest::newRow("edge_count 2^32-2, zlib (more memory than any machine here)") << C::Zlib << sql(QStringLiteral("UPDATE graph SET edge_count = 4294967294")) << QStringLiteral("10 nodes and 4294967294 edges would need about 49152 MiB of memory");
    QTest::newRow("node_count lies high by 1, zlib") << C::Zlib << sql(QStringLiteral("UPDATE graph SET node_count = 11")) << QStringLiteral("array flags has 10 entries, expected 11");
    QTest::newRow("node_count lies low") << C::None << sql(QStringLiteral("UPDATE graph SET node_count = 9")) << QStringLiteral("array ids has 80 bytes, expected 72");
    QTest::newRow("node_count negative") << C::None << sql(QStringLiteral("UPDATE graph SET node_count = -1")) << QStringLiteral("node_count -1 is out of range");
    QTest::newRow("node_count past uint32") << C::Zlib << sql(QStringLiteral("UPDATE graph SET node_count = 1099511627776")) << QStringLiteral("node_count 1099511627776 is out of range");
    QTest::newRow("edge_count is text") << C::None << sql(QStringLiteral("UPDATE graph SET edge_count = 'twelve'")) << QStringLiteral("node_count and edge_count are not integers");
    QTest::newRow("edge_count lies, zlib") << C::Zlib << sql(QStringLiteral("UPDATE graph SET edge_count = 13")) << QStringLiteral("edge_offsets run from 0 to 12, expected 0 to the edge count 13");
    QTest::newRow("unknown compression") << C::Zlib << sql(QStringLiteral("UPDATE graph SET compression = 'lz4'")) << QStringLiteral("unknown compression \"lz4\"");
    QTest::newRow("ids stored as text") << C::None << sql(QStringLiteral("UPDATE graph SET ids = 'abcdefgh'")) << QStringLiteral("array ids has 8 bytes, expected 80");
    QTest::newRow("flags stored as text, zlib") << C::Zlib << sql(QStringLiteral("UPDATE graph SET flags = 'abc'")) << QStringLiteral("array flags is not a BLOB");
    QTest::newRow("type id not in the type table") << C::None << blob("types", i32({1, 2, 2, 3, 3, 3, 2, 2, 2, 999})) << QStringLiteral("types[9] = 999 is not in the file's type table");
    QTest::newRow("negative type id, zlib") << C::Zlib << blob("types", zlibStream(i32({-5, 2, 2, 3, 3, 3, 2, 2, 2, 2}))) << QStringLiteral("types[0] = -5 is not in the file's type table");
    QTest::newRow("unknown flag bit") << C::None << blob("flags", QByteArray("\x01\x00\x00\x00\x80\x00\x00\x00\x00\x02", 10)) << QStringLiteral("flags[4] = 128 has unknown bits");
    {
        auto ids = a.ids;
        ids[7] = ids[2];
        QTest::newRow("duplicate object id") << C::None << blob("ids", PackedArray::encode(ids)) << QStringLiteral("appears twice (nodes 2 and 7)");
    }
    QTest::newRow("node label string id out of range") << C::None << Corruption{QStringLiteral("UPDATE graph_label SET node_labels = ?1"), i32({0, -1, 1, 2, 3, 4, -1, -1, -1, 50}), true} << QStringLiteral("node_labels[9] = 50 is not a label string");
    QTest::newRow("edge label below -1, zlib") << C::Zlib << Corruption{QStringLiteral("UPDATE graph_label SET edge_labels = ?1"), zlibStream(i32({-2, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1})), true} << QStringLiteral("edge_labels[0] = -2 is not a label string");
    QTest::newRow("label string missing") << C::Zlib << sql(QStringLiteral("DELETE FROM graph_string WHERE id = (SELECT max(id) FROM graph_string)")) << QStringLiteral("is not a label string");
    QTest::newRow("label string ids with a gap") << C::None << sql(QStringLiteral("DELETE FROM graph_string WHERE id = 3")) << QStringLiteral("graph_string ids are not 0, 1, 2...: found 4 where 3 was expected");

    // Version 3: edge targets stored as the targets' ids.
    const auto asIds = [](const QByteArray &bytes, const QString &more = QString()) {
        return Corruption{QStringLiteral("UPDATE graph SET target_encoding = 'id', edge_targets = ?1") + more, bytes,
                          true};
    };
    QTest::newRow("unknown target_encoding") << C::None << sql(QStringLiteral("UPDATE graph SET target_encoding = 'pointer'")) << QStringLiteral("unknown target_encoding \"pointer\" (expected \"index\" or \"id\")");
    QTest::newRow("empty target_encoding, zlib") << C::Zlib << sql(QStringLiteral("UPDATE graph SET target_encoding = ''")) << QStringLiteral("unknown target_encoding \"\"");
    QTest::newRow("target_encoding 'ID' (case matters)") << C::None << sql(QStringLiteral("UPDATE graph SET target_encoding = 'ID'")) << QStringLiteral("unknown target_encoding \"ID\"");
    QTest::newRow("'id' with m x 4 bytes") << C::None << sql(QStringLiteral("UPDATE graph SET target_encoding = 'id'")) << QStringLiteral("array edge_targets has 48 bytes, expected 96 for 10 nodes and 12 edges");
    QTest::newRow("'id' with m x 4 bytes, zlib") << C::Zlib << sql(QStringLiteral("UPDATE graph SET target_encoding = 'id'")) << QStringLiteral("array edge_targets has 6 entries, expected 12");
    QTest::newRow("'id' with m x 8 + 4 bytes") << C::None << asIds(targetIdsBlob(a, a.edgeTargets) + QByteArray(4, '\0')) << QStringLiteral("array edge_targets has 100 bytes, expected 96");
    QTest::newRow("'id' one entry short, zlib") << C::Zlib << asIds(zlibStream(targetIdsBlob(a, a.edgeTargets).chopped(8))) << QStringLiteral("array edge_targets has 11 entries, expected 12");
    QTest::newRow("'id' inflates past m x 8 (zip-bomb guard)") << C::Zlib << asIds(zlibStream(QByteArray(97, '\1'))) << QStringLiteral("array edge_targets: decompresses to more than the 96 bytes the counts imply");
    {
        QByteArray ids = targetIdsBlob(a, a.edgeTargets);
        qToLittleEndian<quint64>(0xdeadbeef0ull, ids.data() + 4 * 8);
        QTest::newRow("'id' that is no node") << C::None << asIds(ids) << QStringLiteral("edge_targets[4] = 0xdeadbeef0 is not the id of a node");
        ids = targetIdsBlob(a, a.edgeTargets);
        qToLittleEndian<quint64>(a.ids[9] + 8, ids.data() + 11 * 8);
        QTest::newRow("'id' inside a node, zlib") << C::Zlib << asIds(zlibStream(ids)) << QStringLiteral("edge_targets[11] = 0x%1 is not the id of a node").arg(a.ids[9] + 8, 0, 16);
        ids = targetIdsBlob(a, a.edgeTargets);
        qToLittleEndian<quint64>(0, ids.data());
        QTest::newRow("'id' 0") << C::None << asIds(ids) << QStringLiteral("edge_targets[0] = 0x0 is not the id of a node");
        // An index where an id belongs: 9 is a node index but no node's id.
        ids = targetIdsBlob(a, a.edgeTargets);
        qToLittleEndian<quint64>(9, ids.data() + 2 * 8);
        QTest::newRow("'id' holding a node index") << C::None << asIds(ids) << QStringLiteral("edge_targets[2] = 0x9 is not the id of a node");
    }
    {
        auto ids = a.ids;
        ids[7] = ids[2];
        QTest::newRow("duplicate object id, 'id' targets") << C::None << asIds(targetIdsBlob(a, a.edgeTargets), QStringLiteral(", ids = X'%1'").arg(QString::fromLatin1(PackedArray::encode(ids).toHex()))) << QStringLiteral("appears twice (nodes 2 and 7)");
    }
    QTest::newRow("version 3 graph table without target_encoding") << C::None << sql(QStringLiteral("ALTER TABLE graph DROP COLUMN target_encoding")) << QStringLiteral("reading the graph table failed (no such column: target_encoding)");
}

void TestHeapGraphStore::corruptGraph()
{
    QFETCH(HeapGraphStore::Compression, compression);
    QFETCH(Corruption, corruption);
    QFETCH(QString, error);

    const QString path = makeFile(QStringLiteral("corrupt"), 1);
    QVERIFY(HeapGraphStore::write(path, 1, cacheHeap().arrays(), compression).ok());
    QVERIFY(HeapGraph::read(HeapGraphStore::readArrays, path, 1).ok());
    QVERIFY(execSql(path, corruption.sql, corruption.blob, corruption.bind));

    Expected<HeapGraph> g = HeapGraph::read(HeapGraphStore::readArrays, path, 1);
    QVERIFY(!g.ok());
    const QString prefix = path + QStringLiteral(", snapshot 1: heap graph: ");
    QVERIFY2(g.error().startsWith(prefix), qPrintable(g.error()));
    QVERIFY2(g.error().contains(error), qPrintable(g.error()));
    QVERIFY(!g.error().contains(QLatin1Char('\n')));

    // The snapshot's counts stay usable.
    Expected<LoadedFile> loaded = SnapshotReader::read(path);
    QVERIFY2(loaded.ok(), qPrintable(loaded.error()));
    QCOMPARE(loaded.value().snapshots.size(), size_t(1));
    QVERIFY(loaded.value().snapshots[0].info.hasGraph);
    QVERIFY(loaded.value().snapshots[0].totalObjects() > 0);
}

void TestHeapGraphStore::zipBombStopsAtTheCounts_data()
{
    QTest::addColumn<QString>("update");
    QTest::addColumn<QString>("error");
    QTest::newRow("ids") << QStringLiteral("UPDATE graph SET ids = ?1")
                         << QStringLiteral("array ids: decompresses to more than the 80 bytes");
    QTest::newRow("edge_targets as ids")
        << QStringLiteral("UPDATE graph SET target_encoding = 'id', edge_targets = ?1")
        << QStringLiteral("array edge_targets: decompresses to more than the 96 bytes");
}

void TestHeapGraphStore::zipBombStopsAtTheCounts()
{
    // A 4 MiB zlib stream that would expand to 4 GiB of zeros (full-flushed
    // blocks of 1 MiB repeated), in a graph that claims 10 nodes and 12
    // edges: reading must stop right after the 80 bytes the ids (or the 96
    // bytes 'id' edge targets) may have, so the process's peak memory does
    // not grow by anything like 4 GiB.
    QFETCH(QString, update);
    QFETCH(QString, error);
    const QString path = makeFile(QStringLiteral("bomb"), 1);
    QVERIFY(HeapGraphStore::write(path, 1, cacheHeap().arrays()).ok());
    QByteArray bomb;
    {
        const QByteArray zeros(1024 * 1024, '\0');
        z_stream zs{};
        QCOMPARE(deflateInit(&zs, 9), Z_OK);
        const auto flushChunk = [&] {
            QByteArray out(64 * 1024, Qt::Uninitialized);
            zs.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(zeros.constData()));
            zs.avail_in = uInt(zeros.size());
            zs.next_out = reinterpret_cast<Bytef *>(out.data());
            zs.avail_out = uInt(out.size());
            deflate(&zs, Z_FULL_FLUSH);
            out.resize(out.size() - qsizetype(zs.avail_out));
            return out;
        };
        bomb = flushChunk(); // zlib header + the first MiB
        const QByteArray repeat = flushChunk();
        deflateEnd(&zs);
        QVERIFY(!repeat.isEmpty() && repeat.size() < 4096);
        for (int i = 1; i < 4096; ++i)
            bomb += repeat;
    }
    QVERIFY(bomb.size() < 16 * 1024 * 1024);
    QVERIFY(execSql(path, update, bomb, true));
    const qint64 peakBefore = peakRssKiB();
    Expected<HeapGraph> g = HeapGraph::read(HeapGraphStore::readArrays, path, 1);
    QVERIFY(!g.ok());
    QVERIFY2(g.error().contains(error), qPrintable(g.error()));
    const qint64 grown = peakRssKiB() - peakBefore;
    QVERIFY2(grown < 256 * 1024, qPrintable(QStringLiteral("peak RSS grew by %1 KiB").arg(grown)));
}

void TestHeapGraphStore::cancelAndProgress_data()
{
    QTest::addColumn<bool>("targetIds");
    QTest::newRow("target_encoding 'index'") << false;
    QTest::newRow("target_encoding 'id'") << true;
}

void TestHeapGraphStore::cancelAndProgress()
{
    QFETCH(bool, targetIds);
    const QString path = makeFile(QStringLiteral("cancel"), 1);
    const HeapGraphArrays big = bigHeap().arrays();
    QVERIFY(HeapGraphStore::write(path, 1, big).ok());
    if (targetIds)
        QVERIFY(execSql(path, QStringLiteral("UPDATE graph SET target_encoding = 'id', edge_targets = ?1"),
                        zlibStream(targetIdsBlob(big, big.edgeTargets)), true));

    std::atomic_bool cancel{false};
    QStringList phases;
    TaskControl control;
    control.cancel = &cancel;
    control.progress = [&](const char *phase, qint64 done, qint64 total) {
        QVERIFY(done <= total);
        if (!phases.contains(QLatin1String(phase)))
            phases << QLatin1String(phase);
    };
    Expected<HeapGraph> g = HeapGraph::read(HeapGraphStore::readArrays, path, 1, control);
    QVERIFY2(g.ok(), qPrintable(g.error()));
    QVERIFY2(phases.contains(QStringLiteral("reading graph")), qPrintable(phases.join(QLatin1Char(','))));
    QVERIFY2(phases.contains(QStringLiteral("in-edges")), qPrintable(phases.join(QLatin1Char(','))));
    QCOMPARE(phases.contains(QStringLiteral("resolving edge targets")), targetIds);

    if (targetIds) {
        // Cancelled in the middle of resolving: nothing after it runs.
        QVERIFY(big.edgeTargets.size() > 65536); // more than one chunk
        QStringList after;
        control.progress = [&](const char *phase, qint64 done, qint64 total) {
            if (cancel)
                after << QStringLiteral("%1 %2/%3").arg(QLatin1String(phase)).arg(done).arg(total);
            if (qstrcmp(phase, "resolving edge targets") == 0 && done > 0 && done < total)
                cancel = true;
        };
        g = HeapGraph::read(HeapGraphStore::readArrays, path, 1, control);
        QVERIFY(!g.ok());
        QVERIFY2(g.error().endsWith(QStringLiteral("heap graph: loading cancelled")), qPrintable(g.error()));
        QVERIFY2(cancel, "never reported a partly resolved state");
        QVERIFY2(after.isEmpty(), qPrintable(after.join(QLatin1Char(','))));
        cancel = false;
    }

    // Cancelled from the progress callback in the middle of reading.
    control.progress = [&](const char *, qint64 done, qint64) {
        if (done >= 2)
            cancel = true;
    };
    g = HeapGraph::read(HeapGraphStore::readArrays, path, 1, control);
    QVERIFY(!g.ok());
    QVERIFY2(g.error().endsWith(QStringLiteral("loading cancelled")), qPrintable(g.error()));
}

void TestHeapGraphStore::nodeCountBombRefusedUpFront()
{
    // Issue 12, item 7: a graph whose arrays are all valid zlib streams of
    // zeros claiming 20M nodes (a 420 MB graph from a ~0.5 MB file). Before,
    // every array was inflated (and the file refused only at the type check
    // after all of them); now the node count is refused from the stored size
    // of the ids before anything is decompressed.
    const QString path = makeFile(QStringLiteral("nodebomb"), 1);
    const readertest::ProcessResult r = readertest::runProcess(
        QStringLiteral(LEAKSCOPE_PYTHON),
        {readertest::dataFile("make_graph_bomb.py"), path, QStringLiteral("nodes"), QStringLiteral("20000000")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY(QFileInfo(path).size() < 1024 * 1024);
    const qint64 peakBefore = peakRssKiB();
    Expected<HeapGraph> g = HeapGraph::read(HeapGraphStore::readArrays, path, 1);
    QVERIFY(!g.ok());
    QVERIFY2(g.error().contains(QStringLiteral("node_count 20000000 cannot be true")), qPrintable(g.error()));
    const qint64 grown = peakRssKiB() - peakBefore;
    QVERIFY2(grown < 32 * 1024, qPrintable(QStringLiteral("peak RSS grew by %1 KiB").arg(grown)));
}

void TestHeapGraphStore::edgeCountBombRefusedUpFront()
{
    // Issue 12, item 7: a ~2.5 MB file whose graph declares 300M edges (2
    // nodes, every edge from one to the other) with valid zlib streams of
    // exactly the lengths the counts imply. Only a RAM/2 check bounded the
    // edges: the reader inflated 2.4 GB (a minute, 3.5 GB of memory) before
    // it found the labels wrong. Now the counts are refused from the stored
    // sizes before anything is decompressed.
    const QString path = makeFile(QStringLiteral("edgebomb"), 1);
    const readertest::ProcessResult r = readertest::runProcess(
        QStringLiteral(LEAKSCOPE_PYTHON),
        {readertest::dataFile("make_graph_bomb.py"), path, QStringLiteral("edges"), QStringLiteral("300000000")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY(QFileInfo(path).size() < 8 * 1024 * 1024);
    const qint64 peakBefore = peakRssKiB();
    Expected<HeapGraph> g = HeapGraph::read(HeapGraphStore::readArrays, path, 1);
    QVERIFY(!g.ok());
    QVERIFY2(g.error().contains(QStringLiteral("2 nodes and 300000000 edges cannot be true")), qPrintable(g.error()));
    QVERIFY2(g.error().contains(QStringLiteral("more than 64:1")), qPrintable(g.error()));
    const qint64 grown = peakRssKiB() - peakBefore;
    QVERIFY2(grown < 32 * 1024, qPrintable(QStringLiteral("peak RSS grew by %1 KiB").arg(grown)));
}

void TestHeapGraphStore::typeIdsSpanningInt64_data()
{
    QTest::addColumn<QString>("ids");
    QTest::addColumn<bool>("loads");
    // The lowest and highest int64 as type ids: their difference overflows
    // int64, which once made the lookup table 0 entries long and wrote
    // through a null pointer (issue 12, item 5).
    QTest::newRow("INT64_MIN and INT64_MAX") << QStringLiteral("(-9223372036854775808, 'lo'), (9223372036854775807, 'hi')") << true;
    QTest::newRow("INT64_MIN and 1000") << QStringLiteral("(-9223372036854775808, 'lo'), (1000, 'hi')") << true;
    QTest::newRow("-1 and INT64_MAX") << QStringLiteral("(-1, 'lo'), (9223372036854775807, 'hi')") << true;
}

void TestHeapGraphStore::typeIdsSpanningInt64()
{
    QFETCH(QString, ids);
    QFETCH(bool, loads);
    const QString path = makeFile(QStringLiteral("int64types"), 1);
    QVERIFY(HeapGraphStore::write(path, 1, cacheHeap().arrays()).ok());
    QVERIFY(execSql(path, QStringLiteral("INSERT INTO type(id, name) VALUES %1").arg(ids)));
    Expected<HeapGraph> g = HeapGraph::read(HeapGraphStore::readArrays, path, 1);
    QCOMPARE(g.ok(), loads);
    if (loads)
        QCOMPARE(g.value().nodeCount(), quint32(10));
    // The counts reader maps the same ids (flagged by UBSan before).
    Expected<LoadedFile> loaded = SnapshotReader::read(path);
    QVERIFY2(loaded.ok(), qPrintable(loaded.error()));
    QVERIFY(loaded.value().types.find(QStringLiteral("lo")) >= 0);
    QVERIFY(loaded.value().types.find(QStringLiteral("hi")) >= 0);
}

QTEST_GUILESS_MAIN(TestHeapGraphStore)
#include "tst_heapgraphstore.moc"
