// The References and Retainers tabs in the main window offscreen, on a real
// recording with heap graphs written by the real agent, and on a live process.
#include "testutil/guitestdata.h"
#include "heapgraph/heapgraphrequest.h"
#include "lsnap/heapgraphstore.h"
#include "lsnap/snapshotreader.h"
#include "core/jobrunner.h"
#include "gui/livecontroller.h"
#include "gui/liveui.h"
#include "gui/mainwindow.h"
#include "views/messagebar.h"
#include "views/referencegraphscene.h"
#include "gui/referencespanel.h"
#include "gui/referencetabs.h"
#include "views/retainersmodel.h"
#include "gui/retainerspanel.h"
#include "gui/sessioncontroller.h"
#include "views/trendchart.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>

using namespace leakscope;
using namespace leakscope::testdata;

namespace {


const QString s_session = QStringLiteral("__main__.Session");

QStringList edgeLabels(const LayoutInput &g)
{
    QStringList out;
    for (const LayoutEdge &e : g.edges)
        out << e.label;
    return out;
}

int findNode(const LayoutInput &g, const std::function<bool(const LayoutNode &)> &pred)
{
    for (size_t i = 0; i < g.nodes.size(); ++i)
        if (pred(g.nodes[i]))
            return int(i);
    return -1;
}

} // namespace

class TestReferences : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void referencesTabShowsWhoKeepsTheSelectedTypeAlive();
    void doubleClickExpandsAndContextMenuActions();
    void snapshotWithoutGraphShowsHowToRecordOne();
    void cancelLoadingThenReload();
    void retainersListTheCacheDict();
    void liveProcessFillsTheReferencesTab();
    void cyclesAreSkippedOnceRetainedSizesAreKnown();
    void findInGraphCyclesThroughMatchesAndCentresThem();
    void headerSaysWhenCensusAndGraphCountsDiffer();
    void noMoreReferrersShowsNextToTheGraph();
    void legibleAtDefaultZoom_data();
    void legibleAtDefaultZoom();

private:
    struct Window
    {
        MainWindow window;
        ReferenceTabs *tabs = nullptr;
    };
    bool openRecording(Window &w);

    QTemporaryDir m_dir;
    QString m_file;
};

void TestReferences::initTestCase()
{
    QVERIFY(m_dir.isValid());
    qputenv("XDG_CONFIG_HOME", QFile::encodeName(m_dir.filePath(QStringLiteral("config"))));
    qputenv("XDG_CACHE_HOME", QFile::encodeName(m_dir.filePath(QStringLiteral("cache"))));
    m_file = m_dir.filePath(QStringLiteral("cache.lsnap"));
    QString error;
    QVERIFY2(runPython(QString::fromUtf8(s_growingCacheProgram), {m_file}, &error), qPrintable(error));
}

bool TestReferences::openRecording(Window &w)
{
    w.tabs = w.window.referenceTabs();
    w.window.resize(1300, 900);
    w.window.show();
    w.window.openFiles({m_file});
    if (!QTest::qWaitFor([&w] { return w.window.controller()->session()->snapshotCount() == 3; }, 30000))
        return false;
    w.window.controller()->setComparedSnapshots(0, 1);
    return QTest::qWaitFor(
        [&w] {
            const auto c = w.window.controller()->comparison();
            return c && c->current == 1 && c->baseline == 0 && !w.window.controller()->isBusy();
        },
        30000);
}

void TestReferences::referencesTabShowsWhoKeepsTheSelectedTypeAlive()
{
    Window w;
    QVERIFY(openRecording(w));
    QTabWidget *tabs = w.window.detailTabs();
    QCOMPARE(tabs->tabText(tabs->indexOf(w.tabs->references())), QStringLiteral("References"));
    QCOMPARE(tabs->indexOf(w.tabs->references()), tabs->indexOf(w.window.trendChart()) + 1);
    tabs->setCurrentWidget(w.tabs->references());

    ReferencesPanel *panel = w.tabs->references();
    ReferenceGraphView *view = panel->view();
    w.window.selectTypes({s_session});
    QCOMPARE(panel->typeName(), s_session);
    QTRY_VERIFY_WITH_TIMEOUT(view->layoutsShown() > 0 && !view->isLayoutRunning(), 30000);
    QCOMPARE(panel->source(), ReferencesPanel::Source::File);
    // Both compared graphs are cached (the baseline picks the new samples).
    const auto session = w.window.controller()->session();
    const HeapGraphRequest::Key current{m_file, session->snapshot(1).info.id};
    const HeapGraphRequest::Key baseline{m_file, session->snapshot(0).info.id};
    QVERIFY(panel->graphs()->result(current));
    QVERIFY(panel->graphs()->result(baseline));
    // Drawn once, after the analysis it needs: dominators and root paths.
    QCOMPARE(view->layoutsShown(), quint64(1));
    QVERIFY(panel->graphs()->result(current)->dominators && panel->graphs()->result(current)->paths);
    QCOMPARE(panel->graphs()->result(current)->graph->instanceCount(
                 panel->graphs()->result(current)->graph->findType(s_session)),
             quint64(40));

    const LayoutInput &g = view->graph();
    ReferenceGraphScene *scene = view->graphScene();
    QCOMPARE(scene->nodeCount(), int(g.nodes.size()));
    // Three sample Sessions, all new since the warm-up snapshot...
    int targets = 0;
    for (const LayoutNode &n : g.nodes)
        targets += n.kind == NodeKind::Target ? 1 : 0;
    QCOMPARE(targets, 3);
    QVERIFY2(panel->infoText().contains(QStringLiteral("40 instances")), qPrintable(panel->infoText()));
    QVERIFY(panel->infoText().contains(QStringLiteral("new since the baseline")));
    // ...held by the _CACHE dict, held by __main__'s globals, held by the module.
    QVERIFY2(edgeLabels(g).contains(QStringLiteral("_CACHE")), qPrintable(edgeLabels(g).join(QLatin1Char('|'))));
    const int module = findNode(g, [](const LayoutNode &n) {
        return n.kind == NodeKind::Root && n.title == QStringLiteral("module __main__");
    });
    QVERIFY(module >= 0);
    QCOMPARE(scene->nodeItem(module)->title(), QStringLiteral("module __main__"));
    const int cacheDict = findNode(g, [](const LayoutNode &n) { return n.title == QStringLiteral("dict (40 items)"); });
    QVERIFY(cacheDict >= 0);

    // Retained sizes arrive once the dominator tree is computed.
    QTRY_VERIFY_WITH_TIMEOUT(view->graph().nodes[size_t(view->graphScene()->indexOf(g.nodes[size_t(cacheDict)].id))]
                                 .subtitle.contains(QStringLiteral("retained")),
                             30000);
    QTRY_VERIFY(!view->isLayoutRunning());
    QVERIFY(!panel->infoText().contains(QStringLiteral("computing")));

    // Exports write what is on screen.
    const QString dot = m_dir.filePath(QStringLiteral("refs.dot"));
    const Status written = panel->exportTo(dot, ReferenceGraphView::ExportFormat::Dot);
    QVERIFY2(written, qPrintable(written.error()));
    QFile f(dot);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray text = f.readAll();
    QVERIFY(text.contains("_CACHE"));
    QVERIFY(text.contains("module __main__"));
    const QString png = m_dir.filePath(QStringLiteral("refs.png"));
    QVERIFY(panel->exportTo(png, ReferenceGraphView::ExportFormat::Png));
    QVERIFY(QImage(png).width() > 100);
    const Status bad = panel->exportTo(m_dir.filePath(QStringLiteral("no/such/dir/x.svg")),
                                       ReferenceGraphView::ExportFormat::Svg);
    QVERIFY(!bad);
    QVERIFY(bad.error().contains(QStringLiteral("x.svg")));

    // The screenshot for the docs (LEAKSCOPE_SCREENSHOT_DIR set by hand).
    const QByteArray shotDir = qgetenv("LEAKSCOPE_SCREENSHOT_DIR");
    if (!shotDir.isEmpty()) {
        // At the two sizes the issue checks legibility at; the graph gets
        // most of the height, as someone reading it would give it.
        const struct
        {
            QSize size;
            const char *name;
        } shots[] = {{{1280, 720}, "/screenshot-references-tab.png"}, {{1920, 1080}, "/screenshot-references-tab-1080p.png"}};
        for (const auto &shot : shots) {
            w.window.resize(shot.size);
            QApplication::processEvents();
            if (auto *split = w.window.findChild<QSplitter *>(QStringLiteral("rightSplitter")))
                split->setSizes({shot.size.height() * 3 / 10, shot.size.height() * 7 / 10});
            QApplication::processEvents();
            view->fitToView();
            QTest::qWait(50); // let the offscreen backend paint once before grabbing
            QVERIFY(w.window.grab().save(QFile::decodeName(shotDir) + QLatin1String(shot.name)));
        }
    }
}

void TestReferences::doubleClickExpandsAndContextMenuActions()
{
    Window w;
    QVERIFY(openRecording(w));
    w.window.detailTabs()->setCurrentWidget(w.tabs->references());
    ReferencesPanel *panel = w.tabs->references();
    ReferenceGraphView *view = panel->view();
    panel->depthBox()->setValue(1);
    w.window.selectTypes({s_session});
    QTRY_VERIFY_WITH_TIMEOUT(view->layoutsShown() > 0 && !view->isLayoutRunning()
                                 && view->graphScene()->nodeCount() > 0,
                             30000);
    // Depth 1: the Sessions and the dict that holds them, nothing above.
    QTRY_VERIFY_WITH_TIMEOUT(
        findNode(view->graph(), [](const LayoutNode &n) { return n.title == QStringLiteral("dict (40 items)"); }) >= 0,
        30000);
    QTRY_VERIFY(!view->isLayoutRunning());
    const int before = view->graphScene()->nodeCount();
    QVERIFY(!edgeLabels(view->graph()).contains(QStringLiteral("_CACHE")));

    // A real double-click on the cache dict adds its referrers.
    const int dict =
        findNode(view->graph(), [](const LayoutNode &n) { return n.title == QStringLiteral("dict (40 items)"); });
    const quint64 shown = view->layoutsShown();
    GraphNodeItem *item = view->graphScene()->nodeItem(dict);
    view->centerOn(item);
    const QPoint at = view->mapFromScene(item->sceneBoundingRect().center());
    QTest::mouseDClick(view->viewport(), Qt::LeftButton, {}, at);
    QTRY_VERIFY_WITH_TIMEOUT(view->layoutsShown() > shown && !view->isLayoutRunning(), 30000);
    QVERIFY2(view->graphScene()->nodeCount() > before,
             qPrintable(QStringLiteral("%1 -> %2").arg(before).arg(view->graphScene()->nodeCount())));
    QVERIFY(edgeLabels(view->graph()).contains(QStringLiteral("_CACHE")));

    // Chain to root from a sample Session: a highlighted path from a module.
    const int target = findNode(view->graph(), [](const LayoutNode &n) { return n.kind == NodeKind::Target; });
    QVERIFY(target >= 0);
    const QString targetId = view->graph().nodes[size_t(target)].id;
    const quint64 shown2 = view->layoutsShown();
    emit view->chainToRootRequested(target);
    QTRY_VERIFY_WITH_TIMEOUT(view->layoutsShown() > shown2 && !view->isLayoutRunning(), 30000);
    const LayoutInput &g = view->graph();
    std::vector<int> lit;
    for (size_t i = 0; i < g.nodes.size(); ++i)
        if (g.nodes[i].highlighted)
            lit.push_back(int(i));
    QVERIFY(lit.size() >= 4); // module, globals dict, _CACHE dict, Session
    int litRoots = 0;
    for (int i : lit) {
        QVERIFY(view->graphScene()->nodeItem(i)->isHighlighted());
        if (g.nodes[size_t(i)].kind == NodeKind::Root) {
            ++litRoots;
            QCOMPARE(g.nodes[size_t(i)].title, QStringLiteral("module __main__"));
        }
    }
    QCOMPARE(litRoots, 1);
    QVERIFY(g.nodes[size_t(view->graphScene()->indexOf(targetId))].highlighted);
    int litEdges = 0;
    for (const LayoutEdge &e : g.edges)
        litEdges += e.highlighted ? 1 : 0;
    QCOMPARE(litEdges, int(lit.size()) - 1);
    QVERIFY(panel->infoText().contains(QStringLiteral("module __main__")));

    // Copy repr, show instances, hide.
    const int t = view->graphScene()->indexOf(targetId);
    panel->copyRepr(t);
    QVERIFY(QApplication::clipboard()->text().contains(QStringLiteral("Session")));
    panel->showInstances(t);
    QCOMPARE(panel->lastInstances().size(), 40);
    QVERIFY(panel->lastInstances().front().startsWith(QStringLiteral("0x")));
    const int count = view->graphScene()->nodeCount();
    const quint64 shown3 = view->layoutsShown();
    emit view->hideNodeRequested(t);
    QTRY_VERIFY_WITH_TIMEOUT(view->layoutsShown() > shown3 && !view->isLayoutRunning(), 30000);
    QCOMPARE(view->graphScene()->nodeCount(), count - 1);
    QCOMPARE(view->graphScene()->indexOf(targetId), -1);
}

void TestReferences::snapshotWithoutGraphShowsHowToRecordOne()
{
    Window w;
    QVERIFY(openRecording(w));
    ReferencesPanel *panel = w.tabs->references();
    w.window.selectTypes({s_session});
    QTRY_VERIFY_WITH_TIMEOUT(panel->view()->layoutsShown() > 0, 30000);
    w.window.controller()->setComparedSnapshots(1, 2);
    QTRY_COMPARE_WITH_TIMEOUT(w.window.controller()->comparison()->current, 2, 30000);
    QTRY_COMPARE(panel->source(), ReferencesPanel::Source::None);
    QVERIFY(panel->view()->graphScene()->isEmpty());
    QCOMPARE(panel->view()->placeholderText(), ReferencesPanel::noGraphText());
    QVERIFY(panel->view()->placeholderText().contains(QStringLiteral("leakscope-cli record --graph")));
    w.window.detailTabs()->setCurrentWidget(w.tabs->retainers());
    QTRY_VERIFY(w.tabs->retainers()->isShowingEmptyState());
    QCOMPARE(w.tabs->retainers()->emptyText(), ReferencesPanel::noGraphText());
}

void TestReferences::cancelLoadingThenReload()
{
    Window w;
    QVERIFY(openRecording(w));
    ReferencesPanel *panel = w.tabs->references();
    auto *cancel = panel->findChild<QToolButton *>(QStringLiteral("cancelReferences"));
    auto *reload = panel->findChild<QToolButton *>(QStringLiteral("reloadReferences"));
    QVERIFY(cancel && reload);
    // Cancel as soon as the load starts: its result is queued to this thread,
    // so it can never arrive before the click.
    QSignalSpy cancelled(panel->graphs()->runner(), &JobRunner::cancelled);
    const auto clickCancel = connect(panel->graphs()->runner(), &JobRunner::started, cancel, [cancel] {
        QVERIFY(cancel->isVisibleTo(cancel->parentWidget()));
        cancel->click();
    });
    w.window.selectTypes({s_session});
    QCOMPARE(cancelled.size(), 1);
    disconnect(clickCancel);
    QVERIFY2(panel->view()->placeholderText().contains(QStringLiteral("cancelled")),
             qPrintable(panel->view()->placeholderText()));
    QVERIFY(!cancel->isVisibleTo(panel));
    const auto session = w.window.controller()->session();
    QVERIFY(!panel->graphs()->result(HeapGraphRequest::Key{m_file, session->snapshot(1).info.id}));
    // Whatever the cancelled job still delivers is dropped.
    panel->graphs()->runner()->waitForIdle();
    QCoreApplication::processEvents();
    QVERIFY(!panel->graphs()->result(HeapGraphRequest::Key{m_file, session->snapshot(1).info.id}));
    QCOMPARE(panel->view()->layoutsShown(), quint64(0));

    reload->click();
    QTRY_VERIFY_WITH_TIMEOUT(panel->view()->layoutsShown() > 0 && !panel->view()->isLayoutRunning(), 30000);
    QVERIFY(edgeLabels(panel->view()->graph()).contains(QStringLiteral("_CACHE")));
}

void TestReferences::retainersListTheCacheDict()
{
    Window w;
    QVERIFY(openRecording(w));
    RetainersPanel *panel = w.tabs->retainers();
    QAbstractItemModelTester tester(panel->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    w.window.detailTabs()->setCurrentWidget(panel);
    QTRY_VERIFY_WITH_TIMEOUT(!panel->isShowingEmptyState() && panel->model()->rowCount() > 0, 30000);

    // What the Sessions weigh, from an independent read of the file.
    const auto session = w.window.controller()->session();
    const Expected<HeapGraph> graph = HeapGraph::read(HeapGraphStore::readArrays, m_file, session->snapshot(1).info.id);
    QVERIFY2(graph, qPrintable(graph.error()));
    quint64 sessions = 0;
    for (quint32 n : graph.value().nodesOfType(graph.value().findType(s_session)))
        sessions += graph.value().shallowSize(n);
    QVERIFY(sessions > 0);

    // Sorted by retained size (raw numbers), the dict behind _CACHE near the top.
    QSortFilterProxyModel *proxy = panel->proxy();
    int cacheRow = -1;
    for (int r = 0; r < proxy->rowCount(); ++r) {
        if (r > 0)
            QVERIFY(proxy->index(r - 1, RetainersModel::RetainedColumn).data(RetainersModel::SortRole).toULongLong()
                    >= proxy->index(r, RetainersModel::RetainedColumn).data(RetainersModel::SortRole).toULongLong());
        if (cacheRow < 0 && proxy->index(r, RetainersModel::ObjectColumn).data().toString() == QStringLiteral("dict (40 items)"))
            cacheRow = r;
    }
    QVERIFY2(cacheRow >= 0 && cacheRow < 5, qPrintable(QString::number(cacheRow)));
    const quint64 retained =
        proxy->index(cacheRow, RetainersModel::RetainedColumn).data(RetainersModel::SortRole).toULongLong();
    QVERIFY2(retained >= sessions, qPrintable(QStringLiteral("%1 < %2").arg(retained).arg(sessions)));
    QVERIFY(proxy->index(cacheRow, RetainersModel::PercentColumn).data().toString().endsWith(QLatin1Char('%')));
    // The globals of __main__ keep the cache dict alive (and so retain more),
    // named as such rather than as one more "dict (13 items)".
    const QString keeper = proxy->index(cacheRow, RetainersModel::DominatorColumn).data().toString();
    QVERIFY2(keeper.startsWith(QStringLiteral("__main__ globals (")) && keeper.endsWith(QStringLiteral(" items) \u2192 _CACHE")),
             qPrintable(keeper));
    bool keeperRetainsMore = false;
    for (int r = 0; r < cacheRow; ++r)
        if (keeper.startsWith(proxy->index(r, RetainersModel::ObjectColumn).data().toString() + QStringLiteral(" \u2192 ")))
            keeperRetainsMore = true;
    QVERIFY(keeperRetainsMore);

    // The selected row's chain to root: module __main__ -> globals -> _CACHE.
    panel->table()->selectRow(cacheRow);
    panel->table()->setCurrentIndex(proxy->index(cacheRow, 0));
    QListWidget *chain = panel->chainList();
    QVERIFY(chain->count() >= 3);
    QVERIFY2(chain->item(0)->text().contains(QStringLiteral("module __main__")), qPrintable(chain->item(0)->text()));
    QVERIFY(chain->item(chain->count() - 1)->text().contains(QStringLiteral("_CACHE")));
    QVERIFY(chain->item(chain->count() - 1)->text().contains(QStringLiteral("dict (40 items)")));

    const QByteArray shotDir = qgetenv("LEAKSCOPE_SCREENSHOT_DIR");
    if (!shotDir.isEmpty())
        QVERIFY(w.window.grab().save(QFile::decodeName(shotDir) + QStringLiteral("/screenshot-retainers-tab.png")));

    // Double-click: the References tab shows who refers to that dict.
    ReferencesPanel *refs = w.tabs->references();
    emit panel->table()->activated(proxy->index(cacheRow, RetainersModel::ObjectColumn));
    QCOMPARE(w.window.detailTabs()->currentWidget(), refs);
    QVERIFY(refs->shownObject() != 0);
    QTRY_VERIFY_WITH_TIMEOUT(refs->view()->layoutsShown() > 0 && !refs->view()->isLayoutRunning(), 30000);
    {
        const LayoutInput &g = refs->view()->graph();
        const int t = findNode(g, [](const LayoutNode &n) { return n.kind == NodeKind::Target; });
        QVERIFY(t >= 0);
        QCOMPARE(g.nodes[size_t(t)].title, QStringLiteral("dict (40 items)"));
        QVERIFY(edgeLabels(g).contains(QStringLiteral("_CACHE")));
        QVERIFY(refs->infoText().contains(QStringLiteral("object 0x")));
    }
    w.window.detailTabs()->setCurrentWidget(panel);

    // By type: the Sessions' type retains at least their own bytes.
    panel->byTypeBox()->setChecked(true);
    int typeRow = -1;
    for (int r = 0; r < proxy->rowCount(); ++r)
        if (proxy->index(r, RetainersModel::TypeColumn).data().toString() == s_session)
            typeRow = r;
    QVERIFY(typeRow >= 0);
    QCOMPARE(proxy->index(typeRow, RetainersModel::ObjectColumn).data(RetainersModel::SortRole).toULongLong(),
             quint64(40));
    QVERIFY(proxy->index(typeRow, RetainersModel::RetainedColumn).data(RetainersModel::SortRole).toULongLong()
            >= sessions);
    panel->table()->setCurrentIndex(proxy->index(typeRow, 0));
    QVERIFY(chain->count() >= 4);
    QVERIFY(chain->item(0)->text().contains(QStringLiteral("module __main__")));
    // A type row shows its samples there.
    const quint64 shownBefore = refs->view()->layoutsShown();
    emit panel->table()->activated(proxy->index(typeRow, 0));
    QCOMPARE(refs->typeName(), s_session);
    QCOMPARE(refs->shownObject(), quint64(0));
    QTRY_VERIFY_WITH_TIMEOUT(refs->view()->layoutsShown() > shownBefore && !refs->view()->isLayoutRunning(), 30000);
    QVERIFY(refs->infoText().contains(QStringLiteral("40 instances")));
    w.window.detailTabs()->setCurrentWidget(panel);
    // Sorting by another column sorts by the raw number.
    panel->table()->sortByColumn(RetainersModel::ShallowColumn, Qt::DescendingOrder);
    for (int r = 1; r < proxy->rowCount(); ++r)
        QVERIFY(proxy->index(r - 1, RetainersModel::ShallowColumn).data(RetainersModel::SortRole).toULongLong()
                >= proxy->index(r, RetainersModel::ShallowColumn).data(RetainersModel::SortRole).toULongLong());
}

void TestReferences::liveProcessFillsTheReferencesTab()
{
    const QString sockets = m_dir.filePath(QStringLiteral("sockets"));
    QVERIFY(QDir().mkpath(sockets));
    QFile::setPermissions(sockets, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    qputenv("LEAKSCOPE_SOCKET_DIR", QFile::encodeName(sockets));
    qputenv("LEAKSCOPE_AUTOSAVE_DIR", QFile::encodeName(m_dir.filePath(QStringLiteral("autosave"))));
    const QString script = m_dir.filePath(QStringLiteral("serve.py"));
    QFile f(script);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("import time\n"
            "class Session:\n"
            "    def __init__(self, i):\n"
            "        self.user = 'user%d' % i\n"
            "_CACHE = {}\n"
            "for i in range(25):\n"
            "    _CACHE[i] = Session(i)\n"
            "class Hub:\n"
            "    pass\n"
            "_HUB = Hub()\n"
            "_HOLDERS = [[_HUB] for _ in range(30)]\n"
            "time.sleep(60)\n");
    f.close();

    MainWindow window;
    LiveUi &live = *window.liveUi();
    ReferenceTabs *tabs = window.referenceTabs();
    window.show();
    QVERIFY(live.runScript(QStringLiteral(LEAKSCOPE_PYTHON), script, {}, QString(), 0));
    QTRY_VERIFY_WITH_TIMEOUT(live.live()->state() == LiveController::State::Connected, 20000);
    live.live()->snapshotNow(QStringLiteral("now"));
    QTRY_VERIFY_WITH_TIMEOUT(window.controller()->session()->types().find(s_session) >= 0, 20000);
    QTRY_VERIFY_WITH_TIMEOUT(!window.controller()->isBusy(), 20000);
    window.selectTypes({s_session});

    ReferencesPanel *panel = tabs->references();
    ReferenceGraphView *view = panel->view();
    QTRY_COMPARE(panel->source(), ReferencesPanel::Source::Live);
    QTRY_VERIFY_WITH_TIMEOUT(view->layoutsShown() > 0 && !view->isLayoutRunning(), 30000);
    QVERIFY2(edgeLabels(view->graph()).contains(QStringLiteral("_CACHE")),
             qPrintable(edgeLabels(view->graph()).join(QLatin1Char('|'))));
    QVERIFY(findNode(view->graph(), [](const LayoutNode &n) { return n.title == QStringLiteral("module __main__"); }) >= 0);
    // The module's namespace is named as such, as in files.
    QVERIFY(findNode(view->graph(), [](const LayoutNode &n) {
                return n.title.startsWith(QStringLiteral("__main__ globals ("));
            }) >= 0);
    // Skip cycles (on by default): Session.__init__'s __globals__ pointing
    // back at the module namespace is left out by the agent; off, it is back.
    QVERIFY(!edgeLabels(view->graph()).contains(QStringLiteral("__globals__")));
    QVERIFY2(panel->infoText().contains(QStringLiteral("in cycles skipped")), qPrintable(panel->infoText()));
    const quint64 beforeSkip = view->layoutsShown();
    panel->skipCyclesBox()->setChecked(false);
    QTRY_VERIFY_WITH_TIMEOUT(view->layoutsShown() > beforeSkip && !view->isLayoutRunning(), 30000);
    QVERIFY2(edgeLabels(view->graph()).contains(QStringLiteral("__globals__")),
             qPrintable(edgeLabels(view->graph()).join(QLatin1Char('|'))));
    const quint64 beforeSkipAgain = view->layoutsShown();
    panel->skipCyclesBox()->setChecked(true);
    QTRY_VERIFY_WITH_TIMEOUT(view->layoutsShown() > beforeSkipAgain && !view->isLayoutRunning(), 30000);
    QVERIFY(!edgeLabels(view->graph()).contains(QStringLiteral("__globals__")));

    // Chain to root through the agent's chain op.
    const int target = findNode(view->graph(), [](const LayoutNode &n) { return n.kind == NodeKind::Target; });
    QVERIFY(target >= 0);
    const quint64 shown = view->layoutsShown();
    emit view->chainToRootRequested(target);
    QTRY_VERIFY_WITH_TIMEOUT(view->layoutsShown() > shown && !view->isLayoutRunning(), 30000);
    const int root = findNode(view->graph(), [](const LayoutNode &n) {
        return n.highlighted && n.kind == NodeKind::Root && n.title == QStringLiteral("module __main__");
    });
    QVERIFY(root >= 0);

    // Instances through the agent's instances op.
    panel->showInstances(target);
    QTRY_COMPARE_WITH_TIMEOUT(panel->lastInstances().size(), 25, 20000);

    // Depth 1 then expand the cache dict by its object id.
    const quint64 beforeDepth = view->layoutsShown();
    panel->depthBox()->setValue(1);
    QTRY_VERIFY_WITH_TIMEOUT(view->layoutsShown() > beforeDepth && !view->isLayoutRunning(), 30000);
    QVERIFY(!edgeLabels(view->graph()).contains(QStringLiteral("_CACHE")));
    const int dict = findNode(view->graph(), [](const LayoutNode &n) { return n.title == QStringLiteral("dict (25 items)"); });
    QVERIFY2(dict >= 0, qPrintable(edgeLabels(view->graph()).join(QLatin1Char('|'))));
    const int before = view->graphScene()->nodeCount();
    panel->expandNode(dict);
    QTRY_VERIFY_WITH_TIMEOUT(edgeLabels(view->graph()).contains(QStringLiteral("_CACHE")) && !view->isLayoutRunning(),
                             30000);
    QVERIFY(view->graphScene()->nodeCount() > before);

    // 31 objects refer to the one Hub (30 lists and the module namespace):
    // 10 are drawn and "+21 more"; double-clicking that node pages through
    // the rest, 10 at a time, until none is left.
    window.selectTypes({QStringLiteral("__main__.Hub")});
    const auto moreNode = [view] {
        return findNode(view->graph(), [](const LayoutNode &n) { return n.kind == NodeKind::Collapsed; });
    };
    QTRY_VERIFY_WITH_TIMEOUT(moreNode() >= 0 && !view->isLayoutRunning(), 30000);
    QCOMPARE(view->graph().nodes[size_t(moreNode())].title, QStringLiteral("+21 more"));
    const int lists = [view] {
        int n = 0;
        for (const LayoutNode &node : view->graph().nodes)
            n += node.title.startsWith(QStringLiteral("list")) ? 1 : 0;
        return n;
    }();
    QVERIFY(lists >= 9);
    for (const QString &next : {QStringLiteral("+11 more"), QStringLiteral("+1 more")}) {
        const quint64 shownBefore = view->layoutsShown();
        panel->expandNode(moreNode());
        QTRY_VERIFY_WITH_TIMEOUT(view->layoutsShown() > shownBefore && !view->isLayoutRunning(), 30000);
        int collapsed = 0;
        for (const LayoutNode &node : view->graph().nodes)
            collapsed += node.kind == NodeKind::Collapsed ? 1 : 0;
        QCOMPARE(collapsed, 1); // the old one gave way
        QCOMPARE(view->graph().nodes[size_t(moreNode())].title, next);
    }
    const quint64 lastPage = view->layoutsShown();
    panel->expandNode(moreNode());
    QTRY_VERIFY_WITH_TIMEOUT(view->layoutsShown() > lastPage && !view->isLayoutRunning(), 30000);
    QCOMPARE(moreNode(), -1);
    int referrers = 0;
    for (const LayoutEdge &e : view->graph().edges)
        referrers += view->graph().nodes[size_t(e.to)].kind == NodeKind::Target ? 1 : 0;
    QCOMPARE(referrers, 31);

    QSignalSpy exited(live.live(), &LiveController::processExited);
    live.live()->stop();
    QTRY_COMPARE_WITH_TIMEOUT(exited.size(), 1, 10000);
    QTRY_COMPARE(panel->source(), ReferencesPanel::Source::None);
}

// The module's function `handle` refers back to the module namespace through
// __globals__, but the namespace keeps it alive: once the dominator tree is
// known it is left out (and counted in the info line); unchecking "Skip
// cycles" draws it again.
void TestReferences::cyclesAreSkippedOnceRetainedSizesAreKnown()
{
    Window w;
    QVERIFY(openRecording(w));
    ReferencesPanel *panel = w.tabs->references();
    w.window.detailTabs()->setCurrentWidget(panel);
    ReferenceGraphView *view = panel->view();
    QVERIFY(panel->skipCyclesBox()->isChecked());
    w.window.selectTypes({s_session});
    const auto handleNode = [view] {
        return findNode(view->graph(), [](const LayoutNode &n) { return n.title == QStringLiteral("handle"); });
    };
    QTRY_VERIFY_WITH_TIMEOUT(panel->infoText().contains(QStringLiteral("in cycles skipped"))
                                 && !panel->infoText().contains(QStringLiteral("computing retained sizes"))
                                 && view->layoutsShown() > 0 && !view->isLayoutRunning(),
                             30000);
    QCOMPARE(handleNode(), -1);
    // The module itself still leads the way up.
    const int module = findNode(view->graph(), [](const LayoutNode &n) { return n.kind == NodeKind::Root; });
    QVERIFY(module >= 0);
    // The tab is wide and short: the chain reads from the module on the left
    // to the Sessions on the right.
    QVERIFY2(view->width() > 2 * view->height(), qPrintable(QStringLiteral("%1x%2").arg(view->width()).arg(view->height())));
    const int target = findNode(view->graph(), [](const LayoutNode &n) { return n.kind == NodeKind::Target; });
    QVERIFY(target >= 0);
    const QPointF modulePos = view->graphScene()->nodeItem(module)->scenePos();
    const QPointF targetPos = view->graphScene()->nodeItem(target)->scenePos();
    QVERIFY(modulePos.x() + 100 < targetPos.x());

    panel->skipCyclesBox()->setChecked(false);
    QTRY_VERIFY_WITH_TIMEOUT(handleNode() >= 0 && !view->isLayoutRunning(), 30000);
    QVERIFY(!panel->infoText().contains(QStringLiteral("in cycles skipped")));
}

// Ctrl+F finds nodes by type or label; Enter goes to the next match (and
// wraps), and each match is brought into view when the graph is zoomed in.
void TestReferences::findInGraphCyclesThroughMatchesAndCentresThem()
{
    Window w;
    QVERIFY(openRecording(w));
    ReferencesPanel *panel = w.tabs->references();
    w.window.detailTabs()->setCurrentWidget(panel);
    ReferenceGraphView *view = panel->view();
    w.window.selectTypes({s_session});
    QTRY_VERIFY_WITH_TIMEOUT(view->layoutsShown() > 0 && !view->isLayoutRunning(), 30000);

    QVERIFY(!panel->findBox()->isVisibleTo(panel));
    view->setFocus();
    QTest::keyClick(view, Qt::Key_F, Qt::ControlModifier);
    QVERIFY(panel->findBox()->isVisibleTo(panel));
    QTRY_VERIFY(panel->findBox()->hasFocus());

    // By type: the three sampled Sessions (their second line names the type).
    const std::vector<int> sessions = panel->findMatches(QStringLiteral("main__.session"));
    int sampled = 0;
    for (const LayoutNode &n : view->graph().nodes)
        sampled += n.kind == NodeKind::Target ? 1 : 0;
    QCOMPARE(sampled, 3);
    QVERIFY(int(sessions.size()) >= sampled);
    for (int i : sessions)
        QVERIFY(view->graph().nodes[size_t(i)].subtitle.contains(s_session)
                || view->graph().nodes[size_t(i)].title.contains(s_session));

    view->zoomBy(6.0 / view->zoom()); // closer than the fit: not everything is on screen
    QTest::keyClicks(panel->findBox(), QStringLiteral("main__.Session"));
    QCOMPARE(panel->currentFindMatch(), sessions.front());
    QCOMPARE(view->focusedNode(), sessions.front());
    const auto onScreen = [view](int node) {
        const QRectF visible = view->mapToScene(view->viewport()->rect()).boundingRect();
        return visible.contains(view->graphScene()->nodeItem(node)->sceneBoundingRect().center());
    };
    QVERIFY(onScreen(sessions.front()));
    for (size_t k = 1; k < sessions.size(); ++k) {
        QTest::keyClick(panel->findBox(), Qt::Key_Return);
        QCOMPARE(panel->currentFindMatch(), sessions[k]);
        QCOMPARE(view->focusedNode(), sessions[k]);
        QVERIFY2(onScreen(sessions[k]), qPrintable(view->graph().nodes[size_t(sessions[k])].title));
    }
    // Past the last match it wraps to the first.
    QTest::keyClick(panel->findBox(), Qt::Key_Return);
    QCOMPARE(panel->currentFindMatch(), sessions.front());

    // By label: the module's namespace reads "__main__ globals".
    panel->findBox()->setText(QStringLiteral("GLOBALS"));
    const int globals = panel->currentFindMatch();
    QVERIFY(globals >= 0);
    QVERIFY2(view->graph().nodes[size_t(globals)].title.contains(QStringLiteral("globals")),
             qPrintable(view->graph().nodes[size_t(globals)].title));
    QVERIFY(onScreen(globals));

    panel->findBox()->setText(QStringLiteral("no such node anywhere"));
    QCOMPARE(panel->currentFindMatch(), -1);
    QCOMPARE(view->focusedNode(), -1);
}

// The census counts the type when the snapshot is taken; the heap graph is
// dumped a moment later and leaves out the agent's own objects. Where the
// two differ the header says so and why; where they agree it says nothing.
void TestReferences::headerSaysWhenCensusAndGraphCountsDiffer()
{
    {
        Window w;
        QVERIFY(openRecording(w));
        ReferencesPanel *panel = w.tabs->references();
        w.window.selectTypes({s_session});
        QTRY_VERIFY_WITH_TIMEOUT(panel->view()->layoutsShown() > 0 && !panel->view()->isLayoutRunning(), 30000);
        QVERIFY2(panel->infoText().contains(QStringLiteral("40 instances in the heap graph")), qPrintable(panel->infoText()));
        QVERIFY2(!panel->infoText().contains(QStringLiteral("census counted")), qPrintable(panel->infoText()));
    }
    // The same recording, with the census of the compared snapshot counting
    // seven Sessions more than its (real) heap graph holds.
    Expected<LoadedFile> file = SnapshotReader::read(m_file);
    QVERIFY2(file, qPrintable(file.error()));
    LoadedFile loaded = file.take();
    const int type = loaded.types.find(s_session);
    QVERIFY(type >= 0);
    bool changed = false;
    for (TypeStat &stat : loaded.snapshots[1].stats) {
        if (stat.type == type) {
            QCOMPARE(stat.count, qint64(40));
            stat.count += 7;
            changed = true;
        }
    }
    QVERIFY(changed);
    Window w;
    w.tabs = w.window.referenceTabs();
    w.window.resize(1280, 720);
    w.window.show();
    std::vector<LoadedFile> files;
    files.push_back(std::move(loaded));
    w.window.controller()->addLoadedFiles(std::move(files));
    QTRY_VERIFY_WITH_TIMEOUT(w.window.controller()->session()->snapshotCount() == 3, 30000);
    w.window.controller()->setComparedSnapshots(0, 1);
    QTRY_VERIFY_WITH_TIMEOUT(w.window.controller()->comparison()->current == 1 && !w.window.controller()->isBusy(), 30000);
    ReferencesPanel *panel = w.tabs->references();
    w.window.detailTabs()->setCurrentWidget(panel);
    w.window.selectTypes({s_session});
    QTRY_VERIFY_WITH_TIMEOUT(panel->view()->layoutsShown() > 0 && !panel->view()->isLayoutRunning(), 30000);
    const QString info = panel->infoText();
    QVERIFY2(info.contains(QStringLiteral("40 instances in the heap graph")), qPrintable(info));
    QVERIFY2(info.contains(QStringLiteral("the census counted 47")), qPrintable(info));
    QVERIFY2(info.contains(QStringLiteral("leaves out the agent's own objects")), qPrintable(info));
    // Never clipped: the label wraps within the tab and shows all of it.
    auto *label = panel->findChild<QLabel *>(QStringLiteral("referencesInfo"));
    QVERIFY(label && label->wordWrap());
    QVERIFY(label->width() <= panel->width());
    QVERIFY2(label->height() >= label->heightForWidth(label->width()),
             qPrintable(QStringLiteral("%1 < %2").arg(label->height()).arg(label->heightForWidth(label->width()))));
}

// Expanding a node that has no more referrers says so on the graph, next to
// the node, not in the window's message bar.
void TestReferences::noMoreReferrersShowsNextToTheGraph()
{
    Window w;
    QVERIFY(openRecording(w));
    ReferencesPanel *panel = w.tabs->references();
    w.window.detailTabs()->setCurrentWidget(panel);
    ReferenceGraphView *view = panel->view();
    w.window.selectTypes({s_session});
    QTRY_VERIFY_WITH_TIMEOUT(view->layoutsShown() > 0 && !view->isLayoutRunning(), 30000);
    // A sampled Session: its referrers (the _CACHE dict) are drawn already.
    const int target = findNode(view->graph(), [](const LayoutNode &n) { return n.kind == NodeKind::Target; });
    QVERIFY(target >= 0);
    const QStringList messages = w.window.messageBar()->messages();
    QVERIFY(panel->noteText().isEmpty());
    panel->expandNode(target);
    QVERIFY2(panel->noteText().startsWith(QStringLiteral("No more referrers of")), qPrintable(panel->noteText()));
    auto *note = panel->findChild<QLabel *>(QStringLiteral("referencesNote"));
    QVERIFY(note && note->parentWidget() == view);
    QVERIFY(view->rect().contains(note->geometry()));
    QCOMPARE(w.window.messageBar()->messages(), messages);
    // The next drawing takes it away.
    panel->hideNode(findNode(view->graph(), [](const LayoutNode &n) { return n.kind == NodeKind::Root; }));
    QVERIFY(panel->noteText().isEmpty());
}

void TestReferences::legibleAtDefaultZoom_data()
{
    QTest::addColumn<QSize>("size");
    QTest::newRow("1280x720") << QSize(1280, 720);
    QTest::newRow("1920x1080") << QSize(1920, 1080);
}

// At the window sizes people use, the graph as first shown (fitted) has text
// of a readable size, every edge label clear of the node boxes, and the info
// line whole. LEAKSCOPE_SCREENSHOT_DIR keeps a PNG of the window to look at.
void TestReferences::legibleAtDefaultZoom()
{
    QFETCH(QSize, size);
    Window w;
    w.tabs = w.window.referenceTabs();
    w.window.show();
    w.window.resize(size);
    w.window.openFiles({m_file});
    QTRY_VERIFY_WITH_TIMEOUT(w.window.controller()->session()->snapshotCount() == 3, 30000);
    w.window.controller()->setComparedSnapshots(0, 1);
    QTRY_VERIFY_WITH_TIMEOUT(w.window.controller()->comparison()->current == 1 && !w.window.controller()->isBusy(), 30000);
    ReferencesPanel *panel = w.tabs->references();
    w.window.detailTabs()->setCurrentWidget(panel);
    ReferenceGraphView *view = panel->view();
    w.window.selectTypes({s_session});
    QTRY_VERIFY_WITH_TIMEOUT(view->layoutsShown() > 0 && !view->isLayoutRunning(), 30000);
    QCoreApplication::processEvents();

    const QByteArray dir = qgetenv("LEAKSCOPE_SCREENSHOT_DIR");
    if (!dir.isEmpty())
        QVERIFY(w.window.grab().save(QDir(QString::fromLocal8Bit(dir)).filePath(
            QStringLiteral("references-%1x%2.png").arg(size.width()).arg(size.height()))));

    // Text: node titles are 12 px, edge labels 11 px and the second lines
    // 10 px in scene units; on screen none falls below 8 px, edge labels and
    // titles not below 9.
    const double zoom = view->zoom();
    QVERIFY2(11 * zoom >= 9.0 && 10 * zoom >= 8.0, qPrintable(QStringLiteral("zoom %1").arg(zoom)));
    // Edge labels clear of every node box.
    ReferenceGraphScene *scene = view->graphScene();
    for (int e = 0; e < scene->edgeCount(); ++e) {
        const QRectF label = scene->edgeItem(e)->labelRect();
        if (label.isNull())
            continue;
        for (int n = 0; n < scene->nodeCount(); ++n) {
            const QRectF box = scene->nodeItem(n)->sceneBoundingRect();
            QVERIFY2(!label.intersects(box),
                     qPrintable(QStringLiteral("label \"%1\" under node \"%2\"")
                                    .arg(scene->edgeItem(e)->label(), view->graph().nodes[size_t(n)].title)));
        }
    }
    // The info line is whole: it wraps inside the tab.
    auto *info = panel->findChild<QLabel *>(QStringLiteral("referencesInfo"));
    QVERIFY(info && info->isVisible());
    QVERIFY(info->geometry().right() <= panel->width());
    QVERIFY(info->height() >= info->heightForWidth(info->width()));
}

QTEST_MAIN(TestReferences)
#include "tst_references.moc"
