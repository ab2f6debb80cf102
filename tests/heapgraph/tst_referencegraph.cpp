// Chains to roots and back-reference subgraphs on hand-built heap graphs that
// mirror the leaks users hunt: module-level caches, listeners kept as bound
// methods, exceptions kept with their tracebacks.

#include "heapgraph/dominatortree.h"
#include "heapgraph/heapgraph.h"
#include "testutil/heapgraphtestutil.h"
#include "heapgraph/referencechain.h"
#include "heapgraph/referencesubgraph.h"
#include "heapgraph/rootpathindex.h"

#include <random>

#include <QtTest>

using namespace leakscope;
using leakscope::test::GraphSpec;

namespace {

HeapGraph build(const GraphSpec &spec)
{
    auto g = HeapGraph::fromArrays(spec.arrays());
    if (!g.ok())
        qFatal("%s", qPrintable(g.error()));
    return g.take();
}

QStringList chainLabels(const HeapGraph &g, const ReferenceChain &chain)
{
    QStringList out;
    for (const auto &step : chain.steps)
        out << (step.edge == HeapGraph::NoEdge ? QStringLiteral("-") : g.edgeLabel(step.edge));
    return out;
}

std::vector<quint32> chainNodes(const ReferenceChain &chain)
{
    std::vector<quint32> out;
    for (const auto &step : chain.steps)
        out.push_back(step.node);
    return out;
}

// Types used by the leak graphs below.
enum Type { Module, Dict, List, Method, Function, Listener, Entry, Exception, Traceback, Frame, TypeCount };

GraphSpec leakSpec()
{
    GraphSpec s;
    s.typeNames = {QStringLiteral("module"), QStringLiteral("dict"), QStringLiteral("list"),
                   QStringLiteral("method"), QStringLiteral("function"), QStringLiteral("app.Listener"),
                   QStringLiteral("app.Entry"), QStringLiteral("ValueError"), QStringLiteral("traceback"),
                   QStringLiteral("frame")};
    return s;
}

} // namespace

class TestReferenceGraph : public QObject
{
    Q_OBJECT

private slots:
    // module -> __dict__ -> _CACHE -> entry, and a longer way round through a
    // list; the chain takes the short way and carries the global's name.
    void chainThroughModuleCacheIsShortestRootFirst()
    {
        GraphSpec s = leakSpec();
        s.nodes = 6;
        s.types = {Module, Dict, Dict, Entry, List, Dict};
        s.flags = {{0, HeapGraph::ModuleRoot}};
        s.labels = {{0, QStringLiteral("app.cache")}, {3, QStringLiteral("<Entry 42>")}};
        s.edge(0, 1, QStringLiteral("__dict__"));
        s.edge(1, 2, QStringLiteral("_CACHE"));
        s.edge(2, 3, QStringLiteral("['k42']"));
        s.edge(1, 4, QStringLiteral("_history"));
        s.edge(4, 5, QStringLiteral("[0]"));
        s.edge(5, 3, QStringLiteral("['last']"));
        const HeapGraph g = build(s);
        auto chain = ReferenceChain::shortestToRoot(g, {3});
        QVERIFY2(chain.ok(), qPrintable(chain.error()));
        QCOMPARE(chainNodes(chain.value()), (std::vector<quint32>{0, 1, 2, 3}));
        QCOMPARE(chainLabels(g, chain.value()),
                 (QStringList{QStringLiteral("-"), QStringLiteral("__dict__"), QStringLiteral("_CACHE"),
                              QStringLiteral("['k42']")}));
        QCOMPARE(chain.value().end, ReferenceChain::End::Root);
        QCOMPARE(chain.value().root(), 0u);
        QCOMPARE(chain.value().object(), 3u);
        QCOMPARE(g.label(chain.value().root()), QStringLiteral("app.cache"));
    }

    // A listener registered as a bound method: the method's __self__ keeps it.
    void chainThroughListenersAndSelf()
    {
        GraphSpec s = leakSpec();
        s.nodes = 7;
        s.types = {Module, Dict, List, Method, Listener, Function, Listener};
        s.flags = {{0, HeapGraph::ModuleRoot}};
        s.edge(0, 1, QStringLiteral("__dict__"));
        s.edge(1, 2, QStringLiteral("_listeners"));
        s.edge(2, 3, QStringLiteral("[0]"));
        s.edge(3, 5, QStringLiteral("__func__"));
        s.edge(3, 4, QStringLiteral("__self__"));
        s.edge(4, 3, QStringLiteral("_bound")); // a cycle back to the method
        const HeapGraph g = build(s);
        // From the type: every Listener is a source; node 6 is unreferenced
        // (falls back), but node 4 reaches a real root, so it wins.
        auto chain = ReferenceChain::shortestToRoot(g, g.nodesOfType(Listener));
        QVERIFY2(chain.ok(), qPrintable(chain.error()));
        QCOMPARE(chainNodes(chain.value()), (std::vector<quint32>{0, 1, 2, 3, 4}));
        QCOMPARE(chainLabels(g, chain.value()),
                 (QStringList{QStringLiteral("-"), QStringLiteral("__dict__"), QStringLiteral("_listeners"),
                              QStringLiteral("[0]"), QStringLiteral("__self__")}));
    }

    // An exception cached in a global and re-raised: each raise adds entries
    // to its traceback, so the chain down the tb_next links grows long. No
    // depth limit applies.
    void chainThroughLongTracebackHasNoDepthLimit()
    {
        const quint32 hops = 600;
        GraphSpec s = leakSpec();
        // 0 module, 1 dict, 2 exception, 3.. tracebacks, then the frame
        s.nodes = 3 + hops + 1;
        s.types = {Module, Dict, Exception};
        for (quint32 i = 0; i < hops; ++i)
            s.types.push_back(Traceback);
        s.types.push_back(Frame);
        s.flags = {{0, HeapGraph::ModuleRoot}};
        s.edge(0, 1, QStringLiteral("__dict__"));
        s.edge(1, 2, QStringLiteral("_LAST_ERROR"));
        s.edge(2, 3, QStringLiteral("__traceback__"));
        for (quint32 i = 0; i < hops - 1; ++i)
            s.edge(3 + i, 4 + i, QStringLiteral("tb_next"));
        const quint32 frame = 3 + hops;
        s.edge(3 + hops - 1, frame, QStringLiteral("tb_frame"));
        const HeapGraph g = build(s);
        auto chain = ReferenceChain::shortestToRoot(g, {frame});
        QVERIFY2(chain.ok(), qPrintable(chain.error()));
        QCOMPARE(chain.value().steps.size(), size_t(hops + 4));
        const QStringList labels = chainLabels(g, chain.value());
        QCOMPARE(labels.at(2), QStringLiteral("_LAST_ERROR"));
        QCOMPARE(labels.at(3), QStringLiteral("__traceback__"));
        QCOMPARE(labels.at(4), QStringLiteral("tb_next"));
        QCOMPARE(labels.last(), QStringLiteral("tb_frame"));
        QCOMPARE(labels.count(QStringLiteral("tb_next")), int(hops - 1));
        auto index = RootPathIndex::build(g);
        QVERIFY(index.ok());
        auto indexed = index.value().chain(g, {frame});
        QVERIFY2(indexed.ok(), qPrintable(indexed.error()));
        QCOMPARE(chainLabels(g, indexed.value()), labels);
    }

    void chainFallsBackToUnreferencedObject()
    {
        GraphSpec s = leakSpec();
        s.nodes = 4; // 0 -> 1 -> 2, and 3 -> 2; nothing flagged
        s.types = {Dict, Dict, Entry, List};
        s.edge(0, 1, QStringLiteral("a"));
        s.edge(1, 2, QStringLiteral("b"));
        s.edge(3, 2, QStringLiteral("[0]"));
        const HeapGraph g = build(s);
        auto chain = ReferenceChain::shortestToRoot(g, {2});
        QVERIFY2(chain.ok(), qPrintable(chain.error()));
        QCOMPARE(chain.value().end, ReferenceChain::End::Unreferenced);
        QCOMPARE(chainNodes(chain.value()), (std::vector<quint32>{3, 2}));
    }

    void chainFromARootOrUnreferencedObjectIsOneStep()
    {
        GraphSpec s = leakSpec();
        s.nodes = 3; // module 0 -> dict 1; 2 alone
        s.types = {Module, Dict, Entry};
        s.flags = {{0, HeapGraph::ModuleRoot}};
        s.edge(0, 1, QStringLiteral("__dict__"));
        const HeapGraph g = build(s);
        auto fromRoot = ReferenceChain::shortestToRoot(g, {0});
        QVERIFY(fromRoot.ok());
        QCOMPARE(chainNodes(fromRoot.value()), (std::vector<quint32>{0}));
        QCOMPARE(fromRoot.value().end, ReferenceChain::End::Root);
        auto alone = ReferenceChain::shortestToRoot(g, {2});
        QVERIFY(alone.ok());
        QCOMPARE(chainNodes(alone.value()), (std::vector<quint32>{2}));
        QCOMPARE(alone.value().end, ReferenceChain::End::Unreferenced);
        // With both as sources the root wins even though both are 0 hops away.
        auto both = ReferenceChain::shortestToRoot(g, {2, 1});
        QVERIFY(both.ok());
        QCOMPARE(chainNodes(both.value()), (std::vector<quint32>{0, 1}));
    }

    // The precomputed index answers like the per-query search: same length,
    // same end kind, a valid chain, on random graphs with and without roots.
    void rootPathIndexMatchesSearch_data()
    {
        QTest::addColumn<int>("seed");
        QTest::addColumn<int>("nodes");
        QTest::addColumn<int>("roots");
        QTest::newRow("300 nodes, 3 roots") << 1 << 300 << 3;
        QTest::newRow("300 nodes, no roots (fallbacks and cycles)") << 2 << 300 << 0;
        QTest::newRow("1000 nodes, 1 root") << 3 << 1000 << 1;
        QTest::newRow("60 nodes, 10 roots") << 4 << 60 << 10;
    }

    void rootPathIndexMatchesSearch()
    {
        QFETCH(int, seed);
        QFETCH(int, nodes);
        QFETCH(int, roots);
        std::mt19937 rng(static_cast<quint32>(seed));
        GraphSpec s;
        s.nodes = quint32(nodes);
        for (int e = 0; e < nodes * 2; ++e) {
            const quint32 from = rng() % quint32(nodes);
            const quint32 to = rng() % 3 ? std::min<quint32>(quint32(nodes) - 1, from + 1 + rng() % 5)
                                         : quint32(rng() % quint32(nodes));
            s.edge(from, to, QStringLiteral("e%1").arg(e));
        }
        for (int r = 0; r < roots; ++r)
            s.flags.push_back({quint32(rng() % quint32(nodes)), quint8(HeapGraph::ModuleRoot)});
        const HeapGraph g = build(s);
        auto index = RootPathIndex::build(g);
        QVERIFY(index.ok());
        int withPath = 0;
        for (quint32 v = 0; v < g.nodeCount(); ++v) {
            auto searched = ReferenceChain::shortestToRoot(g, {v});
            auto indexed = index.value().chain(g, {v});
            QCOMPARE(indexed.ok(), searched.ok());
            QCOMPARE(index.value().hasPath(v), searched.ok());
            if (!searched.ok())
                continue;
            ++withPath;
            const ReferenceChain &c = indexed.value();
            QCOMPARE(c.steps.size(), searched.value().steps.size());
            QCOMPARE(c.end, searched.value().end);
            QCOMPARE(c.object(), v);
            QCOMPARE(size_t(index.value().depth(v)) + 1, c.steps.size());
            QCOMPARE(c.end == ReferenceChain::End::Root ? g.isRoot(c.root()) : g.inDegree(c.root()) == 0, true);
            for (size_t i = 1; i < c.steps.size(); ++i) {
                const quint32 e = c.steps[i].edge;
                QCOMPARE(g.target(e), c.steps[i].node);
                QVERIFY(e >= g.outBegin(c.steps[i - 1].node) && e < g.outEnd(c.steps[i - 1].node));
            }
        }
        QVERIFY(withPath > nodes / 2);
        // Several sources: the nearest one to a root wins, as in the search.
        const std::vector<quint32> sources = {quint32(nodes - 1), quint32(nodes / 2), 5};
        auto searched = ReferenceChain::shortestToRoot(g, sources);
        auto indexed = index.value().chain(g, sources);
        QCOMPARE(indexed.ok(), searched.ok());
        if (searched.ok()) {
            QCOMPARE(indexed.value().steps.size(), searched.value().steps.size());
            QCOMPARE(indexed.value().end, searched.value().end);
        }
    }

    void chainFailuresAreClear_data()
    {
        QTest::addColumn<QList<uint>>("sources");
        QTest::addColumn<QString>("message");
        QTest::newRow("no sources") << QList<uint>{} << QStringLiteral("no object to start from");
        QTest::newRow("source out of range") << QList<uint>{7} << QStringLiteral("node 7 is not in the graph");
        QTest::newRow("only held by a cycle") << QList<uint>{1} << QStringLiteral("reference cycles");
    }

    void chainFailuresAreClear()
    {
        QFETCH(QList<uint>, sources);
        QFETCH(QString, message);
        GraphSpec s; // 0 <-> 1, 2 -> 0: a cycle, and 2 is held by the cycle too
        s.nodes = 3;
        s.edge(0, 1);
        s.edge(1, 0);
        s.edge(1, 2);
        s.edge(2, 0);
        const HeapGraph g = build(s);
        const std::vector<quint32> from(sources.begin(), sources.end());
        auto chain = ReferenceChain::shortestToRoot(g, from);
        QVERIFY(!chain.ok());
        QVERIFY2(chain.error().startsWith(QStringLiteral("chain to root: ")), qPrintable(chain.error()));
        QVERIFY2(chain.error().contains(message), qPrintable(chain.error()));
        auto index = RootPathIndex::build(g);
        QVERIFY(index.ok());
        auto indexed = index.value().chain(g, from);
        QVERIFY(!indexed.ok());
        QVERIFY2(indexed.error().contains(message), qPrintable(indexed.error()));
    }

    // One object with 10,000 referrers: exactly 10 are shown plus one
    // "+9990 more" node; expanding that shows the next 10.
    void fanInCapCollapsesReferrers()
    {
        const quint32 referrers = 10000;
        GraphSpec s = leakSpec();
        s.nodes = referrers + 1;
        s.types.assign(s.nodes, List);
        s.types[0] = Entry;
        for (quint32 i = 1; i <= referrers; ++i)
            s.edge(i, 0, QStringLiteral("[0]"));
        const HeapGraph g = build(s);
        ReferenceSubgraph sub = ReferenceSubgraph::build(g, {0});
        QCOMPARE(sub.nodeCount(), 12);
        QCOMPARE(sub.edges().size(), size_t(11));
        int more = -1;
        int shown = 0;
        for (int i = 0; i < sub.nodeCount(); ++i) {
            const auto &n = sub.node(i);
            if (n.kind == ReferenceSubgraph::Kind::More)
                more = i;
            else if (!n.target)
                ++shown;
        }
        QCOMPARE(shown, 10);
        QVERIFY(more >= 0);
        QCOMPARE(sub.node(more).label, QStringLiteral("+9990 more"));
        QCOMPARE(sub.node(more).hiddenCount, 9990u);
        QCOMPARE(sub.node(0).referrerCount, referrers);
        QVERIFY(sub.node(0).target);
        QCOMPARE(sub.node(0).depth, 0);
        QCOMPARE(sub.node(1).depth, 1);
        QCOMPARE(sub.edges().back().from, more);
        QCOMPARE(sub.edges().back().to, 0);

        QCOMPARE(sub.expand(g, more), 10);
        QCOMPARE(sub.node(more).label, QStringLiteral("+9980 more"));
        QCOMPARE(sub.nodeCount(), 22);
        QCOMPARE(sub.indexOf(11), 12); // referrers come in order
        QCOMPARE(sub.indexOf(21), -1);
    }

    // A 5-ary tree of referrers four levels deep (781 nodes) under a 50-node cap.
    void nodeCapHoldsAndKeepsShortestLevels()
    {
        GraphSpec s = leakSpec();
        s.nodes = 1 + 5 + 25 + 125 + 625;
        s.types.assign(s.nodes, Dict);
        // Node k's referrers are 5k+1 .. 5k+5.
        for (quint32 k = 0; 5 * k + 5 < s.nodes; ++k) {
            for (quint32 c = 1; c <= 5; ++c)
                s.edge(5 * k + c, k, QStringLiteral("r%1").arg(c));
        }
        const HeapGraph g = build(s);
        BackrefOptions options;
        options.maxNodes = 50;
        const ReferenceSubgraph sub = ReferenceSubgraph::build(g, {0}, options);
        QCOMPARE(sub.nodeCount(), 50);
        QVERIFY(sub.truncated());
        for (quint32 v = 1; v <= 30; ++v) // levels 1 and 2 complete
            QVERIFY2(sub.indexOf(v) >= 0, qPrintable(QString::number(v)));
        for (const auto &e : sub.edges()) {
            QVERIFY(e.from >= 0 && e.from < sub.nodeCount());
            QVERIFY(e.to >= 0 && e.to < sub.nodeCount());
            if (e.graphEdge != HeapGraph::NoEdge) {
                QCOMPARE(g.target(e.graphEdge), sub.node(e.to).graphNode);
                QCOMPARE(sub.node(e.from).depth, sub.node(e.to).depth + 1);
            }
        }
        // Default caps: depth 4 means all 781 would fit in 200? No: cap holds.
        const ReferenceSubgraph capped = ReferenceSubgraph::build(g, {0});
        QCOMPARE(capped.nodeCount(), 200);
    }

    void depthCapHoldsAndExpandAddsALevel()
    {
        GraphSpec s = leakSpec();
        s.nodes = 10; // 9 -> 8 -> ... -> 0
        s.types.assign(10, Dict);
        for (quint32 i = 9; i > 0; --i)
            s.edge(i, i - 1, QStringLiteral("up"));
        const HeapGraph g = build(s);
        BackrefOptions options;
        options.maxDepth = 3;
        ReferenceSubgraph sub = ReferenceSubgraph::build(g, {0}, options);
        QCOMPARE(sub.nodeCount(), 4);
        QVERIFY(sub.truncated());
        const int deepest = sub.indexOf(3);
        QCOMPARE(sub.node(deepest).depth, 3);
        QVERIFY(sub.node(deepest).canExpand());
        QCOMPARE(sub.expand(g, deepest), 1);
        QCOMPARE(sub.node(sub.indexOf(4)).depth, 4);
        QVERIFY(!sub.node(deepest).canExpand());
        QCOMPARE(sub.expand(g, deepest), 0); // already expanded
        QCOMPARE(sub.expand(g, 99), 0);      // no such node
    }

    void rootsStopTheSearch()
    {
        GraphSpec s = leakSpec();
        s.nodes = 5; // sysmodules(4) -> module(0) -> dict(1) -> list(2) -> entry(3)
        s.types = {Module, Dict, List, Entry, Dict};
        s.flags = {{0, HeapGraph::ModuleRoot}};
        s.labels = {{0, QStringLiteral("app")}};
        s.edge(0, 1, QStringLiteral("__dict__"));
        s.edge(1, 2, QStringLiteral("_items"));
        s.edge(2, 3, QStringLiteral("[0]"));
        s.edge(4, 0, QStringLiteral("['app']"));
        const HeapGraph g = build(s);
        const ReferenceSubgraph sub = ReferenceSubgraph::build(g, {3});
        QCOMPARE(sub.nodeCount(), 4);
        QCOMPARE(sub.indexOf(4), -1);
        const auto &module = sub.node(sub.indexOf(0));
        QCOMPARE(module.kind, ReferenceSubgraph::Kind::Module);
        QVERIFY(module.isRoot());
        QCOMPARE(module.label, QStringLiteral("app"));
        QCOMPARE(module.typeName, QStringLiteral("module"));
        QCOMPARE(sub.node(sub.indexOf(3)).kind, ReferenceSubgraph::Kind::Object);
        QVERIFY(!sub.truncated());
    }

    // Referrers that only close a cycle back to the object are skipped with
    // skipKeptAlive: the functions of a module pointing back at its namespace
    // through __globals__ (the module holds it), and with a dominator tree a
    // bound method the entry keeps alive itself (its __self__ points back).
    // A cycle nothing else holds keeps its members (none would be left).
    void referrersThatCloseACycleAreSkipped()
    {
        GraphSpec s = leakSpec();
        // module(0) dict(1) f(2) g(3) list(4) entry(5) garbage a(6) b(7) method(8)
        s.nodes = 9;
        s.types = {Module, Dict, Function, Function, List, Entry, Entry, Entry, Method};
        s.flags = {{0, HeapGraph::ModuleRoot}};
        s.edge(0, 1, QStringLiteral("__dict__"));
        s.edge(1, 2, QStringLiteral("['f']"));
        s.edge(1, 3, QStringLiteral("['g']"));
        s.edge(2, 1, QStringLiteral("__globals__"));
        s.edge(3, 1, QStringLiteral("__globals__"));
        s.edge(1, 4, QStringLiteral("['_CACHE']"));
        s.edge(4, 5, QStringLiteral("[0]"));
        s.edge(6, 7, QStringLiteral(".peer"));
        s.edge(7, 6, QStringLiteral(".peer"));
        s.edge(5, 8, QStringLiteral(".callback"));
        s.edge(8, 5, QStringLiteral("__self__"));
        const HeapGraph g = build(s);
        auto tree = DominatorTree::compute(g);
        QVERIFY2(tree, qPrintable(tree.error()));

        BackrefOptions all;
        all.dominators = &tree.value();
        const ReferenceSubgraph everything = ReferenceSubgraph::build(g, {5}, all);
        QCOMPARE(everything.nodeCount(), 7); // entry, list, method, dict, f, g, module
        QCOMPARE(everything.node(everything.indexOf(1)).keptAliveReferrers, 0u);

        BackrefOptions skip = all;
        skip.skipKeptAlive = true;
        const ReferenceSubgraph sub = ReferenceSubgraph::build(g, {5}, skip);
        QCOMPARE(sub.nodeCount(), 4); // entry, list, dict, module
        QCOMPARE(sub.indexOf(2), -1);
        QCOMPARE(sub.indexOf(3), -1);
        QCOMPARE(sub.indexOf(8), -1);
        QVERIFY(sub.indexOf(0) >= 0);
        const auto &dict = sub.node(sub.indexOf(1));
        QCOMPARE(dict.keptAliveReferrers, 2u);
        QCOMPARE(dict.referrerCount, 3u);
        QVERIFY(!dict.canExpand());
        QCOMPARE(sub.node(sub.indexOf(5)).keptAliveReferrers, 1u);

        // The garbage pair: each is all the other has.
        const ReferenceSubgraph cycle = ReferenceSubgraph::build(g, {6}, skip);
        QCOMPARE(cycle.nodeCount(), 2);
        QVERIFY(cycle.indexOf(7) >= 0);
        QCOMPARE(cycle.node(0).keptAliveReferrers, 0u);

        // Without a dominator tree only the module namespace rule applies:
        // the method stays, the functions go.
        BackrefOptions noTree;
        noTree.skipKeptAlive = true;
        const ReferenceSubgraph partial = ReferenceSubgraph::build(g, {5}, noTree);
        QCOMPARE(partial.nodeCount(), 5);
        QVERIFY(partial.indexOf(8) >= 0);
        QCOMPARE(partial.indexOf(2), -1);
    }

    // A module's namespace reads as whose globals it is; other dicts, and a
    // dict a module refers to under another name, keep their label.
    void moduleNamespaceIsDescribedAsGlobals()
    {
        GraphSpec s = leakSpec();
        s.nodes = 4; // module(0) namespace(1) other dict(2) dict held as a global(3)
        s.types = {Module, Dict, Dict, Dict};
        s.flags = {{0, HeapGraph::ModuleRoot}};
        s.labels = {{0, QStringLiteral("module app.cache")},
                    {1, QStringLiteral("dict (3 items)")},
                    {2, QStringLiteral("dict (7 items)")},
                    {3, QStringLiteral("dict (1 item)")}};
        s.edge(0, 1, QStringLiteral("__dict__"));
        s.edge(1, 3, QStringLiteral("_CACHE"));
        s.edge(0, 3, QStringLiteral("_extra"));
        const HeapGraph g = build(s);
        QCOMPARE(g.describe(1), QStringLiteral("app.cache globals (3 items)"));
        QCOMPARE(g.describe(2), QStringLiteral("dict (7 items)"));
        QCOMPARE(g.describe(3), QStringLiteral("dict (1 item)"));
        QCOMPARE(g.describe(0), QStringLiteral("module app.cache"));
        // The subgraph shows the description.
        const ReferenceSubgraph sub = ReferenceSubgraph::build(g, {3});
        QCOMPARE(sub.node(sub.indexOf(1)).label, QStringLiteral("app.cache globals (3 items)"));
    }

    // A list holding the same object twice is one referrer with two edges.
    void repeatedReferenceIsOneNodeTwoEdges()
    {
        GraphSpec s = leakSpec();
        s.nodes = 2;
        s.types = {Entry, List};
        s.edge(1, 0, QStringLiteral("[0]"));
        s.edge(1, 0, QStringLiteral("[1]"));
        const HeapGraph g = build(s);
        const ReferenceSubgraph sub = ReferenceSubgraph::build(g, {0});
        QCOMPARE(sub.nodeCount(), 2);
        QCOMPARE(sub.node(0).referrerCount, 1u);
        QCOMPARE(sub.edges().size(), size_t(2));
        QCOMPARE(sub.edges()[0].label, QStringLiteral("[0]"));
        QCOMPARE(sub.edges()[1].label, QStringLiteral("[1]"));
    }

    void chainAddedToSubgraphAndRetainedSizes()
    {
        GraphSpec s = leakSpec();
        s.nodes = 5;
        s.types = {Module, Dict, List, Entry, Entry};
        s.sizes = {72, 640, 88, 48, 48};
        s.flags = {{0, HeapGraph::ModuleRoot}};
        s.edge(0, 1, QStringLiteral("__dict__"));
        s.edge(1, 2, QStringLiteral("_items"));
        s.edge(2, 3, QStringLiteral("[0]"));
        s.edge(2, 4, QStringLiteral("[1]"));
        const HeapGraph g = build(s);
        auto dom = DominatorTree::compute(g);
        QVERIFY(dom.ok());
        BackrefOptions options;
        options.maxDepth = 1;
        options.dominators = &dom.value();
        ReferenceSubgraph sub = ReferenceSubgraph::build(g, {3}, options);
        QCOMPARE(sub.nodeCount(), 2);
        const int list = sub.indexOf(2);
        QVERIFY(sub.node(list).hasRetainedSize);
        QCOMPARE(sub.node(list).retainedSize, 88u + 48u + 48u);

        auto chain = ReferenceChain::shortestToRoot(g, {3});
        QVERIFY(chain.ok());
        const std::vector<int> path = sub.addChain(g, chain.value(), options);
        QCOMPARE(path.size(), size_t(4));
        QCOMPARE(sub.node(path.front()).graphNode, 0u);
        QCOMPARE(sub.node(path.back()).graphNode, 3u);
        QCOMPARE(sub.nodeCount(), 4);
        // Every consecutive pair is joined by its labelled edge, once.
        int chainEdges = 0;
        for (const auto &e : sub.edges()) {
            for (size_t i = 0; i + 1 < path.size(); ++i) {
                if (e.from == path[i] && e.to == path[i + 1])
                    ++chainEdges;
            }
        }
        QCOMPARE(chainEdges, 3);
        QCOMPARE(sub.edges().size(), size_t(3));
        QCOMPARE(sub.node(sub.indexOf(1)).retainedSize, 640u + 88u + 48u + 48u);
        sub.setVisible(path.front(), false);
        QVERIFY(!sub.node(path.front()).visible);
    }

    void sampleAndSearchFromAType()
    {
        GraphSpec s = leakSpec();
        s.nodes = 6;
        s.types = {Module, Dict, Entry, Entry, Entry, Entry};
        s.flags = {{0, HeapGraph::ModuleRoot}};
        s.edge(0, 1, QStringLiteral("__dict__"));
        for (quint32 i = 2; i < 6; ++i)
            s.edge(1, i, QStringLiteral("e%1").arg(i));
        const HeapGraph g = build(s);
        const std::vector<quint32> sample = g.sampleInstances(Entry, 3);
        QCOMPARE(sample, (std::vector<quint32>{2, 3, 4}));
        const ReferenceSubgraph sub = ReferenceSubgraph::build(g, sample);
        QCOMPARE(sub.nodeCount(), 5); // 3 targets, dict, module
        int targets = 0;
        for (const auto &n : sub.nodes())
            targets += n.target ? 1 : 0;
        QCOMPARE(targets, 3);
        QCOMPARE(sub.edges().size(), size_t(4));
    }
};

QTEST_GUILESS_MAIN(TestReferenceGraph)
#include "tst_referencegraph.moc"
