// The growth table as the window shows it (GrowthTableView), offscreen: the
// Type column's width with and without the Retained columns, middle elision
// of names that cannot fit, one row height, the first click's sort order and
// the Reason column.
#include "core/growth.h"
#include "views/growthfilterproxymodel.h"
#include "views/growthtablemodel.h"
#include "views/growthtableview.h"
#include "testutil/guitestdata.h"

#include <QHeaderView>
#include <QImage>
#include <QPainter>
#include <QStyleOptionViewItem>
#include <QTest>

#include <memory>

using namespace leakscope;
using namespace leakscope::testdata;

namespace {

const QString s_longName = QStringLiteral("__main__.HttpRequestHandlerWithAVeryLongName");
const QString s_leak = QStringLiteral("__main__.HttpRequest");

// A session like the issue's: two user types leak (one with a long name),
// builtins grow with them, others stay flat. `graphs` marks the snapshots as
// having heap graphs, which is what makes the Retained columns appear.
std::shared_ptr<Session> makeSession(bool graphs, const QStringList &extraNames = {})
{
    QStringList names{s_longName, s_leak, QStringLiteral("list"), QStringLiteral("method"),
                          QStringLiteral("dict"), QStringLiteral("tuple"), QStringLiteral("logging.Logger")};
        std::vector<std::vector<qint64>> series{
            {10, 20, 30, 40, 50},      // leaks, long name
            {100, 200, 300, 400, 500}, // leaks
            {300, 375, 450, 525, 600}, // holds them
            {5, 15, 25, 35, 45},
            {900, 880, 910, 890, 905}, // churn
            {4000, 4000, 4000, 4000, 4000},
            {12, 12, 12, 12, 12},
        };
        for (const QString &n : extraNames) {
            names << n;
            series.push_back({1, 2, 3, 4, 5});
        }
        LoadedFile f = makeFile(QStringLiteral("/tmp/table.lsnap"), names, series);
        for (Snapshot &s : f.snapshots)
            s.info.hasGraph = graphs;
        auto session = std::make_shared<Session>();
        session->addFile(std::move(f));
        return session;
}

struct Table
{
    std::shared_ptr<Session> session;
    GrowthTableModel model;
    GrowthFilterProxyModel proxy;
    GrowthTableView view;

    explicit Table(bool graphs, const QStringList &extraNames = {}) : session(makeSession(graphs, extraNames))
    {
        proxy.setSourceModel(&model);
        view.setModels(&model, &proxy);
        view.resize(1280, 400);
        view.show();
        model.setComparison(session, std::make_shared<Comparison>(GrowthAnalysis::compare(*session, 0, 4)));
    }

    int proxyRowOf(const QString &name) const
    {
        for (int r = 0; r < proxy.rowCount(); ++r)
            if (proxy.index(r, 0).data(GrowthTableModel::TypeNameRole).toString() == name)
                return r;
        return -1;
    }
    QStringList namesInOrder() const
    {
        QStringList out;
        for (int r = 0; r < proxy.rowCount(); ++r)
            out << proxy.index(r, 0).data(GrowthTableModel::TypeNameRole).toString();
        return out;
    }
    // What the cell needs to show `name` whole, measured as the view does.
    int neededWidth(const QString &name) const
    {
        QFont bold = view.font();
        bold.setBold(true);
        // Text, suspect icon, margins: an upper bound of what the style adds.
        return QFontMetrics(bold).horizontalAdvance(name) + view.iconSize().width();
    }
};

} // namespace

class TestGrowthTableView : public QObject
{
    Q_OBJECT
private slots:
    void typeColumnKeepsItsWidthWhenRetainedColumnsAppear();
    void tooLongNamesElideInTheMiddleWithTheFullNameInTheTooltip();
    void rowHeightIsTheSameForEveryOrder();
    void firstClickSortsNumbersLargestFirst_data();
    void firstClickSortsNumbersLargestFirst();
    void reasonColumnSaysWhatTheCliSays();
    void columnsFillTheTable();
};

void TestGrowthTableView::typeColumnKeepsItsWidthWhenRetainedColumnsAppear()
{
    Table plain(false);
    QVERIFY(QTest::qWaitForWindowExposed(&plain.view));
    QHeaderView *header = plain.view.header();
    QVERIFY(header->isSectionHidden(GrowthTableModel::RetainedColumn));
    const int without = header->sectionSize(GrowthTableModel::TypeColumn);
    QVERIFY2(without >= plain.neededWidth(s_longName),
             qPrintable(QStringLiteral("%1 < %2").arg(without).arg(plain.neededWidth(s_longName))));

    Table graphs(true);
    QVERIFY(QTest::qWaitForWindowExposed(&graphs.view));
    QVERIFY(!graphs.view.header()->isSectionHidden(GrowthTableModel::RetainedColumn));
    QVERIFY(!graphs.view.header()->isSectionHidden(GrowthTableModel::DeltaRetainedColumn));
    QCOMPARE(graphs.view.header()->sectionSize(GrowthTableModel::TypeColumn), without);

    // The same view gaining the columns (a live session's first graph).
    plain.session = makeSession(true);
    plain.model.setComparison(plain.session, std::make_shared<Comparison>(GrowthAnalysis::compare(*plain.session, 0, 4)));
    QVERIFY(!header->isSectionHidden(GrowthTableModel::RetainedColumn));
    QCOMPARE(header->sectionSize(GrowthTableModel::TypeColumn), without);

    // A narrower window: the table scrolls sideways, the names stay whole
    // (while they fit in 40% of it).
    plain.view.resize(1000, 400);
    QTRY_COMPARE(plain.view.viewport()->width() < 1000, true);
    QCOMPARE(header->sectionSize(GrowthTableModel::TypeColumn), without);
    QVERIFY(header->length() > plain.view.viewport()->width());
}

void TestGrowthTableView::tooLongNamesElideInTheMiddleWithTheFullNameInTheTooltip()
{
    const QString huge = QStringLiteral("pkg.") + QString(QStringLiteral("sub.")).repeated(60) + QStringLiteral("Tail");
    Table t(false, {huge});
    QVERIFY(QTest::qWaitForWindowExposed(&t.view));
    const int width = t.view.header()->sectionSize(GrowthTableModel::TypeColumn);
    // Capped at 40% of the table, so the numbers stay on screen.
    QVERIFY2(width <= t.view.viewport()->width() * 2 / 5 + 1, qPrintable(QString::number(width)));
    QVERIFY(width < t.neededWidth(huge));
    const int row = t.proxyRowOf(huge);
    QVERIFY(row >= 0);
    const QString tip = t.proxy.index(row, GrowthTableModel::TypeColumn).data(Qt::ToolTipRole).toString();
    QCOMPARE(tip.section(QLatin1Char('\n'), 0, 0), huge);
    QVERIFY2(tip.contains(QStringLiteral("suspect"), Qt::CaseInsensitive), qPrintable(tip));

    // The delegate elides in the middle: the painted cell shows the start
    // and the end of the name. Paint it and compare with the style's own
    // middle elision of the same name.
    const QAbstractItemDelegate *delegate = t.view.itemDelegateForIndex(t.proxy.index(row, 0));
    QVERIFY(delegate != t.view.itemDelegateForColumn(GrowthTableModel::TrendColumn));
    const QRect cell = t.view.visualRect(t.proxy.index(row, 0));
    QVERIFY(cell.isValid());
    QImage askedRight(cell.size(), QImage::Format_ARGB32);
    QImage askedMiddle(cell.size(), QImage::Format_ARGB32);
    const auto render = [&](QImage &image, Qt::TextElideMode mode) {
        image.fill(Qt::white);
        QPainter p(&image);
        QStyleOptionViewItem opt;
        opt.initFrom(&t.view);
        opt.rect = QRect(QPoint(0, 0), cell.size());
        opt.textElideMode = mode;
        delegate->paint(&p, opt, t.proxy.index(row, 0));
    };
    render(askedRight, Qt::ElideRight);
    render(askedMiddle, Qt::ElideMiddle);
    // Whatever the view asks for, the Type column is elided in the middle
    // (the name is too long for the cell, so the two elisions differ).
    QCOMPARE(askedRight, askedMiddle);
}

void TestGrowthTableView::rowHeightIsTheSameForEveryOrder()
{
    Table t(true);
    QVERIFY(QTest::qWaitForWindowExposed(&t.view));
    const int height = t.view.rowHeight();
    QVERIFY(height >= t.view.fontMetrics().height());
    QVERIFY(height >= t.view.iconSize().height());
    const auto heights = [&t] {
        QList<int> out;
        for (int r = 0; r < t.proxy.rowCount(); ++r)
            out << t.view.visualRect(t.proxy.index(r, GrowthTableModel::CountColumn)).height();
        return out;
    };
    // A suspect (bold, with icon) first, then a plain builtin first.
    t.view.sortByColumn(GrowthTableModel::ReasonColumn, Qt::DescendingOrder);
    QVERIFY(t.proxy.index(0, 0).data(GrowthTableModel::SuspectRole).toBool());
    const QList<int> suspectFirst = heights();
    t.view.sortByColumn(GrowthTableModel::ReasonColumn, Qt::AscendingOrder);
    QVERIFY(!t.proxy.index(0, 0).data(GrowthTableModel::SuspectRole).toBool());
    const QList<int> plainFirst = heights();
    QCOMPARE(suspectFirst, QList<int>(t.proxy.rowCount(), height));
    QCOMPARE(plainFirst, QList<int>(t.proxy.rowCount(), height));
    // With the Retained columns hidden too.
    Table noGraphs(false);
    QVERIFY(QTest::qWaitForWindowExposed(&noGraphs.view));
    QCOMPARE(noGraphs.view.visualRect(noGraphs.proxy.index(0, 0)).height(), height);
}

void TestGrowthTableView::firstClickSortsNumbersLargestFirst_data()
{
    QTest::addColumn<int>("column");
    QTest::addColumn<int>("order");
    QTest::addColumn<QString>("first");
    QTest::newRow("Count: most objects") << int(GrowthTableModel::CountColumn) << int(Qt::DescendingOrder)
                                         << QStringLiteral("tuple");
    QTest::newRow("delta baseline: most growth") << int(GrowthTableModel::DeltaBaselineColumn)
                                                 << int(Qt::DescendingOrder) << s_leak;
    QTest::newRow("Size: most bytes") << int(GrowthTableModel::SizeColumn) << int(Qt::DescendingOrder)
                                      << QStringLiteral("tuple");
    QTest::newRow("Type: A to Z") << int(GrowthTableModel::TypeColumn) << int(Qt::AscendingOrder) << s_leak;
}

void TestGrowthTableView::firstClickSortsNumbersLargestFirst()
{
    QFETCH(int, column);
    QFETCH(int, order);
    QFETCH(QString, first);
    Table t(false);
    QVERIFY(QTest::qWaitForWindowExposed(&t.view));
    QHeaderView *header = t.view.header();
    QCOMPARE(header->sortIndicatorSection(), int(GrowthTableModel::ReasonColumn));
    const QPoint centre(header->sectionViewportPosition(column) + header->sectionSize(column) / 2, header->height() / 2);
    QTest::mouseClick(header->viewport(), Qt::LeftButton, {}, centre);
    QCOMPARE(header->sortIndicatorSection(), column);
    QCOMPARE(int(header->sortIndicatorOrder()), order);
    QCOMPARE(t.namesInOrder().value(0), first);
    // The second click turns it round.
    QTest::mouseClick(header->viewport(), Qt::LeftButton, {}, centre);
    QCOMPARE(int(header->sortIndicatorOrder()), order == Qt::AscendingOrder ? int(Qt::DescendingOrder) : int(Qt::AscendingOrder));
    QVERIFY(t.namesInOrder().value(0) != first);
}

void TestGrowthTableView::reasonColumnSaysWhatTheCliSays()
{
    Table t(false);
    QCOMPARE(t.model.headerData(GrowthTableModel::ReasonColumn, Qt::Horizontal).toString(), QStringLiteral("Reason"));
    // The ranking: the user types first, the builtins they explain after.
    QCOMPARE(t.namesInOrder().mid(0, 2), (QStringList{s_leak, s_longName}));
    const int leak = t.proxyRowOf(s_leak);
    const QString text = t.proxy.index(leak, GrowthTableModel::ReasonColumn).data().toString();
    const SuspectVerdict &verdict = t.model.row(t.model.rowOfType(t.session->types().find(s_leak))).verdict;
    QCOMPARE(text, SuspectDetector::reasonText(verdict));
    QVERIFY2(text.startsWith(QStringLiteral("grew in 4 of 4 intervals, +100/snapshot, +600/min, R^2 1.00")),
             qPrintable(text));
    // No bare score: the score is explained in the tooltip.
    QVERIFY(!t.proxy.index(leak, GrowthTableModel::ReasonColumn).data().toString().contains(QStringLiteral("score")));
    QVERIFY(t.proxy.index(leak, GrowthTableModel::ReasonColumn).data(Qt::ToolTipRole).toString().contains(
        QStringLiteral("score")));
    const QString churn = t.proxy.index(t.proxyRowOf(QStringLiteral("dict")), GrowthTableModel::ReasonColumn).data().toString();
    QVERIFY2(!churn.isEmpty() && !churn.startsWith(QStringLiteral("grew")), qPrintable(churn));
}

void TestGrowthTableView::columnsFillTheTable()
{
    Table t(true);
    QVERIFY(QTest::qWaitForWindowExposed(&t.view));
    t.view.resize(2000, 400);
    QTRY_COMPARE(t.view.header()->length(), t.view.viewport()->width());
    const int reason = t.view.header()->sectionSize(GrowthTableModel::ReasonColumn);
    t.view.resize(1600, 400);
    QTRY_COMPARE(t.view.header()->length(), t.view.viewport()->width());
    // The Reason column gave the width back, not the Type column.
    QVERIFY(t.view.header()->sectionSize(GrowthTableModel::ReasonColumn) < reason);
}

QTEST_MAIN(TestGrowthTableView)
#include "tst_growthtableview.moc"
