// Retained and Δ retained columns of the growth table, on a real recording
// with heap graphs written by the real agent: retained sizes per type from the
// dominator tree, computed by the session controller off the UI thread and
// cached, shown (or hidden) by the table and the main window.
#include "core/comparisonexport.h"
#include "core/textutil.h"
#include "heapgraph/dominatortree.h"
#include "views/growthfilterproxymodel.h"
#include "views/growthtablemodel.h"
#include "views/growthtableview.h"
#include "testutil/guitestdata.h"
#include "lsnap/heapgraphstore.h"
#include "core/jobrunner.h"
#include "gui/mainwindow.h"
#include "heapgraph/retainedbytype.h"
#include "gui/sessioncontroller.h"
#include "heapgraph/heapgraphrequest.h"
#include "lsnap/snapshotreader.h"

#include <QAbstractItemModelTester>
#include <QDir>
#include <QFile>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeView>

#include <atomic>

using namespace leakscope;
using namespace leakscope::testdata;

namespace {


const QString s_session = QStringLiteral("__main__.Session");

const GrowthRow *rowOf(const Session &session, const Comparison &comparison, const QString &name)
{
    const int type = session.types().find(name);
    for (const GrowthRow &r : comparison.rows)
        if (r.type == type)
            return &r;
    return nullptr;
}

// Of the current snapshot, or of the baseline with `baseline`.
bool retainedKnown(const SessionController &c, bool baseline = false)
{
    const auto comparison = c.comparison();
    if (!comparison)
        return false;
    const GrowthRow *r = rowOf(*c.session(), *comparison, s_session);
    return r && (baseline ? r->baselineRetained : r->retained) >= 0;
}

} // namespace

class TestRetained : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void retainedByTypeOnTheRealHeap();
    void fillMarksUnknownSides_data();
    void fillMarksUnknownSides();
    void controllerFillsTheRowsOffTheUiThread();
    void switchingBackIsServedFromTheCache();
    void snapshotWithoutGraphIsUnknown();
    void fileWithoutGraphsShowsDashesAndHidesTheColumns();
    void cancelLeavesThemUnknownAndTheNextComparisonRetries();
    void unreadableGraphIsReportedNotFatal();
    void tableSortsByTheRawNumber();
    void exportCarriesRetainedWhenKnown();
    void mainWindowShowsTheColumnsOnlyWithGraphs();
    void savedSessionKeepsTheHeapGraphs();
    void tableAndTabsShareOneGraphAndTree();

private:
    QTemporaryDir m_dir;
    QString m_file;      // graphs in snapshots 1 and 2
    QString m_noGraphs;  // census only
};

void TestRetained::initTestCase()
{
    QVERIFY(m_dir.isValid());
    qputenv("XDG_CONFIG_HOME", QFile::encodeName(m_dir.filePath(QStringLiteral("config"))));
    qputenv("XDG_CACHE_HOME", QFile::encodeName(m_dir.filePath(QStringLiteral("cache"))));
    m_file = m_dir.filePath(QStringLiteral("cache.lsnap"));
    QString error;
    QVERIFY2(runPython(QString::fromUtf8(s_growingCacheProgram), {m_file}, &error), qPrintable(error));
    m_noGraphs = m_dir.filePath(QStringLiteral("leaky.lsnap"));
    QVERIFY2(recordLeakyRun(m_noGraphs, 3, 20, &error), qPrintable(error));
}

void TestRetained::retainedByTypeOnTheRealHeap()
{
    Expected<HeapGraph> graph = HeapGraph::read(HeapGraphStore::readArrays, m_file, 2);
    QVERIFY2(graph, qPrintable(graph.error()));
    const HeapGraph &g = graph.value();
    Expected<RetainedByType> retained = RetainedByType::compute(g);
    QVERIFY2(retained, qPrintable(retained.error()));
    const RetainedByType &r = retained.value();

    // Each Session keeps its history lists alive: 40 instances retain more
    // than their own shallow sizes.
    const qint32 sessionType = g.findType(s_session);
    QVERIFY(sessionType >= 0);
    QCOMPARE(g.instanceCount(sessionType), quint64(40));
    quint64 shallow = 0;
    for (quint32 n : g.nodesOfType(sessionType))
        shallow += g.shallowSize(n);
    QVERIFY(shallow > 0);
    QVERIFY2(quint64(r.retained(s_session)) > shallow, qPrintable(QString::number(r.retained(s_session))));
    // ... and at least 40 * 30 two-item lists.
    QVERIFY(r.retained(s_session) >= 40 * 31 * 56);
    // The _CACHE dict retains every Session, so dict retains at least as much.
    QVERIFY(r.retained(QStringLiteral("dict")) >= r.retained(s_session));
    // Same numbers as the dominator tree itself, by name instead of id.
    Expected<DominatorTree> tree = DominatorTree::compute(g);
    QVERIFY(tree);
    QCOMPARE(quint64(r.retained(s_session)), tree.value().retainedSizeOfType(sessionType));
    QCOMPARE(quint64(r.retained(QStringLiteral("list"))), tree.value().retainedSizeOfType(g.findType(QStringLiteral("list"))));
    QCOMPARE(quint64(r.totalSize()), tree.value().totalSize());
    QCOMPARE(r.retained(QStringLiteral("no.such.Type")), qint64(0));

    // Cancel is honoured and reported as a failure, not a partial result.
    std::atomic_bool cancel{true};
    TaskControl control;
    control.cancel = &cancel;
    QVERIFY(!RetainedByType::compute(g, control));
}

void TestRetained::fillMarksUnknownSides_data()
{
    QTest::addColumn<bool>("hasBaseline");
    QTest::addColumn<bool>("hasCurrent");
    QTest::newRow("both known") << true << true;
    QTest::newRow("baseline unknown") << false << true;
    QTest::newRow("current unknown") << true << false;
    QTest::newRow("neither known") << false << false;
}

void TestRetained::fillMarksUnknownSides()
{
    QFETCH(bool, hasBaseline);
    QFETCH(bool, hasCurrent);
    // Real retained tables of snapshot 1 (5 Sessions) and 2 (40).
    std::vector<RetainedByType> tables;
    for (qint64 id : {1, 2}) {
        Expected<HeapGraph> g = HeapGraph::read(HeapGraphStore::readArrays, m_file, id);
        QVERIFY2(g, qPrintable(g.error()));
        Expected<RetainedByType> r = RetainedByType::compute(g.value());
        QVERIFY(r);
        tables.push_back(r.take());
    }
    const qint64 before = tables[0].retained(s_session), after = tables[1].retained(s_session);
    QVERIFY(before > 0 && after > before);

    TypeRegistry types;
    types.intern(s_session);
    types.intern(QStringLiteral("no.such.Type"));
    Comparison c;
    for (int type : {0, 1, 7}) { // 7 is not in the registry
        c.rows.push_back(GrowthRow{});
        c.rows.back().type = type;
    }
    RetainedByType::fill(c, types, hasBaseline ? &tables[0] : nullptr, hasCurrent ? &tables[1] : nullptr);
    QCOMPARE(c.rows[0].retained, hasCurrent ? after : qint64(-1));
    QCOMPARE(c.rows[0].baselineRetained, hasBaseline ? before : qint64(-1));
    QCOMPARE(c.rows[0].deltaRetained, hasBaseline && hasCurrent ? after - before : qint64(0));
    // A type without instances in a known graph retains nothing.
    QCOMPARE(c.rows[1].retained, hasCurrent ? qint64(0) : qint64(-1));
    QCOMPARE(c.rows[2].retained, qint64(-1));
    QCOMPARE(c.rows[2].baselineRetained, qint64(-1));
    QCOMPARE(c.rows[2].deltaRetained, qint64(0));
}

void TestRetained::controllerFillsTheRowsOffTheUiThread()
{
    SessionController controller;
    QSignalSpy started(controller.retainer(), &JobRunner::started);
    QSignalSpy comparisons(&controller, &SessionController::comparisonChanged);
    // The first comparison is published before any graph is read: the table
    // shows counts at once and the retained sizes follow.
    std::vector<bool> knownAtPublish;
    connect(&controller, &SessionController::comparisonChanged, this,
            [&] { knownAtPublish.push_back(retainedKnown(controller, true)); });
    controller.openFiles({m_file});
    // Defaults compare the last snapshot (no graph) against the first.
    QTRY_VERIFY_WITH_TIMEOUT(retainedKnown(controller, true), 30000);
    QVERIFY(!retainedKnown(controller));
    QTRY_VERIFY(!controller.isBusy());
    QCOMPARE(started.size(), 1);
    QCOMPARE(started.at(0).at(0).toString(), QStringLiteral("Computing retained sizes\u2026"));
    QCOMPARE(comparisons.size(), 2);
    QCOMPARE(knownAtPublish, (std::vector<bool>{false, true}));

    // The pair with graphs.
    QCOMPARE(controller.session()->snapshotCount(), 3);
    controller.setComparedSnapshots(0, 1);
    QTRY_VERIFY_WITH_TIMEOUT(retainedKnown(controller) && controller.comparison()->current == 1 && !controller.isBusy(),
                             30000);
    const Session &session = *controller.session();
    const Comparison &c = *controller.comparison();
    const GrowthRow *s = rowOf(session, c, s_session);
    const GrowthRow *dict = rowOf(session, c, QStringLiteral("dict"));
    QVERIFY(s && dict);
    QCOMPARE(s->count, qint64(40));
    QVERIFY(s->retained > 0);
    QVERIFY(s->baselineRetained > 0);
    QVERIFY2(s->deltaRetained > 0, qPrintable(QString::number(s->deltaRetained)));
    QCOMPARE(s->deltaRetained, s->retained - s->baselineRetained);
    QVERIFY(dict->retained >= s->retained);

    // The numbers are the model's, by name.
    const auto cached = controller.cachedRetained(session.snapshot(1).info.sourceFile, session.snapshot(1).info.id);
    QVERIFY(cached);
    QCOMPARE(cached->retained(s_session), s->retained);
}

void TestRetained::switchingBackIsServedFromTheCache()
{
    SessionController controller;
    controller.openFiles({m_file});
    QTRY_VERIFY_WITH_TIMEOUT(controller.session()->snapshotCount() == 3 && !controller.isBusy(), 30000);
    controller.setComparedSnapshots(0, 1);
    QTRY_VERIFY_WITH_TIMEOUT(controller.comparison()->current == 1 && retainedKnown(controller) && !controller.isBusy(),
                             30000);
    const qint64 retained = rowOf(*controller.session(), *controller.comparison(), s_session)->retained;

    QSignalSpy started(controller.retainer(), &JobRunner::started);
    QSignalSpy comparisons(&controller, &SessionController::comparisonChanged);
    controller.setComparedSnapshots(1, 1);
    QTRY_VERIFY(comparisons.size() == 1 && !controller.isBusy());
    controller.setComparedSnapshots(0, 1);
    QTRY_VERIFY(comparisons.size() == 2 && !controller.isBusy());
    // Both graphs were analysed already: no job, one publication each, filled.
    QCOMPARE(started.size(), 0);
    const GrowthRow *s = rowOf(*controller.session(), *controller.comparison(), s_session);
    QCOMPARE(s->retained, retained);
    QVERIFY(s->deltaRetained > 0);
}

void TestRetained::snapshotWithoutGraphIsUnknown()
{
    SessionController controller;
    controller.openFiles({m_file});
    QTRY_VERIFY_WITH_TIMEOUT(controller.session()->snapshotCount() == 3 && !controller.isBusy(), 30000);
    controller.setComparedSnapshots(1, 2); // baseline has a graph, current has not
    QTRY_VERIFY_WITH_TIMEOUT(controller.comparison()->baseline == 1 && !controller.isBusy(), 30000);
    const GrowthRow *s = rowOf(*controller.session(), *controller.comparison(), s_session);
    QVERIFY(s->baselineRetained > 0);
    QCOMPARE(s->retained, qint64(-1));
    QCOMPARE(s->deltaRetained, qint64(0));

    GrowthTableModel model;
    model.setComparison(controller.session(), controller.comparison());
    QVERIFY(model.hasRetained());
    const int row = model.rowOfType(controller.session()->types().find(s_session));
    QCOMPARE(model.index(row, GrowthTableModel::RetainedColumn).data().toString(), QStringLiteral("\u2014"));
    QCOMPARE(model.index(row, GrowthTableModel::DeltaRetainedColumn).data().toString(), QStringLiteral("\u2014"));
    QVERIFY(model.index(row, GrowthTableModel::RetainedColumn).data(Qt::ToolTipRole).toString().contains(
        TextUtil::bytes(s->baselineRetained)));
}

void TestRetained::fileWithoutGraphsShowsDashesAndHidesTheColumns()
{
    SessionController controller;
    QSignalSpy started(controller.retainer(), &JobRunner::started);
    controller.openFiles({m_noGraphs});
    QTRY_VERIFY_WITH_TIMEOUT(controller.session()->snapshotCount() == 3 && !controller.isBusy(), 30000);
    QCOMPARE(started.size(), 0);
    for (const GrowthRow &r : controller.comparison()->rows) {
        QCOMPARE(r.retained, qint64(-1));
        QCOMPARE(r.baselineRetained, qint64(-1));
    }
    GrowthTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setComparison(controller.session(), controller.comparison());
    QVERIFY(!model.hasRetained());
    const int row = model.rowOfType(controller.session()->types().find(QStringLiteral("__main__.Leaky")));
    QVERIFY(row >= 0);
    QCOMPARE(model.index(row, GrowthTableModel::RetainedColumn).data().toString(), QStringLiteral("\u2014"));
    QCOMPARE(model.index(row, GrowthTableModel::DeltaRetainedColumn).data().toString(), QStringLiteral("\u2014"));
    QVERIFY(model.index(row, GrowthTableModel::RetainedColumn).data(Qt::ToolTipRole).toString().contains(
        QStringLiteral("graph=True")));
    // Copied rows leave the hidden columns out.
    QVERIFY(!model.rowsAsText({row}).contains(QStringLiteral("Retained")));
}

void TestRetained::cancelLeavesThemUnknownAndTheNextComparisonRetries()
{
    SessionController controller;
    // Cancel as soon as the first comparison is out, whatever the worker's pace.
    bool cancelled = false;
    connect(&controller, &SessionController::comparisonChanged, this, [&] {
        if (!cancelled && controller.retainer()->isRunning()) {
            cancelled = true;
            controller.cancel();
        }
    });
    QSignalSpy jobCancelled(controller.retainer(), &JobRunner::cancelled);
    controller.openFiles({m_file});
    QTRY_VERIFY_WITH_TIMEOUT(cancelled, 30000);
    QVERIFY(!controller.isBusy());
    QCOMPARE(jobCancelled.size(), 1);
    controller.retainer()->waitForIdle();
    QCoreApplication::processEvents();
    QVERIFY(!retainedKnown(controller, true));

    controller.setComparedSnapshots(0, 1);
    QTRY_VERIFY_WITH_TIMEOUT(retainedKnown(controller) && !controller.isBusy(), 30000);
}

void TestRetained::unreadableGraphIsReportedNotFatal()
{
    const QString broken = m_dir.filePath(QStringLiteral("broken.lsnap"));
    QFile::remove(broken);
    QVERIFY(QFile::copy(m_file, broken));
    // The graph of snapshot 2 loses its edge targets: the file still opens,
    // the heap graph does not.
    QString error;
    QVERIFY2(runPython(QStringLiteral("import sqlite3, sys\n"
                                      "db = sqlite3.connect(sys.argv[1])\n"
                                      "db.execute(\"UPDATE graph SET edge_targets = x'01' WHERE snapshot = 2\")\n"
                                      "db.commit()\n"),
                       {broken}, &error),
             qPrintable(error));
    SessionController controller;
    QSignalSpy failed(&controller, &SessionController::retainedFailed);
    controller.openFiles({broken});
    QTRY_VERIFY_WITH_TIMEOUT(controller.session()->snapshotCount() == 3 && !controller.isBusy(), 30000);
    controller.setComparedSnapshots(0, 1);
    QTRY_VERIFY_WITH_TIMEOUT(controller.comparison()->current == 1 && !controller.isBusy(), 30000);
    QCOMPARE(failed.size(), 1);
    QVERIFY2(failed.at(0).at(0).toString().contains(QStringLiteral("broken.lsnap")), qPrintable(failed.at(0).at(0).toString()));
    const GrowthRow *s = rowOf(*controller.session(), *controller.comparison(), s_session);
    QCOMPARE(s->retained, qint64(-1));
    QVERIFY(s->baselineRetained > 0); // snapshot 1's graph is fine
    // The failure is remembered: comparing again does not read it again.
    QSignalSpy started(controller.retainer(), &JobRunner::started);
    controller.setComparedSnapshots(1, 1);
    QTRY_VERIFY(controller.comparison()->baseline == 1 && !controller.isBusy());
    QCOMPARE(started.size(), 0);
    QCOMPARE(failed.size(), 1);
}

void TestRetained::tableSortsByTheRawNumber()
{
    SessionController controller;
    controller.openFiles({m_file});
    QTRY_VERIFY_WITH_TIMEOUT(controller.session()->snapshotCount() == 3 && !controller.isBusy(), 30000);
    controller.setComparedSnapshots(0, 1);
    QTRY_VERIFY_WITH_TIMEOUT(controller.comparison()->current == 1 && retainedKnown(controller) && !controller.isBusy(),
                             30000);

    GrowthTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    GrowthFilterProxyModel proxy;
    proxy.setSourceModel(&model);
    QAbstractItemModelTester proxyTester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setComparison(controller.session(), controller.comparison());
    QCOMPARE(model.columnCount(), int(GrowthTableModel::ColumnCount));
    QVERIFY(model.hasRetained());
    const int row = model.rowOfType(controller.session()->types().find(s_session));
    const GrowthRow &s = model.row(row);
    QCOMPARE(model.index(row, GrowthTableModel::RetainedColumn).data(GrowthTableModel::SortRole).toDouble(),
             double(s.retained));
    QCOMPARE(model.index(row, GrowthTableModel::DeltaRetainedColumn).data(GrowthTableModel::SortRole).toDouble(),
             double(s.deltaRetained));
    QCOMPARE(model.index(row, GrowthTableModel::RetainedColumn).data().toString(), TextUtil::bytes(s.retained));
    QVERIFY(model.index(row, GrowthTableModel::DeltaRetainedColumn).data().toString().startsWith(QLatin1Char('+')));
    QVERIFY(model.headerData(GrowthTableModel::RetainedColumn, Qt::Horizontal, Qt::ToolTipRole)
                .toString()
                .contains(QStringLiteral("dominator tree")));

    for (int column : {int(GrowthTableModel::RetainedColumn), int(GrowthTableModel::DeltaRetainedColumn)}) {
        proxy.sort(column, Qt::DescendingOrder);
        QVERIFY(proxy.rowCount() > 10);
        bool textOrderDiffers = false;
        for (int r = 1; r < proxy.rowCount(); ++r) {
            const double before = proxy.index(r - 1, column).data(GrowthTableModel::SortRole).toDouble();
            const double after = proxy.index(r, column).data(GrowthTableModel::SortRole).toDouble();
            QVERIFY2(before >= after, qPrintable(QStringLiteral("column %1 row %2: %3 < %4").arg(column).arg(r).arg(before).arg(after)));
            const QString a = proxy.index(r - 1, column).data().toString(), b = proxy.index(r, column).data().toString();
            textOrderDiffers = textOrderDiffers || a.localeAwareCompare(b) < 0;
        }
        // Formatted sizes ("9.0 KiB" vs "120 B") would sort differently.
        QVERIFY(textOrderDiffers);
    }
}

void TestRetained::exportCarriesRetainedWhenKnown()
{
    SessionController controller;
    controller.openFiles({m_file});
    QTRY_VERIFY_WITH_TIMEOUT(controller.session()->snapshotCount() == 3 && !controller.isBusy(), 30000);
    controller.setComparedSnapshots(0, 1);
    QTRY_VERIFY_WITH_TIMEOUT(controller.comparison()->current == 1 && retainedKnown(controller) && !controller.isBusy(),
                             30000);
    const Session &session = *controller.session();
    const GrowthRow *s = rowOf(session, *controller.comparison(), s_session);

    QJsonObject found;
    const QJsonArray types = QJsonDocument::fromJson(ComparisonExport::toJson(session, *controller.comparison()))
                                 .object()
                                 .value(QStringLiteral("types"))
                                 .toArray();
    for (const QJsonValue &t : types)
        if (t.toObject().value(QStringLiteral("name")).toString() == s_session)
            found = t.toObject();
    QCOMPARE(found.value(QStringLiteral("retained")).toInteger(), s->retained);
    QCOMPARE(found.value(QStringLiteral("baseline_retained")).toInteger(), s->baselineRetained);
    QCOMPARE(found.value(QStringLiteral("delta_retained")).toInteger(), s->deltaRetained);
    const QList<QByteArray> lines = ComparisonExport::toCsv(session, *controller.comparison()).split('\n');
    QVERIFY2(lines.at(0).contains(",reason,retained,delta_retained,count_0"), lines.at(0).constData());
    const QByteArray prefix = (s_session + QLatin1Char(',')).toUtf8();
    const QByteArray fields = ',' + QByteArray::number(s->retained) + ',' + QByteArray::number(s->deltaRetained) + ',';
    bool row = false;
    for (const QByteArray &l : lines)
        row = row || (l.startsWith(prefix) && l.contains(fields));
    QVERIFY(row);

    // What the CLI exports (no graphs analysed) keeps its documented columns.
    const Comparison plain = GrowthAnalysis::compare(session, 0, 1);
    QVERIFY(!ComparisonExport::toCsv(session, plain).contains(",retained"));
    const QByteArray json = ComparisonExport::toJson(session, plain);
    QVERIFY(!json.contains("\"retained\"") && !json.contains("_retained\""));
}

void TestRetained::mainWindowShowsTheColumnsOnlyWithGraphs()
{
    MainWindow w;
    w.show();
    QHeaderView *header = w.growthView()->header();
    QVERIFY(header->isSectionHidden(GrowthTableModel::RetainedColumn));
    QVERIFY(header->isSectionHidden(GrowthTableModel::DeltaRetainedColumn));

    w.openFiles({m_file});
    QTRY_VERIFY_WITH_TIMEOUT(w.controller()->session()->snapshotCount() == 3 && !w.controller()->isBusy(), 30000);
    w.controller()->setComparedSnapshots(0, 1);
    QTRY_VERIFY_WITH_TIMEOUT(w.controller()->comparison()->current == 1 && retainedKnown(*w.controller())
                                 && !w.controller()->isBusy(),
                             30000);
    // Δ retained shows; Retained too, unless the window is too narrow for
    // it next to the Reason column (it then gives way, GrowthTableView).
    QVERIFY(!header->isSectionHidden(GrowthTableModel::RetainedColumn)
            || w.growthView()->isAutoHidden(GrowthTableModel::RetainedColumn));
    QVERIFY(!header->isSectionHidden(GrowthTableModel::DeltaRetainedColumn));
    const int row = w.growthModel()->rowOfType(w.controller()->session()->types().find(s_session));
    QVERIFY(w.growthModel()->row(row).retained > 0);
    QVERIFY(w.growthModel()->index(row, GrowthTableModel::RetainedColumn).data().toString() != QStringLiteral("\u2014"));
    // The two extra columns leave the type names readable even in a narrow
    // window (a stretched Type column shrank to its 40-pixel minimum; now the
    // table scrolls sideways instead), and the columns fill the table when
    // there is room.
    w.resize(1000, 800);
    const int nameWidth = w.growthView()->fontMetrics().horizontalAdvance(QStringLiteral("__main__.Session"));
    QTRY_VERIFY2(header->sectionSize(GrowthTableModel::TypeColumn) > nameWidth,
                 qPrintable(QString::number(header->sectionSize(GrowthTableModel::TypeColumn))));
    w.resize(2400, 900);
    QTRY_COMPARE(header->length(), w.growthView()->viewport()->width());
    QVERIFY(!header->isSectionHidden(GrowthTableModel::RetainedColumn));

    // Closing the session: nothing compared, nothing to show.
    w.controller()->clear();
    QTRY_VERIFY(header->isSectionHidden(GrowthTableModel::RetainedColumn));
    // A file without graphs keeps them hidden.
    w.openFiles({m_noGraphs});
    QTRY_VERIFY_WITH_TIMEOUT(w.controller()->session()->snapshotCount() == 3 && !w.controller()->isBusy(), 30000);
    QVERIFY(header->isSectionHidden(GrowthTableModel::RetainedColumn));
    QVERIFY(header->isSectionHidden(GrowthTableModel::DeltaRetainedColumn));
}

// Save Session As writes the heap graphs too (a live session's graph
// snapshots live in the autosave file): the saved file answers the same
// questions, and a failure leaves no file behind.
void TestRetained::savedSessionKeepsTheHeapGraphs()
{
    SessionController controller;
    controller.openFiles({m_file, m_noGraphs});
    QTRY_VERIFY_WITH_TIMEOUT(controller.session() && controller.session()->snapshotCount() == 6 && !controller.isBusy(),
                             30000);
    const QString saved = m_dir.filePath(QStringLiteral("saved.lsnap"));
    QSignalSpy done(&controller, &SessionController::sessionSaved);
    QSignalSpy failed(&controller, &SessionController::saveFailed);
    controller.saveSessionAs(saved);
    QTRY_VERIFY_WITH_TIMEOUT(done.size() + failed.size() == 1, 60000);
    QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().at(1).toString()));

    const Expected<LoadedFile> original = SnapshotReader::read(m_file);
    const Expected<LoadedFile> copy = SnapshotReader::read(saved);
    QVERIFY2(copy, qPrintable(copy.error()));
    QCOMPARE(int(copy.value().snapshots.size()), 6);
    int graphs = 0;
    for (const Snapshot &s : copy.value().snapshots) {
        if (!s.info.hasGraph)
            continue;
        ++graphs;
        // The same graph as the snapshot of the same label in the recording.
        const auto from = std::find_if(original.value().snapshots.begin(), original.value().snapshots.end(),
                                       [&s](const Snapshot &o) { return o.info.label == s.info.label; });
        QVERIFY(from != original.value().snapshots.end());
        const Expected<HeapGraph> a = HeapGraph::read(HeapGraphStore::readArrays, m_file, from->info.id);
        const Expected<HeapGraph> b = HeapGraph::read(HeapGraphStore::readArrays, saved, s.info.id);
        QVERIFY2(a && b, qPrintable(a ? b.error() : a.error()));
        QCOMPARE(b.value().nodeCount(), a.value().nodeCount());
        QCOMPARE(b.value().edgeCount(), a.value().edgeCount());
        const qint32 type = b.value().findType(s_session);
        QVERIFY(type >= 0);
        QCOMPARE(b.value().instanceCount(type), a.value().instanceCount(a.value().findType(s_session)));
    }
    QCOMPARE(graphs, 2);

    // A graph that cannot be read (its source file was damaged meanwhile):
    // the save fails with a message and writes nothing.
    const QString broken = m_dir.filePath(QStringLiteral("broken-copy.lsnap"));
    QVERIFY(QFile::copy(m_file, broken));
    SessionController second;
    second.openFiles({broken});
    QTRY_VERIFY_WITH_TIMEOUT(second.session() && second.session()->snapshotCount() == 3 && !second.isBusy(), 30000);
    {
        QFile f(broken);
        QVERIFY(f.open(QIODevice::ReadWrite));
        QVERIFY(f.resize(f.size() / 2));
    }
    const QString refused = m_dir.filePath(QStringLiteral("refused.lsnap"));
    QSignalSpy secondFailed(&second, &SessionController::saveFailed);
    second.saveSessionAs(refused);
    QTRY_VERIFY_WITH_TIMEOUT(secondFailed.size() == 1, 60000);
    QVERIFY2(secondFailed.first().at(1).toString().contains(QStringLiteral("heap graph")),
             qPrintable(secondFailed.first().at(1).toString()));
    QVERIFY(!QFile::exists(refused));
    QVERIFY(QDir(m_dir.path()).entryList({QStringLiteral("refused.lsnap*")}).isEmpty());
}

// The retained sizes and the References/Retainers tabs read and analyse a
// snapshot's graph once: the tabs get the very objects the table's job made,
// and they go once nobody holds them.
void TestRetained::tableAndTabsShareOneGraphAndTree()
{
    auto controller = std::make_unique<SessionController>();
    controller->openFiles({m_file});
    QTRY_VERIFY_WITH_TIMEOUT(controller->session() && controller->session()->snapshotCount() == 3 && !controller->isBusy(),
                             30000);
    controller->setComparedSnapshots(0, 1);
    QTRY_VERIFY_WITH_TIMEOUT(retainedKnown(*controller) && !controller->isBusy(), 30000);
    const qint64 id = controller->session()->snapshot(1).info.id;
    const std::shared_ptr<HeapGraphService> service = controller->graphs();
    QCOMPARE(service->readCount(), 2);
    AnalysedGraphPtr fromTable = service->find({m_file, id}, HeapGraphService::RetainedTypes);
    QVERIFY(fromTable);
    HeapGraphPtr held = fromTable->graph;
    QVERIFY(service->find({m_file, controller->session()->snapshot(0).info.id}));
    // Another name for the same file is the same file.
    QCOMPARE(service->find({QDir(m_dir.path()).filePath(QStringLiteral("./cache.lsnap")), id})->graph, held);

    // The tabs' clients get the same graph and dominators; only the root
    // paths are new.
    auto references = std::make_unique<HeapGraphRequest>(service);
    QSignalSpy ready(references.get(), &HeapGraphRequest::ready);
    const HeapGraphRequest::Key key{m_file, id};
    if (!references->request({{key, HeapGraphService::Dominators | HeapGraphService::RootPaths}}))
        QVERIFY(ready.wait(30000));
    QCOMPARE(references->result(key)->graph, held);
    QCOMPARE(references->result(key)->dominators, fromTable->dominators);
    QVERIFY(references->result(key)->paths);
    QCOMPARE(service->readCount(), 2);

    // Once nobody holds them they go, and the next load reads the file again.
    std::weak_ptr<const HeapGraph> weak = held;
    held.reset();
    references.reset();
    fromTable.reset();
    controller.reset();
    QVERIFY(weak.expired());
    QCOMPARE(service->graphsInMemory(), 0);
    QVERIFY(!service->find({m_file, id}));
    const Expected<AnalysedGraphPtr> again = service->get({m_file, id}, HeapGraphService::GraphOnly);
    QVERIFY2(again, qPrintable(again.error()));
    QCOMPARE(service->find({m_file, id})->graph, again.value()->graph);
    QCOMPARE(service->readCount(), 3);
}

QTEST_MAIN(TestRetained)
#include "tst_retained.moc"
