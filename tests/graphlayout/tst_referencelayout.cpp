// ReferenceLayout: the back-reference subgraph (file) and the agent's
// backrefs/chain replies (live) as the Graphviz view's input.
#include "heapgraph/dominatortree.h"
#include "heapgraph/referencechain.h"
#include "graphlayout/referencelayout.h"

#include <QTest>

using namespace leakscope;

namespace {

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

namespace {

AgentReply::RefNode refNode(qint64 id, const char *type, const char *label, const char *kind, qint64 more = 0)
{
    AgentReply::RefNode n;
    n.id = id;
    n.type = QString::fromUtf8(type);
    n.label = QString::fromUtf8(label);
    n.kind = QString::fromUtf8(kind);
    n.more = more;
    return n;
}

AgentReply::RefEdge refEdge(qint64 from, qint64 to, const char *label = nullptr)
{
    return AgentReply::RefEdge{from, to, label ? QString::fromUtf8(label) : QString(), label != nullptr};
}

AgentReply::RefNode step(qint64 id, const char *type, const char *label, const char *kind, const char *edge)
{
    AgentReply::RefNode n = refNode(id, type, label, kind);
    n.edge = edge ? QString::fromUtf8(edge) : QString();
    n.hasEdge = edge != nullptr;
    return n;
}

AgentReply::Backrefs oneTarget()
{
    AgentReply::Backrefs b;
    b.nodes = {refNode(7, "X", "X", "target")};
    return b;
}

} // namespace

void TestReferenceLayout::liveMerge()
{
    LiveReferenceGraph g;
    AgentReply::Backrefs reply;
    reply.nodes = {refNode(10, "__main__.Session", "__main__.Session", "target"),
                   refNode(20, "dict", "dict (2 items)", "object"), refNode(-1, "", "+7 more", "collapsed", 7)};
    reply.edges = {refEdge(20, 10, "['a']"), refEdge(-1, 10)};
    const Status first = g.mergeBackrefs(reply);
    QVERIFY2(first, qPrintable(first.error()));
    QCOMPARE(g.nodeCount(), 3);
    // Expanding the dict: the reply repeats it and adds its referrer.
    AgentReply::Backrefs expand;
    expand.truncated = true;
    expand.nodes = {refNode(20, "dict", "dict (2 items)", "target"), refNode(30, "module", "module __main__", "module"),
                    refNode(-1, "", "+2 more", "collapsed", 2)};
    expand.edges = {refEdge(30, 20, "_CACHE"), refEdge(-1, 20)};
    const Status second = g.mergeBackrefs(expand, 20);
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
    // The reply's JSON is checked by Protocol::parseBackrefs (tst_protocol);
    // the graph still refuses values that do not fit together.
    QTest::addColumn<int>("unknownEnd");
    QTest::newRow("edge from an unknown node") << 0;
    QTest::newRow("edge to an unknown node") << 1;
    QTest::newRow("too many nodes") << 2;
}

void TestReferenceLayout::liveBadReplies()
{
    QFETCH(int, unknownEnd);
    LiveReferenceGraph g;
    QVERIFY(g.mergeBackrefs(oneTarget()));
    AgentReply::Backrefs reply;
    reply.nodes = {refNode(1, "Y", "Y", "target"), refNode(2, "dict", "", "object")};
    QString error;
    if (unknownEnd == 0) {
        reply.edges = {refEdge(2, 1), refEdge(3, 1)};
        error = QStringLiteral("unknown nodes");
    } else if (unknownEnd == 1) {
        reply.edges = {refEdge(2, 1), refEdge(2, 4)};
        error = QStringLiteral("unknown nodes");
    } else {
        for (qint64 i = 10; i < 10 + GraphLayout::s_maxNodes; ++i)
            reply.nodes.push_back(refNode(i, "Z", "", "object"));
        error = QStringLiteral("more than");
    }
    const Status merged = g.mergeBackrefs(reply);
    QVERIFY(!merged);
    QVERIFY2(merged.error().contains(error), qPrintable(merged.error()));
    // Nothing half-merged.
    QCOMPARE(g.nodeCount(), 1);
    QCOMPARE(int(g.edges().size()), 0);
}

void TestReferenceLayout::liveChain()
{
    LiveReferenceGraph g;
    QVERIFY(g.mergeBackrefs(oneTarget()));
    AgentReply::Chain reply;
    reply.found = true;
    reply.end = AgentReply::Chain::End::Root;
    reply.steps = {step(1, "module", "module __main__", "module", nullptr),
                   step(2, "dict", "dict (3 items)", "object", "__dict__"), step(7, "X", "X", "object", "['k']")};
    const Expected<std::vector<int>> chain = g.mergeChain(reply);
    QVERIFY2(chain, qPrintable(chain.error()));
    QCOMPARE(int(chain.value().size()), 3);
    QCOMPARE(chain.value().back(), g.indexOf(7));
    const ReferenceLayout l = g.layout(chain.value());
    QCOMPARE(int(l.input.nodes.size()), 3);
    for (const LayoutNode &n : l.input.nodes)
        QVERIFY(n.highlighted);
    QCOMPARE(int(l.input.edges.size()), 2);
    for (const LayoutEdge &e : l.input.edges) {
        QVERIFY(e.highlighted);
        QVERIFY(!e.label.isEmpty());
    }
    QVERIFY(!g.mergeChain(AgentReply::Chain{}));
    QCOMPARE(g.nodeCount(), 3);
}

QTEST_MAIN(TestReferenceLayout)
#include "tst_referencelayout.moc"
