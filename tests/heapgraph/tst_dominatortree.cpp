// DominatorTree against a naive reference (iterative dataflow over dominator
// sets) on random and hand-made graphs, and retained sizes checked by hand.

#include "heapgraph/dominatortree.h"
#include "heapgraph/heapgraph.h"
#include "testutil/heapgraphtestutil.h"

#include <QtTest>

#include <random>

using namespace leakscope;
using leakscope::test::GraphSpec;

namespace {

// The textbook definition, for checking: dom(root) = {root},
// dom(v) = {v} ∪ ⋂ dom(p) over predecessors p, iterated to a fixed point on
// the graph with the same virtual root the real implementation uses.
struct NaiveDominators
{
    std::vector<quint32> idom;     // NoNode = the virtual root
    std::vector<quint64> retained;
    std::vector<quint64> typeRetained;
    quint32 unreachable = 0;

    explicit NaiveDominators(const HeapGraph &g)
    {
        const quint32 n = g.nodeCount();
        const quint32 root = n;
        std::vector<std::vector<quint32>> preds(n + 1);
        std::vector<std::vector<quint32>> succs(n + 1);
        for (quint32 v = 0; v < n; ++v) {
            for (quint32 e = g.outBegin(v); e < g.outEnd(v); ++e) {
                preds[g.target(e)].push_back(v);
                succs[v].push_back(g.target(e));
            }
        }
        auto linkRoot = [&](quint32 v) {
            preds[v].push_back(root);
            succs[root].push_back(v);
        };
        for (quint32 v = 0; v < n; ++v) {
            if (g.isRoot(v) || preds[v].empty())
                linkRoot(v);
        }
        // Attach the lowest unreached node, again and again.
        for (;;) {
            std::vector<bool> seen(n + 1, false);
            std::vector<quint32> todo{root};
            seen[root] = true;
            while (!todo.empty()) {
                const quint32 v = todo.back();
                todo.pop_back();
                for (quint32 s : succs[v]) {
                    if (!seen[s]) {
                        seen[s] = true;
                        todo.push_back(s);
                    }
                }
            }
            quint32 first = n;
            for (quint32 v = 0; v < n && first == n; ++v) {
                if (!seen[v])
                    first = v;
            }
            if (first == n)
                break;
            linkRoot(first);
            ++unreachable;
        }

        std::vector<std::vector<bool>> dom(n + 1, std::vector<bool>(n + 1, true));
        dom[root].assign(n + 1, false);
        dom[root][root] = true;
        for (bool changed = true; changed;) {
            changed = false;
            for (quint32 v = 0; v < n; ++v) {
                std::vector<bool> next(n + 1, true);
                for (quint32 p : preds[v]) {
                    for (quint32 i = 0; i <= n; ++i)
                        next[i] = next[i] && dom[p][i];
                }
                next[v] = true;
                if (next != dom[v]) {
                    dom[v] = std::move(next);
                    changed = true;
                }
            }
        }
        // The immediate dominator is the strict dominator with the most
        // dominators of its own (strict dominators form a chain).
        auto domCount = [&](quint32 v) { return std::count(dom[v].begin(), dom[v].end(), true); };
        idom.assign(n, HeapGraph::NoNode);
        for (quint32 v = 0; v < n; ++v) {
            qint64 best = -1;
            for (quint32 d = 0; d < n; ++d) {
                if (d != v && dom[v][d] && domCount(d) > best) {
                    best = domCount(d);
                    idom[v] = d;
                }
            }
        }
        retained.assign(n, 0);
        typeRetained.assign(size_t(g.typeCount()), 0);
        for (quint32 a = 0; a < n; ++a) {
            for (quint32 b = 0; b < n; ++b) {
                if (dom[b][a])
                    retained[a] += g.shallowSize(b);
            }
        }
        for (quint32 v = 0; v < n; ++v) {
            bool covered = false;
            for (quint32 d = 0; d < n; ++d) {
                if (d != v && dom[v][d] && g.type(d) == g.type(v))
                    covered = true;
            }
            if (!covered)
                typeRetained[size_t(g.type(v))] += retained[v];
        }
    }
};

HeapGraph build(const GraphSpec &spec)
{
    auto g = HeapGraph::fromArrays(spec.arrays());
    if (!g.ok())
        qFatal("%s", qPrintable(g.error()));
    return g.take();
}

DominatorTree dominators(const HeapGraph &g)
{
    auto d = DominatorTree::compute(g);
    if (!d.ok())
        qFatal("%s", qPrintable(d.error()));
    return d.take();
}

} // namespace

class TestDominatorTree : public QObject
{
    Q_OBJECT

private slots:
    void matchesNaiveOnRandomGraphs_data()
    {
        QTest::addColumn<int>("seed");
        QTest::addColumn<int>("nodes");
        QTest::addColumn<double>("edgesPerNode");
        QTest::addColumn<int>("roots");
        QTest::newRow("50 nodes, sparse, 1 root") << 1 << 50 << 1.2 << 1;
        QTest::newRow("80 nodes, no flagged root (unreachable cycles)") << 2 << 80 << 1.5 << 0;
        QTest::newRow("120 nodes, 2.5 edges, 3 roots") << 3 << 120 << 2.5 << 3;
        QTest::newRow("200 nodes, dense, 5 roots") << 4 << 200 << 4.0 << 5;
        QTest::newRow("300 nodes, tree-like plus cross links") << 5 << 300 << 1.1 << 2;
        QTest::newRow("500 nodes, 2.5 edges, 10 roots") << 6 << 500 << 2.5 << 10;
        QTest::newRow("500 nodes, very sparse, no roots") << 7 << 500 << 0.8 << 0;
        QTest::newRow("64 nodes, dense") << 8 << 64 << 6.0 << 1;
    }

    void matchesNaiveOnRandomGraphs()
    {
        QFETCH(int, seed);
        QFETCH(int, nodes);
        QFETCH(double, edgesPerNode);
        QFETCH(int, roots);
        std::mt19937 rng(static_cast<quint32>(seed));
        GraphSpec s;
        s.nodes = quint32(nodes);
        s.typeNames = {QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")};
        for (int i = 0; i < nodes; ++i) {
            s.types.push_back(qint32(rng() % 3));
            s.sizes.push_back(16 + rng() % 200);
        }
        // Mostly downward edges (a heap is tree-like), some back edges and
        // self loops.
        const int edges = int(nodes * edgesPerNode);
        for (int e = 0; e < edges; ++e) {
            const quint32 from = rng() % quint32(nodes);
            quint32 to;
            switch (rng() % 10) {
            case 0: to = from; break;                               // self loop
            case 1: case 2: to = rng() % quint32(nodes); break;    // anywhere, cycles
            default: to = from + 1 + rng() % 8; break;              // near, downward
            }
            if (to < quint32(nodes))
                s.edge(from, to);
        }
        for (int r = 0; r < roots; ++r)
            s.flags.push_back({quint32(rng() % quint32(nodes)), quint8(HeapGraph::ModuleRoot)});

        const HeapGraph g = build(s);
        const DominatorTree tree = dominators(g);
        const NaiveDominators naive(g);
        QCOMPARE(tree.unreachableCount(), naive.unreachable);
        for (quint32 v = 0; v < g.nodeCount(); ++v) {
            QVERIFY2(tree.immediateDominator(v) == naive.idom[v],
                     qPrintable(QStringLiteral("idom(%1) = %2, naive %3")
                                    .arg(v).arg(qint64(tree.immediateDominator(v))).arg(qint64(naive.idom[v]))));
            QCOMPARE(tree.retainedSize(v), naive.retained[v]);
        }
        for (int t = 0; t < g.typeCount(); ++t)
            QCOMPARE(tree.retainedSizeOfType(t), naive.typeRetained[size_t(t)]);
        quint64 total = 0;
        for (quint32 v = 0; v < g.nodeCount(); ++v)
            total += g.shallowSize(v);
        QCOMPARE(tree.totalSize(), total);
    }

    void handMadeGraphs_data()
    {
        QTest::addColumn<int>("nodes");
        QTest::addColumn<QList<int>>("edges"); // from, to pairs
        QTest::addColumn<QList<int>>("roots");
        QTest::addColumn<QList<int>>("idom");  // -1 = virtual root
        QTest::newRow("chain 0->1->2->3") << 4 << QList<int>{0, 1, 1, 2, 2, 3} << QList<int>{0}
                                          << QList<int>{-1, 0, 1, 2};
        QTest::newRow("diamond 0->1,2->3") << 4 << QList<int>{0, 1, 0, 2, 1, 3, 2, 3} << QList<int>{0}
                                           << QList<int>{-1, 0, 0, 0};
        QTest::newRow("cycle below a root") << 4 << QList<int>{0, 1, 1, 2, 2, 3, 3, 1} << QList<int>{0}
                                            << QList<int>{-1, 0, 1, 2};
        QTest::newRow("self loop") << 3 << QList<int>{0, 1, 1, 1, 1, 2} << QList<int>{0} << QList<int>{-1, 0, 1};
        QTest::newRow("two roots share an object") << 3 << QList<int>{0, 2, 1, 2} << QList<int>{0, 1}
                                                   << QList<int>{-1, -1, -1};
        QTest::newRow("unreferenced object is its own root") << 3 << QList<int>{0, 1, 2, 1} << QList<int>{}
                                                             << QList<int>{-1, -1, -1};
        QTest::newRow("isolated cycle hangs off the virtual root at its lowest node")
            << 4 << QList<int>{0, 1, 2, 3, 3, 2} << QList<int>{0} << QList<int>{-1, 0, -1, 2};
        QTest::newRow("edge back into a root does not change the root")
            << 3 << QList<int>{0, 1, 1, 2, 2, 0} << QList<int>{0} << QList<int>{-1, 0, 1};
        QTest::newRow("long way round: 0->1->2->3, 0->3") << 4 << QList<int>{0, 1, 1, 2, 2, 3, 0, 3}
                                                          << QList<int>{0} << QList<int>{-1, 0, 1, 0};
    }

    void handMadeGraphs()
    {
        QFETCH(int, nodes);
        QFETCH(QList<int>, edges);
        QFETCH(QList<int>, roots);
        QFETCH(QList<int>, idom);
        GraphSpec s;
        s.nodes = quint32(nodes);
        for (int i = 0; i + 1 < edges.size(); i += 2)
            s.edge(quint32(edges[i]), quint32(edges[i + 1]));
        for (int r : roots)
            s.flags.push_back({quint32(r), HeapGraph::ModuleRoot});
        const HeapGraph g = build(s);
        const DominatorTree tree = dominators(g);
        for (int v = 0; v < nodes; ++v) {
            const quint32 expected = idom[v] < 0 ? HeapGraph::NoNode : quint32(idom[v]);
            QCOMPARE(tree.immediateDominator(quint32(v)), expected);
        }
        const NaiveDominators naive(g);
        QCOMPARE(tree.unreachableCount(), naive.unreachable);
    }

    // A module-level cache: module -> module dict -> _CACHE dict -> entries.
    // The cache dict retains every entry and what only they reference; an
    // entry shared with another module is retained by neither.
    void retainedSizesByHand()
    {
        GraphSpec s;
        s.nodes = 8;
        s.typeNames = {QStringLiteral("module"), QStringLiteral("dict"), QStringLiteral("__main__.Entry"),
                       QStringLiteral("bytes")};
        //          0 mod  1 dict 2 cache 3 e1 4 e2 5 payload1 6 other mod 7 shared entry
        s.types = {0, 1, 1, 2, 2, 3, 0, 2};
        s.sizes = {72, 1000, 640, 48, 48, 4096, 72, 48};
        s.flags = {{0, HeapGraph::ModuleRoot}, {6, HeapGraph::ModuleRoot}};
        s.edge(0, 1, QStringLiteral("__dict__"));
        s.edge(1, 2, QStringLiteral("_CACHE"));
        s.edge(2, 3, QStringLiteral("['a']"));
        s.edge(2, 4, QStringLiteral("['b']"));
        s.edge(3, 5, QStringLiteral("payload"));
        s.edge(2, 7, QStringLiteral("['c']"));
        s.edge(6, 7, QStringLiteral("shared"));
        const HeapGraph g = build(s);
        const DominatorTree tree = dominators(g);
        QCOMPARE(tree.retainedSize(5), 4096u);
        QCOMPARE(tree.retainedSize(3), 48u + 4096u);
        QCOMPARE(tree.retainedSize(4), 48u);
        QCOMPARE(tree.retainedSize(7), 48u);
        QCOMPARE(tree.retainedSize(2), 640u + 48u + 4096u + 48u); // not the shared entry
        QCOMPARE(tree.retainedSize(1), 1000u + 640u + 48u + 4096u + 48u);
        QCOMPARE(tree.retainedSize(0), 72u + 1000u + 640u + 48u + 4096u + 48u);
        QCOMPARE(tree.immediateDominator(7), HeapGraph::NoNode);
        QVERIFY(tree.dominates(2, 5));
        QVERIFY(!tree.dominates(2, 7));
        QVERIFY(tree.dominates(5, 5));
        // Per type: the module dict contains the cache dict, so dict counts once.
        QCOMPARE(tree.retainedSizeOfType(1), tree.retainedSize(1));
        QCOMPARE(tree.retainedSizeOfType(2), (48u + 4096u) + 48u + 48u);
        QCOMPARE(tree.retainedSizeOfType(3), 4096u);
        QCOMPARE(tree.retainedSizeOfType(0), tree.retainedSize(0) + tree.retainedSize(6));
        QCOMPARE(tree.totalSize(), tree.retainedSize(0) + tree.retainedSize(6) + tree.retainedSize(7));
        QCOMPARE(tree.retainedSizeOfType(99), 0u);
        // Top retainers skip the modules by default.
        QCOMPARE(tree.topRetainers(g, 4), (std::vector<quint32>{1, 2, 3, 5}));
        QCOMPARE(tree.topRetainers(g, 2, false), (std::vector<quint32>{0, 1}));
        QCOMPARE(tree.topTypes(2), (std::vector<qint32>{0, 1}));
        QCOMPARE(tree.dominatedBy(2), (std::vector<quint32>{3, 4}));
        QCOMPARE(tree.dominatedBy(HeapGraph::NoNode), (std::vector<quint32>{0, 6, 7}));
        QCOMPARE(tree.dominatedBy(5), std::vector<quint32>{});
    }

    // A linked list of instances of one type counts once per type.
    void linkedListCountsOncePerType()
    {
        GraphSpec s;
        s.nodes = 11;
        s.typeNames = {QStringLiteral("module"), QStringLiteral("Node")};
        s.types.assign(11, 1);
        s.types[0] = 0;
        s.sizes.assign(11, 10);
        s.flags = {{0, HeapGraph::ModuleRoot}};
        for (quint32 i = 0; i < 10; ++i)
            s.edge(i, i + 1, QStringLiteral("next"));
        const HeapGraph g = build(s);
        const DominatorTree tree = dominators(g);
        QCOMPARE(tree.retainedSize(1), 100u);
        QCOMPARE(tree.retainedSizeOfType(1), 100u);
    }

    void deepChainNeedsNoRecursion()
    {
        // 300k nodes in one chain would overflow a recursive DFS.
        const quint32 n = 300000;
        HeapGraphArrays a;
        a.typeNames = {QStringLiteral("x")};
        a.ids.resize(n);
        a.types.assign(n, 0);
        a.sizes.assign(n, 1);
        a.edgeOffsets.resize(n + 1);
        for (quint32 i = 0; i < n; ++i) {
            a.ids[i] = i;
            a.edgeOffsets[i] = i;
            if (i + 1 < n)
                a.edgeTargets.push_back(i + 1);
        }
        a.edgeOffsets[n] = n - 1;
        auto g = HeapGraph::fromArrays(std::move(a));
        QVERIFY2(g.ok(), qPrintable(g.error()));
        const DominatorTree tree = dominators(g.value());
        QCOMPARE(tree.immediateDominator(n - 1), n - 2);
        QCOMPARE(tree.retainedSize(0), quint64(n));
        QCOMPARE(tree.retainedSize(n / 2), quint64(n - n / 2));
    }

    void emptyGraph()
    {
        HeapGraphArrays a;
        a.edgeOffsets = {0};
        auto g = HeapGraph::fromArrays(std::move(a));
        QVERIFY(g.ok());
        auto tree = DominatorTree::compute(g.value());
        QVERIFY(tree.ok());
        QCOMPARE(tree.value().nodeCount(), 0u);
        QCOMPARE(tree.value().totalSize(), 0u);
    }

    void cancelsAndReportsProgress()
    {
        GraphSpec s;
        s.nodes = 20000;
        for (quint32 i = 0; i + 1 < s.nodes; ++i)
            s.edge(i, i + 1);
        const HeapGraph g = build(s);
        int reports = 0;
        TaskControl control;
        control.progress = [&](const char *, qint64 done, qint64 total) {
            QVERIFY(done <= total);
            ++reports;
        };
        QVERIFY(DominatorTree::compute(g, control).ok());
        QVERIFY(reports > 0);
        std::atomic_bool cancel{true};
        control.cancel = &cancel;
        auto cancelled = DominatorTree::compute(g, control);
        QVERIFY(!cancelled.ok());
        QVERIFY2(cancelled.error().contains(QStringLiteral("cancelled")), qPrintable(cancelled.error()));
    }
};

QTEST_GUILESS_MAIN(TestDominatorTree)
#include "tst_dominatortree.moc"
