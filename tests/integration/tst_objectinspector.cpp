// The object inspector on a real recording with heap graphs written by the
// real agent: ObjectDetails (heapgraph), the ObjectInspector widget (views)
// and the window opening it from a graph node and from Show Instances.
#include "testutil/guitestdata.h"
#include "gui/mainwindow.h"
#include "gui/referencespanel.h"
#include "gui/referencetabs.h"
#include "gui/sessioncontroller.h"
#include "heapgraph/dominatortree.h"
#include "heapgraph/heapgraph.h"
#include "heapgraph/objectdetails.h"
#include "lsnap/heapgraphstore.h"
#include "core/textutil.h"
#include "views/growthtableview.h"
#include "views/objectinspector.h"
#include "views/referencegraphscene.h"
#include "views/referencegraphview.h"

#include <QApplication>
#include <QDialog>
#include <QMenu>
#include <QFile>
#include <QListWidget>
#include <QPushButton>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

using namespace leakscope;
using namespace leakscope::testdata;

namespace {

const QString s_session = QStringLiteral("__main__.Session");

const ObjectDetails::Field *field(const ObjectDetails &d, const QString &name)
{
    for (const ObjectDetails::Field &f : d.fields)
        if (f.name == name)
            return &f;
    return nullptr;
}

// A sample Session on screen (not its class).
int sessionNode(const LayoutInput &g)
{
    for (size_t i = 0; i < g.nodes.size(); ++i)
        if ((g.nodes[i].kind == NodeKind::Target || g.nodes[i].kind == NodeKind::Object) && (g.nodes[i].title.contains(s_session) || g.nodes[i].subtitle.contains(s_session)))
            return int(i);
    return -1;
}

// LEAKSCOPE_SCREENSHOT_DIR=docs refreshes the screenshots in docs/.
void saveScreenshot(QWidget &widget, const QString &name)
{
    if (!qEnvironmentVariableIsSet("LEAKSCOPE_SCREENSHOT_DIR"))
        return;
    QCoreApplication::processEvents();
    QVERIFY(widget.grab().save(qEnvironmentVariable("LEAKSCOPE_SCREENSHOT_DIR") + QLatin1Char('/') + name));
}

} // namespace

class TestObjectInspector : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void detailsOfARealObject();
    void inspectorShowsTheDetailsAndAnswersItsButtons();
    void windowOpensItFromGraphNodesAndShowInstances();

private:
    HeapGraph readGraph(qint64 snapshotId);
    QTemporaryDir m_dir;
    QString m_file;
};

void TestObjectInspector::initTestCase()
{
    QVERIFY(m_dir.isValid());
    qputenv("XDG_CONFIG_HOME", QFile::encodeName(m_dir.filePath(QStringLiteral("config"))));
    qputenv("XDG_CACHE_HOME", QFile::encodeName(m_dir.filePath(QStringLiteral("cache"))));
    m_file = m_dir.filePath(QStringLiteral("cache.lsnap"));
    QString error;
    QVERIFY2(runPython(QString::fromUtf8(s_growingCacheProgram), {m_file}, &error), qPrintable(error));
}

HeapGraph TestObjectInspector::readGraph(qint64 snapshotId)
{
    Expected<HeapGraph> graph = HeapGraph::read(HeapGraphStore::readArrays, m_file, snapshotId);
    if (!graph) {
        qWarning() << graph.error();
        return HeapGraph();
    }
    return graph.take();
}

void TestObjectInspector::detailsOfARealObject()
{
    const HeapGraph graph = readGraph(2);
    QVERIFY(graph.nodeCount() > 0);
    const std::vector<quint32> sessions = graph.nodesOfType(graph.findType(s_session));
    QCOMPARE(sessions.size(), size_t(40));
    const Expected<DominatorTree> dominators = DominatorTree::compute(graph);
    QVERIFY(dominators);
    const quint32 node = sessions.back();
    const quint64 id = graph.id(node);

    const Expected<ObjectDetails> details = ObjectDetails::fromGraph(graph, &dominators.value(), id);
    QVERIFY2(details, qPrintable(details.ok() ? QString() : details.error()));
    const ObjectDetails &d = details.value();
    QCOMPARE(d.id, id);
    QCOMPARE(d.type, s_session);
    QCOMPARE(d.size, graph.shallowSize(node));
    QVERIFY(d.size > 0);
    // It keeps its history (30 lists of two ints) alive on its own.
    QVERIFY2(d.retained > qint64(d.size) + 30 * 56, qPrintable(QString::number(d.retained)));
    QVERIFY(d.rootKind.isEmpty());

    // Its attributes, by name, with the graph's labels as values.
    const ObjectDetails::Field *history = field(d, QStringLiteral(".history"));
    QVERIFY2(history, qPrintable(d.fields.empty() ? QString() : d.fields.front().name));
    QCOMPARE(history->type, QStringLiteral("list"));
    const quint32 historyNode = graph.findNode(history->id);
    QVERIFY(historyNode != HeapGraph::NoNode);
    QCOMPARE(history->value, graph.describe(historyNode));
    QVERIFY2(history->value.contains(QStringLiteral("30")), qPrintable(history->value));
    QCOMPARE(history->size, graph.shallowSize(historyNode));
    // The attributes come before the other referents (its class).
    QCOMPARE(d.fields.front().name, QStringLiteral(".history"));
    QCOMPARE(d.fieldCount, quint32(d.fields.size()));

    // Its referrers: the _CACHE dict under its key.
    QVERIFY(d.referrerCount >= 1);
    bool cache = false;
    for (const ObjectDetails::Referrer &r : d.referrers)
        cache = cache || (r.type == QStringLiteral("dict") && QRegularExpression(QStringLiteral("^\\['s\\d+'\\]$")).match(r.via).hasMatch());
    QVERIFY2(cache, qPrintable(d.referrers.empty() ? QString() : d.referrers.front().via));

    // The referrer of the history list is the Session, through its attribute.
    const Expected<ObjectDetails> list = ObjectDetails::fromGraph(graph, nullptr, history->id, 5);
    QVERIFY(list);
    QCOMPARE(list.value().retained, qint64(-1));
    QCOMPARE(list.value().fieldCount, quint32(30));
    QCOMPARE(list.value().fields.size(), size_t(5));
    QCOMPARE(list.value().fields.front().name, QStringLiteral("[0]"));
    bool owner = false;
    for (const ObjectDetails::Referrer &r : list.value().referrers)
        owner = owner || (r.via == QStringLiteral("Session.history") && r.ownerId == id)
            || (r.via == QStringLiteral(".history") && r.id == id);
    QVERIFY2(owner, qPrintable(list.value().referrers.empty() ? QString() : list.value().referrers.front().via));

    // The chain from the module, in the words of the leak report.
    const QString chain = ObjectDetails::chainToRoot(graph, id);
    QVERIFY2(chain.startsWith(QStringLiteral("__main__ globals")) && chain.contains(QStringLiteral("_CACHE")),
             qPrintable(chain));

    // An id the graph does not have.
    const Expected<ObjectDetails> missing = ObjectDetails::fromGraph(graph, nullptr, 12345);
    QVERIFY(!missing);
    QVERIFY2(missing.error().contains(QStringLiteral("0x3039")), qPrintable(missing.error()));
    QVERIFY(ObjectDetails::chainToRoot(graph, 12345).contains(QStringLiteral("0x3039")));
}

void TestObjectInspector::inspectorShowsTheDetailsAndAnswersItsButtons()
{
    const HeapGraph graph = readGraph(2);
    const Expected<DominatorTree> dominators = DominatorTree::compute(graph);
    QVERIFY(dominators);
    const quint64 id = graph.id(graph.nodesOfType(graph.findType(s_session)).back());
    const Expected<ObjectDetails> details = ObjectDetails::fromGraph(graph, &dominators.value(), id);
    QVERIFY(details);

    ObjectInspector inspector;
    QVERIFY(!inspector.referencesButton()->isEnabled());
    inspector.setDetails(details.value(), QStringLiteral("cache.lsnap, snapshot 2"));
    inspector.resize(1280, 720);
    inspector.show();
    QVERIFY(QTest::qWaitForWindowExposed(&inspector));
    QCOMPARE(inspector.titleText(), QStringLiteral("__main__.Session at %1").arg(TextUtil::hexId(id)));
    QVERIFY2(inspector.summaryText().contains(QStringLiteral("retained ")), qPrintable(inspector.summaryText()));
    QVERIFY(inspector.summaryText().contains(QStringLiteral("cache.lsnap, snapshot 2")));
    QCOMPARE(inspector.fieldsView()->topLevelItemCount(), int(details.value().fields.size()));
    QTreeWidgetItem *history = inspector.fieldsView()->topLevelItem(0);
    QCOMPARE(history->text(0), QStringLiteral(".history"));
    QCOMPARE(history->text(1), details.value().fields.front().value);
    QCOMPARE(history->text(2), QStringLiteral("list"));
    QCOMPARE(inspector.referrersView()->topLevelItemCount(), int(details.value().referrers.size()));

    QSignalSpy object(&inspector, &ObjectInspector::objectRequested);
    QSignalSpy references(&inspector, &ObjectInspector::referencesRequested);
    QSignalSpy chain(&inspector, &ObjectInspector::chainToRootRequested);
    emit inspector.fieldsView()->itemActivated(history, 0);
    QCOMPARE(object.size(), 1);
    QCOMPARE(object.front().front().toULongLong(), details.value().fields.front().id);
    QTest::mouseClick(inspector.referencesButton(), Qt::LeftButton);
    QCOMPARE(references.size(), 1);
    QCOMPARE(references.front().front().toULongLong(), id);
    QTest::mouseClick(inspector.chainButton(), Qt::LeftButton);
    QCOMPARE(chain.size(), 1);
    inspector.setChain(ObjectDetails::chainToRoot(graph, id));
    QVERIFY(inspector.chainText().contains(QStringLiteral("_CACHE")));
    saveScreenshot(inspector, QStringLiteral("screenshot-inspector.png"));

    inspector.setError(QStringLiteral("Snapshot 3 has no heap graph."));
    QCOMPARE(inspector.objectId(), quint64(0));
    QCOMPARE(inspector.fieldsView()->topLevelItemCount(), 0);
    QVERIFY(!inspector.chainButton()->isEnabled());
}

void TestObjectInspector::windowOpensItFromGraphNodesAndShowInstances()
{
    MainWindow window;
    ReferenceTabs *tabs = window.referenceTabs();
    window.resize(1280, 720);
    window.show();
    window.openFiles({m_file});
    QTRY_COMPARE_WITH_TIMEOUT(window.controller()->session()->snapshotCount(), 3, 30000);
    window.controller()->setComparedSnapshots(0, 1);
    QTRY_VERIFY_WITH_TIMEOUT(window.controller()->comparison()->current == 1 && !window.controller()->isBusy(), 30000);
    ReferencesPanel *panel = tabs->references();
    window.detailTabs()->setCurrentWidget(panel);
    window.selectTypes({s_session});
    ReferenceGraphView *view = panel->view();
    QTRY_VERIFY_WITH_TIMEOUT(view->layoutsShown() > 0 && !view->isLayoutRunning(), 30000);

    // A graph node's context menu: Inspect Object.
    const int target = sessionNode(view->graph());
    quint64 targetId = 0;
    QVERIFY(target >= 0);
    std::unique_ptr<QMenu> menu(view->createContextMenu(target));
    QAction *inspect = nullptr;
    for (QAction *a : menu->actions())
        if (a->text().startsWith(QStringLiteral("Inspect Object")))
            inspect = a;
    QVERIFY(inspect && inspect->isEnabled());
    inspect->trigger();
    QVERIFY(tabs->inspector());
    ObjectInspector *inspector = tabs->inspector();
    QTRY_VERIFY_WITH_TIMEOUT(inspector->objectId() != 0, 30000);
    QVERIFY(inspector->isVisible());
    QCOMPARE(inspector->details().type, s_session);
    targetId = inspector->objectId();
    QVERIFY2(inspector->summaryText().contains(QStringLiteral("cache.lsnap, snapshot 2")),
             qPrintable(inspector->summaryText()));
    QVERIFY(inspector->fieldsView()->topLevelItemCount() > 0);
    QTRY_VERIFY_WITH_TIMEOUT(inspector->details().retained > 0, 30000);

    // Its buttons: Chain to Root in the inspector, References in the tab.
    QTest::mouseClick(inspector->chainButton(), Qt::LeftButton);
    QVERIFY2(inspector->chainText().contains(QStringLiteral("_CACHE")), qPrintable(inspector->chainText()));
    QTest::mouseClick(inspector->referencesButton(), Qt::LeftButton);
    QCOMPARE(panel->shownObject(), targetId);
    QCOMPARE(window.detailTabs()->currentWidget(), panel);

    // A field: inspect the history list instead.
    QTreeWidgetItem *history = inspector->fieldsView()->topLevelItem(0);
    QCOMPARE(history->text(0), QStringLiteral(".history"));
    emit inspector->fieldsView()->itemActivated(history, 0);
    QTRY_COMPARE(inspector->details().type, QStringLiteral("list"));

    // Show Instances: a row opens the inspector on that instance.
    // (The References tab shows the inspected Session's referrers now.)
    QTRY_VERIFY_WITH_TIMEOUT(!view->isLayoutRunning() && sessionNode(view->graph()) >= 0, 30000);
    const int node = sessionNode(view->graph());
    QVERIFY(node >= 0);
    panel->showInstances(node);
    auto *dialog = panel->findChild<QDialog *>(QStringLiteral("instancesDialog"));
    QVERIFY(dialog);
    auto *list = dialog->findChild<QListWidget *>();
    QVERIFY(list && list->count() == 40);
    QListWidgetItem *row = list->item(7);
    bool ok = false;
    const quint64 rowId = row->text().section(QLatin1Char(' '), 0, 0).toULongLong(&ok, 16);
    QVERIFY(ok);
    emit list->itemActivated(row);
    QTRY_COMPARE(inspector->objectId(), rowId);
    QCOMPARE(inspector->details().type, s_session);
    dialog->close();
    inspector->close();
}

QTEST_MAIN(TestObjectInspector)
#include "tst_objectinspector.moc"
