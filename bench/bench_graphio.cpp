// Heap graphs through a .lsnap file: write a synthetic heap-like graph with
// HeapGraphStore, then load it back (SQLite read + zlib + decode +
// HeapGraph::fromArrays) against a baseline measured in the same run: the raw
// SQLite read of the same BLOBs and strings, nothing decoded.
//
//   bench_graphio [nodes=1000000] [edges per node=2.5]
//
// Prints thread CPU times (best of 3), ratios to the baseline and bytes per node in the
// file, for zlib and uncompressed BLOBs. Then the same graph with edge targets
// stored as object ids (format version 3, target_encoding 'id', as the Python
// agent writes them): what resolving them to node indices adds to readArrays.
// Nothing is asserted.

#include "lsnap/heapgraphstore.h"
#include "core/packedarray.h"
#include "heapgraph/heapgraph.h"
#include "lsnap/snapshotwriter.h"
#include "lsnap/sqlitedatabase.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>
#include <ctime>

using namespace leakscope;

namespace {

double threadCpuSeconds()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

// Best of `runs` in this thread's CPU time (user + system): robust on a
// machine busy with other work, where wall time mostly measures waiting.
template <typename F>
double bestOf(int runs, F &&f)
{
    double best = 1e300;
    for (int i = 0; i < runs; ++i) {
        const double start = threadCpuSeconds();
        f();
        best = std::min(best, threadCpuSeconds() - start);
    }
    return best;
}

struct Lcg
{
    quint64 state = 0x2545F4914F6CDD1Dull;
    quint32 next()
    {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        return quint32(state >> 33);
    }
    // Roughly Zipf: small values much more often than large ones.
    quint32 skewed(quint32 range)
    {
        const double u = double(next()) / 2147483648.0;
        return std::min(range - 1, quint32(double(range) * u * u * u));
    }
};

// Objects in allocation-like order: addresses grow in arenas with gaps,
// types and sizes skewed, 2.5 references per object mostly to nearby objects
// (containers and their items) and to a few hot ones (classes, modules),
// labels on modules/classes/functions and short reprs, edge labels on about
// half of the references (attribute names, dict keys, list indices).
HeapGraphArrays syntheticHeap(quint32 n, double edgesPerNode)
{
    Lcg rng;
    HeapGraphArrays a;
    const quint32 typeCount = 2000;
    for (quint32 t = 0; t < typeCount; ++t)
        a.typeNames.push_back(t < 40 ? QStringLiteral("builtin%1").arg(t)
                                     : QStringLiteral("package%1.module%2.Type%3").arg(t % 37).arg(t % 11).arg(t));
    const quint32 hot = std::max<quint32>(n / 1000, 1);
    a.ids.resize(n);
    a.types.resize(n);
    a.sizes.resize(n);
    a.flags.assign(n, 0);
    a.nodeLabels.assign(n, -1);
    quint64 address = 0x7f3a10000000ull;
    for (quint32 i = 0; i < n; ++i) {
        address += 16 * (1 + rng.skewed(40));
        if (rng.next() % 4096 == 0)
            address += 0x100000; // a new arena
        a.ids[i] = address;
        a.types[i] = qint32(rng.skewed(typeCount));
        a.sizes[i] = 16 + 8 * rng.skewed(200);
        if (i < hot) {
            a.flags[i] = i % 3 == 0 ? HeapGraph::ModuleRoot : HeapGraph::ClassRoot;
            a.nodeLabels[i] = qint32(a.strings.size());
            a.strings.push_back(QStringLiteral("package%1.module%2").arg(i % 37).arg(i));
        } else if (rng.next() % 4 == 0) {
            a.nodeLabels[i] = qint32(a.strings.size());
            a.strings.push_back(QStringLiteral("'value %1'").arg(rng.next() % 100000));
        }
    }
    const qint32 firstKey = qint32(a.strings.size());
    for (int k = 0; k < 5000; ++k)
        a.strings.push_back(k < 200 ? QStringLiteral(".attr%1").arg(k) : QStringLiteral("['key%1']").arg(k));
    const quint64 m = quint64(double(n) * edgesPerNode);
    a.edgeOffsets.resize(size_t(n) + 1);
    a.edgeTargets.reserve(m);
    a.edgeLabels.reserve(m);
    for (quint32 i = 0; i < n; ++i) {
        a.edgeOffsets[i] = a.edgeTargets.size();
        const quint32 out = quint32(rng.skewed(quint32(edgesPerNode * 4)) + (rng.next() % 2));
        for (quint32 e = 0; e < out && a.edgeTargets.size() < m; ++e) {
            const quint32 r = rng.next() % 10;
            quint32 target;
            if (r < 2)
                target = rng.next() % hot; // its class or module
            else if (r < 9)
                target = std::min(n - 1, i + 1 + rng.skewed(64)); // its items
            else
                target = rng.next() % n;
            a.edgeTargets.push_back(target);
            a.edgeLabels.push_back(rng.next() % 2 ? firstKey + qint32(rng.skewed(5000)) : -1);
        }
    }
    a.edgeOffsets[n] = a.edgeTargets.size();
    return a;
}

// The baseline: every BLOB and string of the graph read through SQLite into
// memory, as a reader must at least do, and nothing decoded.
qint64 rawRead(const QString &path, qint64 snapshot)
{
    SqliteDatabase db;
    if (!db.open(path, SqliteDatabase::ReadOnly))
        return -1;
    qint64 bytes = 0;
    SqliteStatement graph = db.prepare(
        "SELECT ids, types, sizes, flags, edge_offsets, edge_targets FROM graph WHERE snapshot = ?1");
    graph.bindInt64(1, snapshot);
    if (graph.step() != SqliteStatement::Row)
        return -1;
    for (int c = 0; c < 6; ++c)
        bytes += graph.blob(c).size();
    SqliteStatement labels = db.prepare("SELECT node_labels, edge_labels FROM graph_label WHERE snapshot = ?1");
    labels.bindInt64(1, snapshot);
    if (labels.step() == SqliteStatement::Row)
        bytes += labels.blob(0).size() + labels.blob(1).size();
    SqliteStatement strings = db.prepare("SELECT id, text FROM graph_string WHERE snapshot = ?1 ORDER BY id");
    strings.bindInt64(1, snapshot);
    while (strings.step() == SqliteStatement::Row)
        bytes += strings.text(1).size();
    return bytes;
}

// A copy of `path` whose graph stores edge targets as the targets' ids.
bool writeIdTargets(const QString &path, const QString &copy, const HeapGraphArrays &a, bool zlib)
{
    if (!QFile::copy(path, copy))
        return false;
    std::vector<quint64> targetIds(a.edgeTargets.size());
    for (size_t e = 0; e < targetIds.size(); ++e)
        targetIds[e] = a.ids[a.edgeTargets[e]];
    QByteArray blob = PackedArray::encode(targetIds);
    if (zlib)
        blob = qCompress(blob, 1).mid(4); // 4-byte length, then one zlib stream
    SqliteDatabase db;
    if (!db.open(copy, SqliteDatabase::ReadWriteCreate))
        return false;
    SqliteStatement update = db.prepare("UPDATE graph SET target_encoding = 'id', edge_targets = ?1");
    update.bindBlob(1, blob);
    if (!update.isValid() || update.step() != SqliteStatement::Done)
        return false;
    update = SqliteStatement();
    // The UPDATE rewrote the whole row and left the old pages free: without
    // VACUUM the file size says nothing about the encoding.
    return db.exec("VACUUM");
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    const quint32 n = args.size() > 1 ? args.at(1).toUInt() : 1000000;
    const double edgesPerNode = args.size() > 2 ? args.at(2).toDouble() : 2.5;
    QTemporaryDir dir;

    QElapsedTimer timer;
    timer.start();
    const HeapGraphArrays arrays = syntheticHeap(n, edgesPerNode);
    std::printf("synthetic heap: %u nodes, %zu edges, %zu strings (generated in %.2f s)\n", n,
                arrays.edgeTargets.size(), arrays.strings.size(), double(timer.nsecsElapsed()) / 1e9);

    for (const auto compression : {HeapGraphStore::Compression::Zlib, HeapGraphStore::Compression::None}) {
        const bool zlib = compression == HeapGraphStore::Compression::Zlib;
        const QString path = dir.filePath(zlib ? QStringLiteral("zlib.lsnap") : QStringLiteral("none.lsnap"));
        qint64 emptySize = 0;
        {
            SnapshotWriter writer;
            TypeRegistry types;
            Snapshot s;
            s.info.label = QStringLiteral("bench");
            s.stats.push_back(TypeStat{types.intern(QStringLiteral("dict")), 1, 1});
            if (!writer.open(path) || !writer.append(s, types)) {
                std::fprintf(stderr, "cannot create %s\n", qPrintable(path));
                return 1;
            }
        }
        emptySize = QFileInfo(path).size();
        timer.restart();
        const Status written = HeapGraphStore::write(path, 1, arrays, compression);
        const double writeSeconds = double(timer.nsecsElapsed()) / 1e9;
        if (!written) {
            std::fprintf(stderr, "%s\n", qPrintable(written.error()));
            return 1;
        }
        const qint64 fileBytes = QFileInfo(path).size() - emptySize;

        qint64 rawBytes = 0;
        const double raw = bestOf(3, [&] { rawBytes = rawRead(path, 1); });
        double arraysOnly = 0;
        const double load = bestOf(3, [&] {
            const double start = threadCpuSeconds();
            Expected<HeapGraphArrays> a = HeapGraphStore::readArrays(path, 1);
            const double readSeconds = threadCpuSeconds() - start;
            if (!a) {
                std::fprintf(stderr, "%s\n", qPrintable(a.error()));
                std::exit(1);
            }
            Expected<HeapGraph> g = HeapGraph::fromArrays(a.take());
            if (!g || g.value().nodeCount() != n) {
                std::fprintf(stderr, "load failed\n");
                std::exit(1);
            }
            if (arraysOnly == 0 || readSeconds < arraysOnly)
                arraysOnly = readSeconds;
        });
        std::printf("\n%s BLOBs: file grows by %.1f MiB = %.1f bytes per node (written in %.2f s)\n",
                    zlib ? "zlib" : "uncompressed", double(fileBytes) / 1048576.0, double(fileBytes) / double(n),
                    writeSeconds);
        std::printf("  baseline, raw SQLite read of %.1f MiB of BLOBs and strings: %7.1f ms\n",
                    double(rawBytes) / 1048576.0, raw * 1e3);
        std::printf("  HeapGraphStore::readArrays (read, %sdecode, check):  %7.1f ms = %.1fx baseline\n",
                    zlib ? "inflate, " : "", arraysOnly * 1e3, arraysOnly / raw);
        std::printf("  ... + HeapGraph::fromArrays (load total):            %7.1f ms = %.1fx baseline\n",
                    load * 1e3, load / raw);

        const QString idPath = path + QStringLiteral(".ids.lsnap");
        if (!writeIdTargets(path, idPath, arrays, zlib)) {
            std::fprintf(stderr, "cannot write %s\n", qPrintable(idPath));
            return 1;
        }
        // The loader logs the resolution step alone (build + lookups).
        QLoggingCategory::setFilterRules(QStringLiteral("leakscope.model.graphstore.debug=true"));
        const double idArrays = bestOf(3, [&] {
            Expected<HeapGraphArrays> a = HeapGraphStore::readArrays(idPath, 1);
            if (!a || a.value().edgeTargets != arrays.edgeTargets) {
                std::fprintf(stderr, "id targets: %s\n", a ? "resolved to other nodes" : qPrintable(a.error()));
                std::exit(1);
            }
        });
        QLoggingCategory::setFilterRules(QString());
        std::printf("  target_encoding 'id' (file %.1f MiB larger): readArrays %7.1f ms = +%.1f ms over 'index'\n",
                    double(QFileInfo(idPath).size() - QFileInfo(path).size()) / 1048576.0, idArrays * 1e3,
                    (idArrays - arraysOnly) * 1e3);
    }
    return 0;
}
