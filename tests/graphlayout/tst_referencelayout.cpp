// ReferenceLayout: the back-reference subgraph (file) and the agent's
// backrefs/chain replies (live) as the Graphviz view's input.
#include "heapgraph/dominatortree.h"
#include "heapgraph/referencechain.h"
#include "graphlayout/referencelayout.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace leakscope;

namespace {

QJsonObject json(const char *text)
{
    return QJsonDocument::fromJson(QByteArray(text)).object();
}

// module -> globals dict -> cache dict -> three Sessions; an unrelated list.
HeapGraph smallHeap()
{
    HeapGraphArrays a;
    a.typeNames = {QStringLiteral("module"), QStringLiteral("dict"), QStringLiteral("__main__.Session"),
                   QStringLiteral("list")};
    a.ids = {0x1000, 0x2000, 0x3000, 0x4000, 0x5000, 0x6000, 0x7000};
    a.types = {0, 1, 1, 2, 2, 2, 3};
    a.sizes = {72, 640, 1200, 48, 48, 48, 88};
    a.edgeOffsets = {0, 1, 2, 5, 5, 5, 5, 5};
    a.edgeTargets = {1, 2, 3, 4, 5};
    a.strings = {QStringLiteral("module __main__"), QStringLiteral("__dict__"), QStringLiteral("_CACHE"),
                 QStringLiteral("['a']"), QStringLiteral("line\nbreak")};
    a.nodeLabels = {0, -1, 4, -1, -1, -1, -1};
    a.edgeLabels = {1, 2, 3, -1, -1};
    a.addFlags({0}, HeapGraph::ModuleRoot);
    Expected<HeapGraph> g = HeapGraph::fromArrays(std::move(a));
    return g.take();
}

} // namespace

class TestReferenceLayout : public QObject
{
    Q_OBJECT
private slots:
    void subgraphToLayout();
    void hiddenNodesAndChains();
    void liveMerge();
    void liveBadReplies_data();
    void liveBadReplies();
    void liveChain();
};

void TestReferenceLayout::subgraphToLayout()
{
    const HeapGraph g = smallHeap();
    const Expected<DominatorTree> dom = DominatorTree::compute(g);
    QVERIFY(dom);
    const ReferenceSubgraph sub = ReferenceSubgraph::build(g, {3, 4, 5});
    const ReferenceLayout plain = ReferenceLayout::fromSubgraph(sub);
    QCOMPARE(int(plain.input.nodes.size()), 6);
    QCOMPARE(int(plain.input.edges.size()), 5);
    QCOMPARE(plain.nodeSource.size(), plain.input.nodes.size());
    int targets = 0;
    for (const LayoutNode &n : plain.input.nodes) {
        QVERIFY(!n.highlighted);
        QVERIFY(!n.subtitle.contains(QStringLiteral("retained")));
        QVERIFY(!n.title.contains(QLatin1Char('\n')));
        targets += n.kind == NodeKind::Target ? 1 : 0;
    }
    QCOMPARE(targets, 3);
    const int module = plain.layoutIndexOf(sub.indexOf(0));
    QCOMPARE(plain.input.nodes[size_t(module)].kind, NodeKind::Root);
    QCOMPARE(plain.input.nodes[size_t(module)].title, QStringLiteral("module __main__"));
    // Labelled only by type: the id instead.
    const int session = plain.layoutIndexOf(sub.indexOf(3));
    QCOMPARE(plain.input.nodes[size_t(session)].title, QStringLiteral("__main__.Session"));
    QCOMPARE(plain.input.nodes[size_t(session)].subtitle, QStringLiteral("0x4000"));
    QCOMPARE(plain.input.nodes[size_t(plain.layoutIndexOf(sub.indexOf(2)))].title, QStringLiteral("line break"));

    const ReferenceLayout withSizes = ReferenceLayout::fromSubgraph(sub, &dom.value());
    const LayoutNode &cache = withSizes.input.nodes[size_t(withSizes.layoutIndexOf(sub.indexOf(2)))];
    QVERIFY2(cache.subtitle.contains(QStringLiteral("retained 1.3 KiB")), qPrintable(cache.subtitle)); // 1200 + 3*48
    // Roots retain everything; no number there.
    QVERIFY(!withSizes.input.nodes[size_t(module)].subtitle.contains(QStringLiteral("retained")));
    // Node ids are the subgraph indices: stable across expand().
    QCOMPARE(withSizes.input.nodes[size_t(module)].id, QStringLiteral("n%1").arg(sub.indexOf(0)));
}

void TestReferenceLayout::hiddenNodesAndChains()
{
    const HeapGraph g = smallHeap();
    ReferenceSubgraph sub = ReferenceSubgraph::build(g, {3, 4, 5});
    const Expected<ReferenceChain> chain = ReferenceChain::shortestToRoot(g, {4});
    QVERIFY(chain);
    const std::vector<int> path = sub.addChain(g, chain.value());
    QCOMPARE(int(path.size()), 4);
    sub.setVisible(sub.indexOf(5), false);
    const ReferenceLayout l = ReferenceLayout::fromSubgraph(sub, nullptr, path);
    QCOMPARE(int(l.input.nodes.size()), 5);
    QCOMPARE(l.layoutIndexOf(sub.indexOf(5)), -1);
    int litNodes = 0;
    int litEdges = 0;
    for (const LayoutNode &n : l.input.nodes)
        litNodes += n.highlighted ? 1 : 0;
    for (const LayoutEdge &e : l.input.edges) {
        litEdges += e.highlighted ? 1 : 0;
        QVERIFY(e.from >= 0 && e.from < int(l.input.nodes.size()));
        QVERIFY(e.to >= 0 && e.to < int(l.input.nodes.size()));
    }
    QCOMPARE(litNodes, 4);
    QCOMPARE(litEdges, 3);
    QVERIFY(l.input.nodes[size_t(l.layoutIndexOf(sub.indexOf(4)))].highlighted);
    QVERIFY(!l.input.nodes[size_t(l.layoutIndexOf(sub.indexOf(3)))].highlighted);
}

void TestReferenceLayout::liveMerge()
{
    LiveReferenceGraph g;
    const Status first = g.mergeBackrefs(json(R"J({"truncated": false,
      "nodes": [{"id": 10, "type": "__main__.Session", "label": "__main__.Session", "kind": "target", "depth": 0},
                {"id": 20, "type": "dict", "label": "dict (2 items)", "kind": "object", "depth": 1},
                {"id": -1, "type": "", "label": "+7 more", "kind": "collapsed", "depth": 1, "more": 7}],
      "edges": [{"from": 20, "to": 10, "label": "['a']"}, {"from": -1, "to": 10, "label": null}]})J"));
    QVERIFY2(first, qPrintable(first.error()));
    QCOMPARE(g.nodeCount(), 3);
    // Expanding the dict: the reply repeats it and adds its referrer.
    const Status second = g.mergeBackrefs(json(R"J({"truncated": true,
      "nodes": [{"id": 20, "type": "dict", "label": "dict (2 items)", "kind": "target", "depth": 0},
                {"id": 30, "type": "module", "label": "module __main__", "kind": "module", "depth": 1},
                {"id": -1, "type": "", "label": "+2 more", "kind": "collapsed", "depth": 1, "more": 2}],
      "edges": [{"from": 30, "to": 20, "label": "_CACHE"}, {"from": -1, "to": 20, "label": null}]})J"),
                                          20);
    QVERIFY2(second, qPrintable(second.error()));
    QCOMPARE(g.nodeCount(), 5); // the two "+N more" nodes stay apart
    QVERIFY(g.truncated());
    QVERIFY(g.node(g.indexOf(20)).expanded);
    QCOMPARE(g.node(g.indexOf(20)).kind, NodeKind::Object); // an earlier referrer does not become a target
    QVERIFY(g.node(g.indexOf(30)).expanded);                // roots are not searched past
    const ReferenceLayout l = g.layout();
    QCOMPARE(int(l.input.nodes.size()), 5);
    QCOMPARE(int(l.input.edges.size()), 4);
    QCOMPARE(l.input.nodes[size_t(g.indexOf(20))].id, QStringLiteral("o20"));
    QCOMPARE(l.input.nodes[size_t(g.indexOf(10))].subtitle, QStringLiteral("0xa"));
    g.setVisible(g.indexOf(10), false);
    QCOMPARE(int(g.layout().input.edges.size()), 2); // module -> dict, "+2 more" -> dict
}

void TestReferenceLayout::liveBadReplies_data()
{
    QTest::addColumn<QByteArray>("reply");
    QTest::addColumn<QString>("error");
    QTest::newRow("empty object") << QByteArray("{}") << QStringLiteral("no nodes");
    QTest::newRow("nodes not an array") << QByteArray(R"({"nodes": 3, "edges": []})") << QStringLiteral("no nodes");
    QTest::newRow("node not an object") << QByteArray(R"({"nodes": [5], "edges": []})")
                                        << QStringLiteral("not an object");
    QTest::newRow("node id a string") << QByteArray(R"({"nodes": [{"id": "10", "kind": "target"}], "edges": []})")
                                      << QStringLiteral("numeric id");
    QTest::newRow("node id fractional") << QByteArray(R"({"nodes": [{"id": 1.5, "kind": "target"}], "edges": []})")
                                        << QStringLiteral("numeric id");
    QTest::newRow("node id past 2^53") << QByteArray(R"({"nodes": [{"id": 1e300, "kind": "target"}], "edges": []})")
                                       << QStringLiteral("numeric id");
    QTest::newRow("edge to unknown node")
        << QByteArray(R"({"nodes": [{"id": 1, "kind": "target"}], "edges": [{"from": 2, "to": 1}]})")
        << QStringLiteral("unknown nodes");
    QTest::newRow("edge without ends") << QByteArray(R"({"nodes": [{"id": 1, "kind": "target"}], "edges": [{}]})")
                                       << QStringLiteral("unknown nodes");
}

void TestReferenceLayout::liveBadReplies()
{
    QFETCH(QByteArray, reply);
    QFETCH(QString, error);
    LiveReferenceGraph g;
    QVERIFY(g.mergeBackrefs(json(R"J({"nodes": [{"id": 7, "kind": "target", "type": "X"}], "edges": []})J")));
    const Status merged = g.mergeBackrefs(QJsonDocument::fromJson(reply).object());
    QVERIFY(!merged);
    QVERIFY2(merged.error().contains(error), qPrintable(merged.error()));
    // Nothing half-merged.
    QCOMPARE(g.nodeCount(), 1);
    QCOMPARE(int(g.edges().size()), 0);
}

void TestReferenceLayout::liveChain()
{
    LiveReferenceGraph g;
    QVERIFY(g.mergeBackrefs(json(R"J({"nodes": [{"id": 7, "kind": "target", "type": "X", "label": "X"}], "edges": []})J")));
    const Expected<std::vector<int>> chain = g.mergeChain(json(R"J({"found": true, "end": "root", "chain": [
      {"id": 1, "type": "module", "label": "module __main__", "kind": "module", "edge": null},
      {"id": 2, "type": "dict", "label": "dict (3 items)", "kind": "object", "edge": "__dict__"},
      {"id": 7, "type": "X", "label": "X", "kind": "object", "edge": "['k']"}]})J"));
    QVERIFY2(chain, qPrintable(chain.error()));
    QCOMPARE(int(chain.value().size()), 3);
    QCOMPARE(chain.value().back(), g.indexOf(7));
    const ReferenceLayout l = g.layout(chain.value());
    QCOMPARE(int(l.input.nodes.size()), 3);
    for (const LayoutNode &n : l.input.nodes)
        QVERIFY(n.highlighted);
    QCOMPARE(int(l.input.edges.size()), 2);
    for (const LayoutEdge &e : l.input.edges)
        QVERIFY(e.highlighted);
    QVERIFY(!g.mergeChain(json(R"J({"found": false, "end": "none", "chain": []})J")));
    QVERIFY(!g.mergeChain(json(R"J({"chain": [{"id": "x"}]})J")));
    QCOMPARE(g.nodeCount(), 3);
}

QTEST_MAIN(TestReferenceLayout)
#include "tst_referencelayout.moc"
