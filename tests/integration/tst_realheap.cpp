// The heap-graph algorithms on a real Python heap: a leaky program (module
// cache, listeners as bound methods, an exception kept with its traceback)
// dumps its gc graph; chains, back-references and retained sizes must name
// the globals, list slots, __self__ and traceback links a user would follow.

#include "heapgraph/dominatortree.h"
#include "heapgraph/heapgraph.h"
#include "heapgraph/referencechain.h"
#include "heapgraph/referencesubgraph.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QtTest>

using namespace leakscope;

class TestRealHeap : public QObject
{
    Q_OBJECT

private:
    HeapGraph m_graph;
    QJsonObject m_expected;

    QStringList chainLabels(const ReferenceChain &chain) const
    {
        QStringList out;
        for (const auto &step : chain.steps) {
            if (step.edge != HeapGraph::NoEdge)
                out << m_graph.edgeLabel(step.edge);
        }
        return out;
    }

    QStringList chainTypes(const ReferenceChain &chain) const
    {
        QStringList out;
        for (const auto &step : chain.steps)
            out << m_graph.typeName(m_graph.type(step.node));
        return out;
    }

    ReferenceChain chainFromType(const QString &type)
    {
        const qint32 t = m_graph.findType(type);
        if (t < 0)
            qFatal("no type %s in the heap", qPrintable(type));
        auto chain = ReferenceChain::shortestToRoot(m_graph, m_graph.nodesOfType(t));
        if (!chain.ok())
            qFatal("%s", qPrintable(chain.error()));
        return chain.take();
    }

private slots:
    void initTestCase()
    {
        QProcess python;
        python.start(QStringLiteral(LEAKSCOPE_PYTHON),
                     {QStringLiteral(LEAKSCOPE_SOURCE_DIR "/tests/data/leaky_heap.py")});
        QVERIFY2(python.waitForFinished(60000), "the leaky Python program did not finish");
        QCOMPARE(python.exitCode(), 0);
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(python.readAllStandardOutput(), &error);
        QVERIFY2(doc.isObject(), qPrintable(error.errorString()));
        const QJsonObject root = doc.object();
        m_expected = root.value(QStringLiteral("expected")).toObject();

        HeapGraphArrays a;
        for (const QJsonValue &t : root.value(QStringLiteral("types")).toArray())
            a.typeNames.push_back(t.toString());
        const QJsonArray nodes = root.value(QStringLiteral("nodes")).toArray();
        std::vector<QString> labels;
        for (const QJsonValue &v : nodes) {
            const QJsonArray n = v.toArray();
            a.ids.push_back(quint64(n.at(0).toInteger()));
            a.types.push_back(qint32(n.at(1).toInteger()));
            a.sizes.push_back(quint64(n.at(2).toInteger()));
            a.flags.push_back(quint8(n.at(3).toInteger()));
            labels.push_back(n.at(4).toString());
        }
        for (size_t i = 0; i < labels.size(); ++i) {
            if (!labels[i].isEmpty())
                a.addNodeLabel(i, labels[i]);
        }
        const QJsonArray edges = root.value(QStringLiteral("edges")).toArray();
        a.edgeOffsets.assign(a.ids.size() + 1, 0);
        std::vector<QString> edgeLabels;
        for (const QJsonValue &v : edges) { // already grouped by source
            const QJsonArray e = v.toArray();
            ++a.edgeOffsets[size_t(e.at(0).toInteger()) + 1];
            a.edgeTargets.push_back(quint32(e.at(1).toInteger()));
            edgeLabels.push_back(e.at(2).toString());
        }
        for (size_t i = 0; i < a.ids.size(); ++i)
            a.edgeOffsets[i + 1] += a.edgeOffsets[i];
        for (size_t e = 0; e < edgeLabels.size(); ++e) {
            if (!edgeLabels[e].isEmpty())
                a.addEdgeLabel(e, edgeLabels[e]);
        }
        auto built = HeapGraph::fromArrays(std::move(a), QStringLiteral("leaky_heap.py"));
        QVERIFY2(built.ok(), qPrintable(built.error()));
        m_graph = built.take();
        QVERIFY(m_graph.nodeCount() > 1000);
    }

    void chainToModuleCacheNamesTheGlobal()
    {
        const ReferenceChain chain = chainFromType(QStringLiteral("__main__.Entry"));
        QCOMPARE(chain.end, ReferenceChain::End::Root);
        QCOMPARE(m_graph.label(chain.root()), QStringLiteral("__main__"));
        const QStringList labels = chainLabels(chain);
        QCOMPARE(labels.mid(0, 2), (QStringList{QStringLiteral("__dict__"), QStringLiteral("_CACHE")}));
        QCOMPARE(labels.size(), 3);
        QVERIFY2(labels.last().startsWith(QStringLiteral("['k")), qPrintable(labels.join(QLatin1Char(' '))));
        QCOMPARE(chainTypes(chain), (QStringList{QStringLiteral("module"), QStringLiteral("dict"),
                                                 QStringLiteral("dict"), QStringLiteral("__main__.Entry")}));
    }

    void chainToListenerGoesThroughSelf()
    {
        const ReferenceChain chain = chainFromType(QStringLiteral("__main__.Listener"));
        const QStringList labels = chainLabels(chain);
        QCOMPARE(labels.size(), 4);
        QCOMPARE(labels.at(1), QStringLiteral("_listeners"));
        QVERIFY2(labels.at(2).startsWith(QLatin1Char('[')), qPrintable(labels.join(QLatin1Char(' '))));
        QCOMPARE(labels.at(3), QStringLiteral("__self__"));
        QCOMPARE(chainTypes(chain).at(3), QStringLiteral("method"));
    }

    void chainToWorkerGoesThroughTraceback()
    {
        const ReferenceChain chain = chainFromType(QStringLiteral("__main__.Worker"));
        const QStringList labels = chainLabels(chain);
        QCOMPARE(labels, (QStringList{QStringLiteral("__dict__"), QStringLiteral("_LAST_ERROR"),
                                      QStringLiteral("__traceback__"), QStringLiteral("tb_next"),
                                      QStringLiteral("tb_frame"), QStringLiteral("worker")}));
        QCOMPARE(chainTypes(chain).at(2), QStringLiteral("ValueError"));
        QCOMPARE(chainTypes(chain).at(5), QStringLiteral("frame"));
    }

    // The dict behind the module-level cache retains every cached entry and
    // its payload list, and nothing else; the Entry type retains the same
    // minus the dict itself.
    void cacheDictRetainsEveryEntry()
    {
        auto dom = DominatorTree::compute(m_graph);
        QVERIFY2(dom.ok(), qPrintable(dom.error()));
        const quint32 cache = m_graph.findNode(quint64(m_expected.value(QStringLiteral("cache_dict")).toInteger()));
        QVERIFY(cache != HeapGraph::NoNode);
        QCOMPARE(qint64(dom.value().retainedSize(cache)),
                 m_expected.value(QStringLiteral("cache_retained")).toInteger());
        const qint32 entry = m_graph.findType(QStringLiteral("__main__.Entry"));
        QCOMPARE(qint64(dom.value().retainedSizeOfType(entry)),
                 m_expected.value(QStringLiteral("entry_retained")).toInteger());
        for (quint32 e : m_graph.nodesOfType(entry))
            QCOMPARE(dom.value().immediateDominator(e), cache);
        // The cache is among the largest retainers outside the modules.
        const std::vector<quint32> top = dom.value().topRetainers(m_graph, 200);
        QVERIFY(std::find(top.begin(), top.end(), cache) != top.end());
    }

    void backrefsFromSampledEntries()
    {
        const qint32 entry = m_graph.findType(QStringLiteral("__main__.Entry"));
        const std::vector<quint32> sample = m_graph.sampleInstances(entry, 3);
        QCOMPARE(sample.size(), size_t(3));
        const ReferenceSubgraph sub = ReferenceSubgraph::build(m_graph, sample);
        QVERIFY(sub.nodeCount() <= 200);
        const int cache = sub.indexOf(m_graph.findNode(quint64(m_expected.value(QStringLiteral("cache_dict")).toInteger())));
        QVERIFY(cache >= 0);
        QCOMPARE(sub.node(cache).depth, 1);
        int intoTargets = 0;
        bool namedGlobal = false;
        for (const auto &e : sub.edges()) {
            if (e.from == cache && sub.node(e.to).target) {
                QVERIFY(e.label.startsWith(QStringLiteral("['k")));
                ++intoTargets;
            }
            if (e.to == cache && e.label == QStringLiteral("_CACHE"))
                namedGlobal = true;
        }
        QCOMPARE(intoTargets, 3);
        QVERIFY(namedGlobal);
        // The search stops at the __main__ module.
        bool sawMain = false;
        for (const auto &n : sub.nodes()) {
            if (n.kind == ReferenceSubgraph::Kind::Module && n.label == QStringLiteral("__main__")) {
                sawMain = true;
                QVERIFY(!n.expanded);
            }
        }
        QVERIFY(sawMain);
    }
};

QTEST_GUILESS_MAIN(TestRealHeap)
#include "tst_realheap.moc"
