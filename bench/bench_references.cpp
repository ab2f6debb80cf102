// What the References tab does on the UI thread (sample, back-reference
// subgraph, layout input, expand, chain to root) against what it keeps off it
// (loading the graph, dominators, root paths), on a real heap the agent dumped:
// a module-level _CACHE of N Session objects plus the interpreter's own heap.
//
//   bench_references [N]            (default 200000; records with python3)
//   bench_references FILE.lsnap     (an existing recording, last snapshot)
#include "heapgraph/dominatortree.h"
#include "lsnap/heapgraphstore.h"
#include "heapgraph/referencechain.h"
#include "graphlayout/referencelayout.h"
#include "heapgraph/rootpathindex.h"
#include "lsnap/snapshotreader.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QProcess>
#include <QProcessEnvironment>
#include <QTemporaryDir>
#include <QTextStream>

using namespace leakscope;

namespace {

double ms(const QElapsedTimer &t)
{
    return double(t.nsecsElapsed()) / 1e6;
}

bool record(const QString &path, int n)
{
    const QString code = QStringLiteral(
        "import sys, leakscope_agent\n"
        "class Session:\n"
        "    def __init__(self, i):\n"
        "        self.user = 'u%d' % i\n"
        "        self.items = [i]\n"
        "_CACHE = {}\n"
        "for i in range(int(sys.argv[2])):\n"
        "    _CACHE[i] = Session(i)\n"
        "leakscope_agent.snapshot(sys.argv[1], graph=True)\n");
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("PYTHONPATH"), QStringLiteral(LEAKSCOPE_SOURCE_DIR "/resources/python"));
    p.setProcessEnvironment(env);
    p.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    p.start(QStringLiteral("python3"), {QStringLiteral("-c"), code, path, QString::number(n)});
    return p.waitForFinished(600000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QTextStream out(stdout);
    QTemporaryDir dir;
    QString path;
    int n = 200000;
    if (argc > 1 && QString::fromLocal8Bit(argv[1]).endsWith(QStringLiteral(".lsnap"))) {
        path = QString::fromLocal8Bit(argv[1]);
    } else {
        if (argc > 1)
            n = QString::fromLocal8Bit(argv[1]).toInt();
        path = dir.filePath(QStringLiteral("bench.lsnap"));
        if (!record(path, n)) {
            out << "recording failed\n";
            return 1;
        }
    }
    const Expected<LoadedFile> file = SnapshotReader::read(path);
    if (!file || file.value().snapshots.empty()) {
        out << (file ? QStringLiteral("no snapshots") : file.error()) << '\n';
        return 1;
    }
    const qint64 id = file.value().snapshots.back().info.id;

    QElapsedTimer t;
    t.start();
    Expected<HeapGraph> loaded = HeapGraph::read(HeapGraphStore::readArrays, path, id);
    const double loadMs = ms(t);
    if (!loaded) {
        out << loaded.error() << '\n';
        return 1;
    }
    const HeapGraph graph = loaded.take();
    t.restart();
    const Expected<DominatorTree> dom = DominatorTree::compute(graph);
    const double domMs = ms(t);
    t.restart();
    const Expected<RootPathIndex> paths = RootPathIndex::build(graph);
    const double pathsMs = ms(t);
    if (!dom || !paths)
        return 1;

    // UI thread: what selecting the type, double-clicking and Chain to root cost.
    const qint32 type = graph.findType(QStringLiteral("__main__.Session"));
    t.restart();
    const std::vector<quint32> samples = graph.sampleInstances(type, 3);
    ReferenceSubgraph sub = ReferenceSubgraph::build(graph, samples);
    const ReferenceLayout layout = ReferenceLayout::fromSubgraph(sub, &dom.value());
    const double selectMs = ms(t);
    int expandable = -1;
    for (int i = 0; i < sub.nodeCount() && expandable < 0; ++i)
        if (sub.node(i).canExpand())
            expandable = i;
    t.restart();
    if (expandable >= 0)
        sub.expand(graph, expandable);
    const ReferenceLayout expanded = ReferenceLayout::fromSubgraph(sub, &dom.value());
    const double expandMs = ms(t);
    t.restart();
    const Expected<ReferenceChain> bfs = ReferenceChain::shortestToRoot(graph, {samples.front()});
    const double bfsMs = ms(t);
    t.restart();
    const Expected<ReferenceChain> indexed = paths.value().chain(graph, {samples.front()});
    const double indexedMs = ms(t);
    if (!bfs || !indexed)
        return 1;

    out << QStringLiteral("heap graph: %1 objects, %2 references (%3 Sessions)\n")
               .arg(graph.nodeCount())
               .arg(graph.edgeCount())
               .arg(graph.instanceCount(type));
    out << QStringLiteral("background: load %1 ms, dominators %2 ms, root paths %3 ms\n")
               .arg(loadMs, 0, 'f', 1)
               .arg(domMs, 0, 'f', 1)
               .arg(pathsMs, 0, 'f', 1);
    out << QStringLiteral("UI thread: select type -> layout input %1 ms (%2 nodes) = %3x the load\n")
               .arg(selectMs, 0, 'f', 3)
               .arg(layout.input.nodes.size())
               .arg(selectMs / loadMs, 0, 'g', 3);
    out << QStringLiteral("UI thread: expand -> layout input %1 ms (%2 nodes)\n")
               .arg(expandMs, 0, 'f', 3)
               .arg(expanded.input.nodes.size());
    out << QStringLiteral("UI thread: chain to root, BFS %1 ms vs root-path index %2 ms (%3x), %4 steps\n")
               .arg(bfsMs, 0, 'f', 3)
               .arg(indexedMs, 0, 'f', 3)
               .arg(bfsMs / std::max(indexedMs, 1e-6), 0, 'f', 0)
               .arg(indexed.value().steps.size());
    return 0;
}
