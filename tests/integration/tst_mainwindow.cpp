// The main window offscreen, on real .lsnap files written by the real agent.
#include "views/growthfilterproxymodel.h"
#include "views/growthtablemodel.h"
#include "core/jobrunner.h"
#include "testutil/guitestdata.h"
#include "gui/mainwindow.h"
#include "views/messagebar.h"
#include "gui/sessioncontroller.h"
#include "views/snapshottimelinemodel.h"
#include "views/trendchart.h"

#include <QAbstractAxis>
#include <QAction>
#include <QApplication>
#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QDir>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QHeaderView>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QMimeData>
#include <QProgressBar>
#include <QScrollBar>
#include <QStatusBar>
#include <QStyle>
#include <QToolButton>
#include <QSet>
#include <QSettings>
#include <QSignalSpy>
#include <QTableView>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QTreeView>

#include <atomic>

using namespace leakscope;
using namespace leakscope::testdata;

namespace {

QStringList namesInViewOrder(const QTreeView *view)
{
    QStringList out;
    const QAbstractItemModel *m = view->model();
    for (int r = 0; r < m->rowCount(); ++r)
        out << m->index(r, 0).data(GrowthTableModel::TypeNameRole).toString();
    return out;
}

// Distinct colours in a sample grid: a blank grab has one or two.
int distinctColours(const QImage &image)
{
    QSet<QRgb> colours;
    for (int y = 0; y < image.height(); y += 3)
        for (int x = 0; x < image.width(); x += 3)
            colours.insert(image.pixel(x, y));
    return int(colours.size());
}

QAbstractAxis *valueAxis(TrendChart *trend)
{
    const QChartView *view = trend->findChild<QChartView *>();
    const QList<QAbstractAxis *> axes = view ? view->chart()->axes(Qt::Vertical) : QList<QAbstractAxis *>();
    return axes.isEmpty() ? nullptr : axes.front();
}

bool waitIdle(MainWindow &w)
{
    return QTest::qWaitFor([&w] { return !w.controller()->isBusy(); }, 30000);
}

} // namespace

class TestMainWindow : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void emptyStateAtStart();
    void openTwoFilesAndChartTheSelectedType();
    void chartMetricAndLogScale();
    void sortsByNumbers();
    void filterSwitches();
    void badFileNextToGoodFile();
    void dropOpensTheFile();
    void baselineAndCurrentFromTheTimeline();
    void timelineSourceColumnOnlyForSeveralFiles();
    void shortcutsAndCopy();
    void exportsTheRowsAsShown();
    void remembersRecentFilesAndSwitches();
    void screenshotWithSession();
    void importsObjgraphOutput();
    void progressAndCancelForABigSession();

private:
    QTemporaryDir m_dir;
    QString m_fileA, m_fileB;
};

void TestMainWindow::initTestCase()
{
    QVERIFY(m_dir.isValid());
    // Never touch the user's settings.
    QStandardPaths::setTestModeEnabled(true);
    QSettings::setDefaultFormat(QSettings::IniFormat);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_dir.filePath(QStringLiteral("settings")));
    QCoreApplication::setOrganizationName(QStringLiteral("LeakscopeTest"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_mainwindow"));

    m_fileA = m_dir.filePath(QStringLiteral("a.lsnap"));
    m_fileB = m_dir.filePath(QStringLiteral("b.lsnap"));
    QString error;
    QVERIFY2(recordLeakyRun(m_fileA, 4, 200, &error), qPrintable(error));
    QVERIFY2(recordLeakyRun(m_fileB, 3, 200, &error), qPrintable(error)); // later in time
}

void TestMainWindow::init()
{
    QSettings().clear();
}

void TestMainWindow::emptyStateAtStart()
{
    MainWindow w;
    w.resize(1200, 800);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QVERIFY(w.isShowingEmptyState());
    QVERIFY(w.trendChart()->isShowingEmptyState());
    QVERIFY(w.messageBar()->isHidden());
    QVERIFY(w.summaryText().contains(QStringLiteral("gc-tracked")));
    const QImage shot = w.grab().toImage();
    QVERIFY(shot.save(QStringLiteral(LEAKSCOPE_BIN_DIR "/screenshot-empty.png")));
    QVERIFY(distinctColours(shot) > 10);
}

void TestMainWindow::openTwoFilesAndChartTheSelectedType()
{
    MainWindow w;
    w.show();
    w.openFiles({m_fileA, m_fileB});
    QTRY_COMPARE_WITH_TIMEOUT(w.controller()->session()->snapshotCount(), 7, 30000);
    QVERIFY(waitIdle(w));
    QVERIFY(!w.isShowingEmptyState());
    QCOMPARE(w.timelineModel()->rowCount(), 7);
    QCOMPARE(w.timelineModel()->index(0, SnapshotTimelineModel::LabelColumn).data().toString(), QStringLiteral("step 0"));
    QCOMPARE(w.timelineModel()->index(4, SnapshotTimelineModel::SourceColumn).data().toString(), QStringLiteral("b.lsnap"));
    // Baseline first, current last, in the shared ranking (suspects, user
    // types first: LeakRanking) on the Suspect column.
    QCOMPARE(w.baselineBox()->currentIndex(), 0);
    QCOMPARE(w.currentBox()->currentIndex(), 6);
    QCOMPARE(w.growthView()->header()->sortIndicatorSection(), int(GrowthTableModel::ReasonColumn));
    QCOMPARE(w.growthView()->header()->sortIndicatorOrder(), Qt::DescendingOrder);
    QCOMPARE(namesInViewOrder(w.growthView()).value(0), QStringLiteral("__main__.Leaky"));

    QVERIFY(w.trendChart()->isShowingEmptyState());
    w.selectTypes({QStringLiteral("__main__.Leaky")});
    QVERIFY(!w.trendChart()->isShowingEmptyState());
    QCOMPARE(w.trendChart()->lineCount(), 1);
    QCOMPARE(w.trendChart()->lineName(0), QStringLiteral("__main__.Leaky"));
    // Exactly the snapshot values: 200 more per snapshot in each process.
    const auto session = w.controller()->session();
    const std::vector<double> x = session->timeAxis();
    QVERIFY(session->hasTimes());
    const QList<QPointF> points = w.trendChart()->linePoints(0);
    const QList<double> expectedCounts{200, 400, 600, 800, 200, 400, 600};
    QCOMPARE(points.size(), expectedCounts.size());
    for (int i = 0; i < points.size(); ++i) {
        QCOMPARE(points[i].x(), x[size_t(i)]);
        QCOMPARE(points[i].y(), expectedCounts[i]);
    }
    QCOMPARE(points.front().x(), 0.0);
    QVERIFY(points.back().x() > 0.0);

    // Two types: two lines; none: the empty state again.
    QSignalSpy selectionSpy(&w, &MainWindow::selectedTypesChanged);
    w.selectTypes({QStringLiteral("__main__.Leaky"), QStringLiteral("__main__.Steady")});
    QCOMPARE(selectionSpy.size(), 1);
    QCOMPARE(w.selectedTypes().size(), 2);
    QCOMPARE(w.trendChart()->lineCount(), 2);
    QCOMPARE(w.trendChart()->linePoints(1).size(), 7);
    for (const QPointF &p : w.trendChart()->linePoints(1))
        QCOMPARE(p.y(), 50.0);
    w.selectTypes({});
    QVERIFY(w.trendChart()->isShowingEmptyState());
    QVERIFY(w.trendChart()->emptyStateText().contains(QStringLiteral("Select")));
}

void TestMainWindow::chartMetricAndLogScale()
{
    MainWindow w;
    w.show();
    std::vector<LoadedFile> files;
    files.push_back(makeFile(QStringLiteral("/tmp/m.lsnap"), {QStringLiteral("x.Grow"), QStringLiteral("x.Late")},
                             {{100, 200, 400}, {0, 0, 10}}));
    w.controller()->addLoadedFiles(std::move(files));
    QTRY_COMPARE(w.controller()->session()->snapshotCount(), 3);
    QVERIFY(waitIdle(w));
    w.selectTypes({QStringLiteral("x.Grow"), QStringLiteral("x.Late")});
    QCOMPARE(w.trendChart()->linePoints(0).value(2).y(), 400.0);
    w.trendChart()->setMetric(TrendChart::Metric::Bytes);
    QCOMPARE(w.trendChart()->linePoints(0).value(2).y(), 400.0 * 56);
    w.trendChart()->setMetric(TrendChart::Metric::Count);
    // Log scale draws the zeros on the axis's bottom edge (a decade below
    // the smallest value), so x.Late is a line too.
    w.trendChart()->setLogScale(true);
    QCOMPARE(w.trendChart()->linePoints(0).size(), 3);
    QCOMPARE(w.trendChart()->linePoints(1).size(), 3);
    QCOMPARE(w.trendChart()->linePoints(1).value(0).y(), 1.0);
    w.trendChart()->setLogScale(false);
    QCOMPARE(w.trendChart()->linePoints(1).size(), 3);
    // Hovering a line names the type, the value of the nearest snapshot and its time.
    QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates));
    const QString hover = w.trendChart()->hoverText(0, QPointF(19.0, 123.0));
    QVERIFY2(hover.startsWith(QStringLiteral("x.Grow\n400 objects")), qPrintable(hover));
    QVERIFY2(hover.contains(QStringLiteral("20.0 s")), qPrintable(hover));
    w.trendChart()->setMetric(TrendChart::Metric::Bytes);
    QVERIFY2(w.trendChart()->hoverText(0, QPointF(0.4, 0)).contains(QStringLiteral("5.5 KiB")), // 100 * 56 bytes
             qPrintable(w.trendChart()->hoverText(0, QPointF(0.4, 0))));
    QLocale::setDefault(QLocale::system());

    // A short axis title; what is counted is in the chart's tooltip.
    QAbstractAxis *axis = valueAxis(w.trendChart());
    QVERIFY(axis);
    QCOMPARE(axis->titleText(), QStringLiteral("Size (KiB)")); // 400 * 56 bytes
    QVERIFY2(w.trendChart()->findChild<QChartView *>()->chart()->toolTip().contains(QStringLiteral("shallow size")),
             qPrintable(w.trendChart()->findChild<QChartView *>()->chart()->toolTip()));
    w.trendChart()->setMetric(TrendChart::Metric::Count);
    axis = valueAxis(w.trendChart());
    QCOMPARE(axis->titleText(), QStringLiteral("Objects"));
    QVERIFY(w.trendChart()->findChild<QChartView *>()->chart()->toolTip().contains(QStringLiteral("gc-tracked")));
}

void TestMainWindow::sortsByNumbers()
{
    MainWindow w;
    w.resize(1920, 1000); // room for every column (Δ prev gives way first in a narrow table)
    w.show();
    std::vector<LoadedFile> files;
    files.push_back(makeFile(QStringLiteral("/tmp/n.lsnap"),
                             {QStringLiteral("x.A999"), QStringLiteral("x.B1000"), QStringLiteral("x.Cplus2"),
                              QStringLiteral("x.Dminus5")},
                             {{1, 999}, {0, 1000}, {10, 12}, {10, 5}}));
    w.controller()->addLoadedFiles(std::move(files));
    QTRY_COMPARE(w.controller()->session()->snapshotCount(), 2);
    QVERIFY(waitIdle(w));
    // Default: the shared ranking; without suspects (two snapshots), delta
    // against the baseline, descending.
    QCOMPARE(namesInViewOrder(w.growthView()),
             (QStringList{QStringLiteral("x.B1000"), QStringLiteral("x.A999"), QStringLiteral("x.Cplus2"),
                          QStringLiteral("x.Dminus5")}));
    // Count: 1000 above 999 (as text "999" > "1,000").
    w.growthView()->sortByColumn(GrowthTableModel::CountColumn, Qt::DescendingOrder);
    QCOMPARE(namesInViewOrder(w.growthView()).mid(0, 2), (QStringList{QStringLiteral("x.B1000"), QStringLiteral("x.A999")}));
    // Ascending delta: -5 below 2.
    w.growthView()->sortByColumn(GrowthTableModel::DeltaBaselineColumn, Qt::AscendingOrder);
    QCOMPARE(namesInViewOrder(w.growthView()).mid(0, 2), (QStringList{QStringLiteral("x.Dminus5"), QStringLiteral("x.Cplus2")}));
    // By clicking the header, as a user does.
    QHeaderView *header = w.growthView()->header();
    const int x = header->sectionViewportPosition(GrowthTableModel::DeltaPreviousColumn) + 5;
    QTest::mouseClick(header->viewport(), Qt::LeftButton, {}, QPoint(x, header->height() / 2));
    QCOMPARE(header->sortIndicatorSection(), int(GrowthTableModel::DeltaPreviousColumn));
    const QStringList order = namesInViewOrder(w.growthView());
    const QStringList expectedAscending{QStringLiteral("x.Dminus5"), QStringLiteral("x.Cplus2"), QStringLiteral("x.A999"),
                                        QStringLiteral("x.B1000")};
    QStringList expectedDescending = expectedAscending;
    std::reverse(expectedDescending.begin(), expectedDescending.end());
    QVERIFY2(order == expectedAscending || order == expectedDescending, qPrintable(order.join(QLatin1Char(','))));
}

void TestMainWindow::filterSwitches()
{
    MainWindow w;
    w.show();
    w.openFiles({m_fileA});
    QTRY_COMPARE_WITH_TIMEOUT(w.controller()->session()->snapshotCount(), 4, 30000);
    QVERIFY(waitIdle(w));
    const int all = w.growthProxy()->rowCount();
    QVERIFY(all > 50);

    QTest::keyClicks(w.filterEdit(), QStringLiteral("__main__"));
    QCOMPARE(namesInViewOrder(w.growthView()).size(), 2);
    w.filterEdit()->clear();
    QCOMPARE(w.growthProxy()->rowCount(), all);
    QTest::keyClicks(w.filterEdit(), QStringLiteral("/^__main__\\.L"));
    QCOMPARE(namesInViewOrder(w.growthView()), QStringList{QStringLiteral("__main__.Leaky")});
    w.filterEdit()->setText(QStringLiteral("/(broken"));
    QCOMPARE(w.growthProxy()->rowCount(), 0);
    QVERIFY(w.filterEdit()->toolTip().contains(QStringLiteral("regular expression")));
    w.filterEdit()->clear();

    QTest::mouseClick(w.hideBuiltinsBox(), Qt::LeftButton);
    QVERIFY(w.hideBuiltinsBox()->isChecked());
    const QStringList noBuiltins = namesInViewOrder(w.growthView());
    QVERIFY(!noBuiltins.isEmpty() && noBuiltins.size() < all);
    QVERIFY(!noBuiltins.contains(QStringLiteral("dict")));
    for (const QString &n : noBuiltins)
        QVERIFY2(n.contains(QLatin1Char('.')), qPrintable(n));
    QTest::mouseClick(w.hideBuiltinsBox(), Qt::LeftButton);

    QTest::mouseClick(w.suspectsOnlyBox(), Qt::LeftButton);
    QVERIFY(namesInViewOrder(w.growthView()).contains(QStringLiteral("__main__.Leaky")));
    QVERIFY(!namesInViewOrder(w.growthView()).contains(QStringLiteral("__main__.Steady")));
    for (int r = 0; r < w.growthProxy()->rowCount(); ++r)
        QVERIFY(w.growthProxy()->index(r, 0).data(GrowthTableModel::SuspectRole).toBool());
    QTest::mouseClick(w.suspectsOnlyBox(), Qt::LeftButton);

    QTest::mouseClick(w.changedOnlyBox(), Qt::LeftButton);
    QVERIFY(namesInViewOrder(w.growthView()).contains(QStringLiteral("__main__.Leaky")));
    QVERIFY(!namesInViewOrder(w.growthView()).contains(QStringLiteral("__main__.Steady")));
    QVERIFY(w.growthProxy()->rowCount() < all);
    QTest::mouseClick(w.changedOnlyBox(), Qt::LeftButton);
    QCOMPARE(w.growthProxy()->rowCount(), all);
}

void TestMainWindow::badFileNextToGoodFile()
{
    const QString bad = m_dir.filePath(QStringLiteral("garbage.lsnap"));
    {
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray(4096, 'x'));
    }
    MainWindow w;
    w.show();
    w.openFiles({bad, m_fileA});
    QTRY_COMPARE_WITH_TIMEOUT(w.controller()->session()->snapshotCount(), 4, 30000);
    QVERIFY(waitIdle(w));
    QVERIFY(w.messageBar()->isVisible());
    const QString text = w.messageBar()->text();
    QVERIFY2(text.contains(QStringLiteral("garbage.lsnap")), qPrintable(text));
    QVERIFY2(text.size() > QStringLiteral("garbage.lsnap").size() + 10, qPrintable(text)); // and a reason
    QVERIFY(!w.isShowingEmptyState());
    QCOMPARE(w.controller()->files(), QStringList{QFileInfo(m_fileA).canonicalFilePath()});
    // Non-modal: no dialog is open, the window stays usable.
    QVERIFY(QApplication::activeModalWidget() == nullptr);
    w.messageBar()->dismiss();
    QVERIFY(w.messageBar()->isHidden());
}

void TestMainWindow::dropOpensTheFile()
{
    MainWindow w;
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(m_fileB)});
    const QPoint pos = w.rect().center();
    QDragEnterEvent enter(pos, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&w, &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent drop(QPointF(pos), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&w, &drop);
    QVERIFY(drop.isAccepted());
    QTRY_COMPARE_WITH_TIMEOUT(w.controller()->session()->snapshotCount(), 3, 30000);

    // Something that is not a local file is refused.
    QMimeData web;
    web.setUrls({QUrl(QStringLiteral("https://example.org/run.lsnap"))});
    QDragEnterEvent refused(pos, Qt::CopyAction, &web, Qt::LeftButton, Qt::NoModifier);
    refused.setAccepted(false);
    QApplication::sendEvent(&w, &refused);
    QVERIFY(!refused.isAccepted());
}

void TestMainWindow::baselineAndCurrentFromTheTimeline()
{
    MainWindow w;
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    w.openFiles({m_fileA});
    QTRY_COMPARE_WITH_TIMEOUT(w.controller()->session()->snapshotCount(), 4, 30000);
    QVERIFY(waitIdle(w));
    w.selectTypes({QStringLiteral("__main__.Leaky")});
    auto leakyDelta = [&w] {
        const auto session = w.growthModel()->session();
        const int row = w.growthModel()->rowOfType(session->types().find(QStringLiteral("__main__.Leaky")));
        return w.growthModel()->row(row).deltaBaseline;
    };
    QCOMPARE(leakyDelta(), qint64(600)); // 800 - 200

    w.baselineBox()->setCurrentIndex(2);
    emit w.baselineBox()->activated(2);
    QTRY_COMPARE(w.controller()->comparison()->baseline, 2);
    QTRY_COMPARE(leakyDelta(), qint64(200)); // 800 - 600
    QVERIFY(w.timelineModel()->index(2, 0).data(SnapshotTimelineModel::IsBaselineRole).toBool());
    QVERIFY(w.timelineModel()->index(3, 0).data(SnapshotTimelineModel::IsCurrentRole).toBool());

    w.currentBox()->setCurrentIndex(2);
    emit w.currentBox()->activated(2);
    QTRY_COMPARE(w.controller()->comparison()->current, 2);
    QTRY_COMPARE(leakyDelta(), qint64(0));
    // Double-clicking a snapshot makes it the current one.
    QTableView *timeline = w.timelineView();
    const QRect cell = timeline->visualRect(timeline->model()->index(3, SnapshotTimelineModel::LabelColumn));
    // As a real double-click arrives: press, release, then the double-click.
    QTest::mouseClick(timeline->viewport(), Qt::LeftButton, {}, cell.center());
    QTest::mouseDClick(timeline->viewport(), Qt::LeftButton, {}, cell.center());
    QTRY_COMPARE(w.controller()->comparison()->current, 3);
    QCOMPARE(w.controller()->comparison()->baseline, 2);
    QTRY_COMPARE(leakyDelta(), qint64(200));
    // The selection and the chart survive the new comparison.
    QCOMPARE(w.trendChart()->lineCount(), 1);
    QCOMPARE(w.trendChart()->lineName(0), QStringLiteral("__main__.Leaky"));
}

void TestMainWindow::timelineSourceColumnOnlyForSeveralFiles()
{
    // At the default size every column is readable without a horizontal
    // scrollbar, and the numbers are not cut.
    auto checkFits = [](QTableView *timeline) {
        QHeaderView *h = timeline->horizontalHeader();
        // The stretched columns fill the viewport exactly once laid out.
        QTRY_COMPARE(h->length(), timeline->viewport()->width());
        QVERIFY(!timeline->horizontalScrollBar()->isVisible());
        QFont bold = timeline->font();
        bold.setBold(true);
        const QFontMetrics fm(bold);
        const int badge = timeline->style()->pixelMetric(QStyle::PM_SmallIconSize, nullptr, timeline);
        for (int c : {SnapshotTimelineModel::IndexColumn, SnapshotTimelineModel::TimeColumn,
                      SnapshotTimelineModel::ObjectsColumn, SnapshotTimelineModel::RssColumn}) {
            for (int r = 0; r < timeline->model()->rowCount(); ++r) {
                const QString text = timeline->model()->index(r, c).data().toString();
                const int needed = fm.horizontalAdvance(text) + 6 + (c == SnapshotTimelineModel::IndexColumn ? badge : 0);
                QVERIFY2(needed <= timeline->columnWidth(c),
                         qPrintable(QStringLiteral("column %1: '%2' in %3 px").arg(c).arg(text).arg(timeline->columnWidth(c))));
            }
        }
    };
    const QString pathA = QFileInfo(m_fileA).canonicalFilePath();
    const QString pathB = QFileInfo(m_fileB).canonicalFilePath();
    {
        MainWindow w;
        w.resize(1400, 900);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.openFiles({m_fileA});
        QTRY_COMPARE_WITH_TIMEOUT(w.controller()->session()->snapshotCount(), 4, 30000);
        QVERIFY(waitIdle(w));
        QTableView *timeline = w.timelineView();
        QVERIFY(timeline->isColumnHidden(SnapshotTimelineModel::SourceColumn));
        const auto *heading = w.findChild<QLabel *>(QStringLiteral("timelineHeading"));
        QVERIFY(heading);
        QVERIFY2(heading->text().contains(QStringLiteral("a.lsnap")), qPrintable(heading->text()));
        QCOMPARE(QFileInfo(heading->toolTip()).canonicalFilePath(), pathA);
        // Each row still names its file in full.
        QVERIFY(timeline->model()->index(3, 0).data(Qt::ToolTipRole).toString().contains(heading->toolTip()));
        checkFits(timeline);
    }
    {
        MainWindow w;
        w.resize(1400, 900);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.openFiles({m_fileA, m_fileB});
        QTRY_COMPARE_WITH_TIMEOUT(w.controller()->session()->snapshotCount(), 7, 30000);
        QVERIFY(waitIdle(w));
        QTableView *timeline = w.timelineView();
        QVERIFY(!timeline->isColumnHidden(SnapshotTimelineModel::SourceColumn));
        const auto *heading = w.findChild<QLabel *>(QStringLiteral("timelineHeading"));
        QVERIFY2(heading->text().contains(QStringLiteral("2 files")), qPrintable(heading->text()));
        const QStringList tipFiles = heading->toolTip().split(QLatin1Char('\n'));
        QCOMPARE(tipFiles.size(), 2);
        QCOMPARE(QFileInfo(tipFiles.at(0)).canonicalFilePath(), pathA);
        QCOMPARE(QFileInfo(tipFiles.at(1)).canonicalFilePath(), pathB);
        checkFits(timeline);
        // The Source column shows the whole file name.
        const QString source = timeline->model()->index(6, SnapshotTimelineModel::SourceColumn).data().toString();
        QCOMPARE(source, QStringLiteral("b.lsnap"));
        QVERIFY(timeline->fontMetrics().horizontalAdvance(source) + 6 <= timeline->columnWidth(SnapshotTimelineModel::SourceColumn));
    }
}

void TestMainWindow::shortcutsAndCopy()
{
    MainWindow w;
    w.show();
    QVERIFY(QTest::qWaitForWindowActive(&w));
    const auto actions = w.findChildren<QAction *>();
    QStringList shortcuts;
    for (QAction *a : actions)
        shortcuts << a->shortcut().toString();
    QVERIFY(shortcuts.contains(QKeySequence(QKeySequence::Open).toString()));
    QVERIFY(shortcuts.contains(QKeySequence(QKeySequence::Find).toString()));
    QVERIFY(shortcuts.contains(QStringLiteral("Ctrl+E")));

    w.openFiles({m_fileA});
    QTRY_COMPARE_WITH_TIMEOUT(w.controller()->session()->snapshotCount(), 4, 30000);
    QVERIFY(waitIdle(w));
    w.growthView()->setFocus();
    QTest::keySequence(&w, QKeySequence::Find);
    QTRY_COMPARE(QApplication::focusWidget(), static_cast<QWidget *>(w.filterEdit()));

    w.selectTypes({QStringLiteral("__main__.Leaky"), QStringLiteral("__main__.Steady")});
    const QString text = w.selectedRowsAsText();
    const QStringList lines = text.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 3);
    QVERIFY(lines[0].startsWith(QStringLiteral("Type\t")));
    QVERIFY(lines[1].startsWith(QStringLiteral("__main__.Leaky\t")));
    QVERIFY(lines[2].startsWith(QStringLiteral("__main__.Steady\t50\t")));
    w.growthView()->setFocus();
    QTest::keySequence(w.growthView(), QKeySequence::Copy);
    QTRY_COMPARE(QApplication::clipboard()->text(), text);
}

void TestMainWindow::exportsTheRowsAsShown()
{
    MainWindow w;
    w.show();
    w.openFiles({m_fileA});
    QTRY_COMPARE_WITH_TIMEOUT(w.controller()->session()->snapshotCount(), 4, 30000);
    QVERIFY(waitIdle(w));
    w.filterEdit()->setText(QStringLiteral("__main__"));
    QCOMPARE(w.growthProxy()->rowCount(), 2);

    const QString csvPath = m_dir.filePath(QStringLiteral("table.csv"));
    QVERIFY(w.exportTable(csvPath, false));
    QFile csv(csvPath);
    QVERIFY(csv.open(QIODevice::ReadOnly));
    const QStringList lines = QString::fromUtf8(csv.readAll()).split(QStringLiteral("\r\n"), Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 3);
    QVERIFY(lines[0].startsWith(QStringLiteral("type,count,")));
    QVERIFY2(lines[1].startsWith(QStringLiteral("__main__.Leaky,800,200,600,")), qPrintable(lines[1]));
    QVERIFY(lines[2].startsWith(QStringLiteral("__main__.Steady,50,0,0,")));

    const QString jsonPath = m_dir.filePath(QStringLiteral("table.json"));
    QVERIFY(w.exportTable(jsonPath, true));
    QFile json(jsonPath);
    QVERIFY(json.open(QIODevice::ReadOnly));
    const QJsonObject root = QJsonDocument::fromJson(json.readAll()).object();
    const QJsonArray types = root.value(QStringLiteral("types")).toArray();
    QCOMPARE(types.size(), 2);
    QCOMPARE(types.at(0).toObject().value(QStringLiteral("name")).toString(), QStringLiteral("__main__.Leaky"));
    QCOMPARE(types.at(0).toObject().value(QStringLiteral("counts")).toArray().size(), 4);
    QCOMPARE(root.value(QStringLiteral("snapshots")).toArray().size(), 4);

    // A path that cannot be written: a message, no crash.
    QVERIFY(!w.exportTable(m_dir.filePath(QStringLiteral("no/such/dir/table.csv")), false));
    QVERIFY(w.messageBar()->isVisible());
    QVERIFY(w.messageBar()->text().contains(QStringLiteral("table.csv")));
}

void TestMainWindow::remembersRecentFilesAndSwitches()
{
    {
        MainWindow w;
        w.show();
        w.openFiles({m_fileA});
        QTRY_COMPARE_WITH_TIMEOUT(w.controller()->session()->snapshotCount(), 4, 30000);
        QVERIFY(waitIdle(w));
        w.hideBuiltinsBox()->setChecked(true);
        w.trendChart()->setLogScale(true);
        // Within the offscreen screen (800x600): a bigger one is fitted to it (tst_window).
        w.resize(781, 557);
        w.close();
    }
    MainWindow again;
    QCOMPARE(again.recentFiles().value(0), QFileInfo(m_fileA).canonicalFilePath());
    QVERIFY(again.hideBuiltinsBox()->isChecked());
    QVERIFY(again.trendChart()->logScale());
    QCOMPARE(again.size(), QSize(781, 557));
    // And the table starts in the shared ranking regardless of the saved header.
    QCOMPARE(again.growthView()->header()->sortIndicatorSection(), int(GrowthTableModel::ReasonColumn));
}

void TestMainWindow::screenshotWithSession()
{
    MainWindow w;
    w.resize(1400, 900);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    w.openFiles({m_fileA, m_fileB});
    QTRY_COMPARE_WITH_TIMEOUT(w.controller()->session()->snapshotCount(), 7, 30000);
    QVERIFY(waitIdle(w));
    w.selectTypes({QStringLiteral("__main__.Leaky"), QStringLiteral("__main__.Steady")});
    // The Summary tab opens first; this screenshot is of the trend.
    w.detailTabs()->setCurrentWidget(w.trendChart());
    // The value axis title is not cut at the default size.
    const QAbstractAxis *axis = valueAxis(w.trendChart());
    QVERIFY(axis);
    const QChart *chart = w.trendChart()->findChild<QChartView *>()->chart();
    QTRY_VERIFY(chart->plotArea().height() > 0);
    QVERIFY2(QFontMetrics(axis->titleFont()).horizontalAdvance(axis->titleText()) < chart->plotArea().height(),
             qPrintable(QStringLiteral("'%1' along %2 px").arg(axis->titleText()).arg(chart->plotArea().height())));
    const QImage shot = w.grab().toImage();
    QCOMPARE(shot.size(), QSize(1400, 900) * shot.devicePixelRatio());
    QVERIFY(shot.save(QStringLiteral(LEAKSCOPE_BIN_DIR "/screenshot-session.png")));
    QVERIFY(distinctColours(shot) > 30);
    // The table area is not blank: pixels differ between rows.
    const QImage table = w.growthView()->viewport()->grab().toImage();
    QVERIFY(distinctColours(table) > 5);
}

void TestMainWindow::importsObjgraphOutput()
{
    // A typestats() dump and a show_growth() log, as objgraph writes them.
    const QString stats = m_dir.filePath(QStringLiteral("typestats.json"));
    {
        QFile f(stats);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(R"({"dict": 1200, "list": 300, "myapp.Session": 40})");
    }
    const QString log = m_dir.filePath(QStringLiteral("growth.log"));
    {
        QFile f(log);
        QVERIFY(f.open(QIODevice::WriteOnly));
        // Two calls separated by other output; the second lists only types above their peak.
        f.write("dict       1200     +1200\n"
                "list        300      +300\n"
                "---\n"
                "dict       1250       +50\n");
    }
    MainWindow w;
    w.show();
    w.openFiles({stats});
    QTRY_COMPARE_WITH_TIMEOUT(w.controller()->session()->snapshotCount(), 1, 30000);
    QVERIFY(waitIdle(w));
    QVERIFY(w.messageBar()->isHidden());
    const auto session = w.controller()->session();
    QCOMPARE(session->count(0, session->types().find(QStringLiteral("myapp.Session"))), qint64(40));
    // No sizes and no times in objgraph output: the table says so instead of showing zeros.
    const int row = w.growthModel()->rowOfType(session->types().find(QStringLiteral("dict")));
    QCOMPARE(w.growthModel()->index(row, GrowthTableModel::SizeColumn).data().toString(), QStringLiteral("n/a"));
    QCOMPARE(w.timelineModel()->index(0, SnapshotTimelineModel::TimeColumn).data().toString(), QStringLiteral("n/a"));

    w.controller()->clear();
    QTRY_VERIFY(w.isShowingEmptyState());
    w.openFiles({log});
    QTRY_COMPARE_WITH_TIMEOUT(w.controller()->session()->snapshotCount(), 2, 30000);
    QVERIFY(waitIdle(w));
    const auto logSession = w.controller()->session();
    const int dict = logSession->types().find(QStringLiteral("dict"));
    const int list = logSession->types().find(QStringLiteral("list"));
    QCOMPARE(logSession->countSeries(dict), (std::vector<qint64>{1200, 1250}));
    QCOMPARE(logSession->countSeries(list), (std::vector<qint64>{300, 300})); // carried forward, not zero
    QVERIFY(w.timelineModel()->index(1, 0).data(Qt::ToolTipRole).toString().contains(QStringLiteral("Partial")));
    // Without times the chart's x axis is the snapshot index.
    w.selectTypes({QStringLiteral("dict")});
    const QList<QPointF> points = w.trendChart()->linePoints(0);
    QCOMPARE(points, (QList<QPointF>{QPointF(0, 1200), QPointF(1, 1250)}));
}

void TestMainWindow::progressAndCancelForABigSession()
{
    std::atomic_bool release{false}; // outlives the window and its worker
    MainWindow w;
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    // The window's own bar, in the status bar (panels have theirs).
    auto *bar = w.statusBar()->findChild<QProgressBar *>();
    QVERIFY(bar);
    QToolButton *cancel = nullptr;
    for (QToolButton *b : w.statusBar()->findChildren<QToolButton *>())
        if (b->text() == QStringLiteral("Cancel"))
            cancel = b;
    QVERIFY(cancel);

    // A load that runs until it is cancelled: the bar and Cancel appear, and
    // Cancel stops it.
    w.controller()->loader()->start(QStringLiteral("Opening big.lsnap"), [&release](JobRunner::Context &ctx) -> std::function<void()> {
        for (qint64 i = 0; !ctx.isCancelled() && !release; ++i) {
            ctx.setProgress(i % 100, 100);
            QThread::msleep(2);
        }
        return {};
    });
    QVERIFY(w.controller()->isBusy());
    QTRY_VERIFY_WITH_TIMEOUT(bar->isVisible(), 20000);
    QVERIFY(cancel->isVisible());
    QTRY_VERIFY(bar->value() > 0);
    QTest::mouseClick(cancel, Qt::LeftButton);
    QVERIFY(!w.controller()->isBusy());
    QVERIFY(!bar->isVisible());
    QVERIFY(!cancel->isVisible());
    release = true;

    // A real load of a big session, cancelled before it is published, leaves
    // the session empty however fast the worker was.
    std::vector<std::vector<qint64>> series(20000, std::vector<qint64>(120));
    QStringList names;
    for (int t = 0; t < 20000; ++t) {
        names << QStringLiteral("pkg.mod%1.Type%2").arg(t % 97).arg(t);
        for (int s = 0; s < 120; ++s)
            series[size_t(t)][size_t(s)] = 1 + t % 50 + (t % 10 == 0 ? s : 0);
    }
    std::vector<LoadedFile> files;
    files.push_back(makeFile(QStringLiteral("/tmp/big.lsnap"), names, series));
    w.controller()->addLoadedFiles(std::move(files));
    QVERIFY(w.controller()->isBusy());
    w.controller()->cancel();
    QVERIFY(!w.controller()->isBusy());
    w.controller()->loader()->waitForIdle();
    QCoreApplication::processEvents();
    QCOMPARE(w.controller()->session()->snapshotCount(), 0);
    QVERIFY(w.isShowingEmptyState());

    // The window keeps working: the next load is published.
    std::vector<LoadedFile> again;
    again.push_back(makeFile(QStringLiteral("/tmp/small.lsnap"), {QStringLiteral("x.Y")}, {{1, 2, 3}}));
    w.controller()->addLoadedFiles(std::move(again));
    QTRY_COMPARE_WITH_TIMEOUT(w.controller()->session()->snapshotCount(), 3, 30000);
}

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
