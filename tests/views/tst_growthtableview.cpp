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
#include <QMenu>
#include <QPainter>
#include <QSignalSpy>
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
    void tightTablesHideTheLeastUsefulColumnsFirst_data();
    void tightTablesHideTheLeastUsefulColumnsFirst();
    void numberColumnsFitTheirValues();
    void headerMenuShowsHidesAndResets();
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

    // A narrower window: the names stay whole (while they fit in 40% of
    // it); the least useful number column gives way to the Reason column.
    plain.view.resize(1000, 400);
    QTRY_COMPARE(plain.view.viewport()->width() < 1000, true);
    QCOMPARE(header->sectionSize(GrowthTableModel::TypeColumn), without);
    QVERIFY(plain.view.isAutoHidden(GrowthTableModel::DeltaPreviousColumn));
    QVERIFY(header->sectionSize(GrowthTableModel::ReasonColumn) >= GrowthTableView::s_minimumReasonWidth);
}

void TestGrowthTableView::tightTablesHideTheLeastUsefulColumnsFirst_data()
{
    QTest::addColumn<bool>("graphs");
    QTest::addColumn<int>("width");
    QTest::addColumn<int>("leastHidden"); // -1: exactly none
    QTest::addColumn<int>("mostHidden");
    QTest::newRow("wide, with Retained: everything") << true << 2000 << -1 << 0;
    QTest::newRow("wide, no graph: everything but Retained") << false << 2000 << -1 << 0;
    QTest::newRow("medium, with Retained: some give way") << true << 1000 << 1 << 5;
    QTest::newRow("medium, no graph: fewer give way") << false << 1000 << 0 << 4;
    QTest::newRow("very narrow: all five, then it scrolls") << true << 500 << 5 << 5;
}

void TestGrowthTableView::tightTablesHideTheLeastUsefulColumnsFirst()
{
    QFETCH(bool, graphs);
    QFETCH(int, width);
    QFETCH(int, leastHidden);
    QFETCH(int, mostHidden);
    Table t(graphs);
    t.view.resize(width, 400);
    QVERIFY(QTest::qWaitForWindowExposed(&t.view));
    QTRY_VERIFY(t.view.viewport()->width() < width);
    QHeaderView *header = t.view.header();
    using M = GrowthTableModel;
    QList<int> autoHidden;
    for (int c = 0; c < M::ColumnCount; ++c) {
        if (t.view.isAutoHidden(c))
            autoHidden << c;
        const bool retained = c == M::RetainedColumn || c == M::DeltaRetainedColumn;
        QCOMPARE(header->isSectionHidden(c), t.view.isAutoHidden(c) || (!graphs && retained));
    }
    // Always the least useful first: a prefix of this order.
    QList<int> order{M::DeltaPreviousColumn, M::SizeColumn, M::DeltaPercentColumn};
    if (graphs)
        order << M::RetainedColumn;
    order << M::TrendColumn;
    QList<int> expected = order.mid(0, autoHidden.size());
    std::sort(expected.begin(), expected.end()); // autoHidden is in column order
    QCOMPARE(autoHidden, expected);
    if (leastHidden < 0)
        QVERIFY(autoHidden.isEmpty());
    QVERIFY2(autoHidden.size() >= std::max(0, leastHidden) && autoHidden.size() <= mostHidden,
             qPrintable(QString::number(autoHidden.size())));
    // Type whole (where 40% of the table holds it), Reason at least its
    // minimum, and within the viewport unless even the five could not make
    // the room.
    if (width >= 1000)
        QVERIFY(header->sectionSize(M::TypeColumn) >= t.neededWidth(s_longName));
    QVERIFY(header->sectionSize(M::ReasonColumn) >= GrowthTableView::s_minimumReasonWidth);
    const int reasonRight = header->sectionViewportPosition(M::ReasonColumn) + header->sectionSize(M::ReasonColumn);
    if (width >= 1000)
        QVERIFY2(reasonRight <= t.view.viewport()->width(),
                 qPrintable(QStringLiteral("%1 > %2").arg(reasonRight).arg(t.view.viewport()->width())));
    // Widening again brings them back.
    t.view.resize(2400, 400);
    QTRY_VERIFY(!t.view.isAutoHidden(M::DeltaPreviousColumn));
    QVERIFY(!header->isSectionHidden(M::SizeColumn));
    QVERIFY(!header->isSectionHidden(M::DeltaPercentColumn));
    QVERIFY(!header->isSectionHidden(M::TrendColumn));
}

void TestGrowthTableView::numberColumnsFitTheirValues()
{
    Table t(true);
    QVERIFY(QTest::qWaitForWindowExposed(&t.view));
    QHeaderView *header = t.view.header();
    const QFontMetrics fm = t.view.fontMetrics();
    for (int c : {GrowthTableModel::CountColumn, GrowthTableModel::DeltaBaselineColumn,
                  GrowthTableModel::DeltaSizeColumn, GrowthTableModel::DeltaRetainedColumn}) {
        // Every value whole, and no room for six digits the data never has.
        int widest = 0;
        for (int r = 0; r < t.proxy.rowCount(); ++r)
            widest = std::max(widest, fm.horizontalAdvance(t.proxy.index(r, c).data().toString()));
        const int size = header->sectionSize(c);
        QVERIFY2(size > widest, qPrintable(QStringLiteral("column %1: %2 <= %3").arg(c).arg(size).arg(widest)));
    }
    QVERIFY(header->sectionSize(GrowthTableModel::CountColumn) < fm.horizontalAdvance(QStringLiteral("+000,000")) + 14);
    // The titles stay whole too.
    QFont bold = header->font();
    bold.setBold(true);
    QVERIFY(header->sectionSize(GrowthTableModel::DeltaBaselineColumn)
            > QFontMetrics(bold).horizontalAdvance(QStringLiteral("\u0394 baseline")));
}

void TestGrowthTableView::headerMenuShowsHidesAndResets()
{
    Table t(true);
    t.view.resize(880, 400);
    QVERIFY(QTest::qWaitForWindowExposed(&t.view));
    QHeaderView *header = t.view.header();
    QVERIFY(t.view.isAutoHidden(GrowthTableModel::DeltaPreviousColumn));
    const auto action = [](QMenu *menu, const QString &name) {
        QAction *found = menu->findChild<QAction *>(name);
        if (!found)
            for (QAction *a : menu->actions())
                if (a->objectName() == name)
                    found = a;
        return found;
    };
    std::unique_ptr<QMenu> menu(t.view.createHeaderMenu(nullptr));
    // Type always shows: no entry; an auto-hidden column says why.
    QVERIFY(!action(menu.get(), QStringLiteral("type")));
    QAction *prev = action(menu.get(), QStringLiteral("deltaPrevious"));
    QVERIFY(prev);
    QVERIFY(!prev->isChecked());
    QVERIFY2(prev->text().contains(QStringLiteral("no room")), qPrintable(prev->text()));
    // A shown column the user hides stays hidden; its room goes to the
    // Reason column.
    QSignalSpy changed(&t.view, &GrowthTableView::columnChoicesChanged);
    QAction *deltaSize = action(menu.get(), QStringLiteral("deltaSize"));
    QVERIFY(deltaSize->isChecked());
    const int reasonBefore = header->sectionSize(GrowthTableModel::ReasonColumn);
    deltaSize->trigger();
    QCOMPARE(changed.size(), 1);
    QVERIFY(header->isSectionHidden(GrowthTableModel::DeltaSizeColumn));
    QCOMPARE(t.view.columnChoice(GrowthTableModel::DeltaSizeColumn), GrowthTableView::Choice::Hidden);
    QVERIFY(header->sectionSize(GrowthTableModel::ReasonColumn) > reasonBefore
            || !t.view.isAutoHidden(GrowthTableModel::TrendColumn));
    // Asked for, Δ prev shows even where it does not fit (others give way).
    prev->trigger();
    QVERIFY(!header->isSectionHidden(GrowthTableModel::DeltaPreviousColumn));
    QCOMPARE(t.view.columnChoice(GrowthTableModel::DeltaPreviousColumn), GrowthTableView::Choice::Shown);

    // The choices survive a restart (QSettings holds columnChoices()).
    const QVariant saved = t.view.columnChoices();
    Table again(true);
    again.view.resize(880, 400);
    QVERIFY(QTest::qWaitForWindowExposed(&again.view));
    QVERIFY(again.view.header()->isSectionHidden(GrowthTableModel::DeltaPreviousColumn));
    again.view.restoreColumnChoices(saved);
    for (int c = 0; c < GrowthTableModel::ColumnCount; ++c)
        QCOMPARE(again.view.header()->isSectionHidden(c), header->isSectionHidden(c));
    // A saved state from elsewhere (unknown keys, bad values) is ignored.
    again.view.restoreColumnChoices(QVariantMap{{QStringLiteral("nonsense"), QStringLiteral("shown")},
                                                {QStringLiteral("count"), 42}});
    QCOMPARE(again.view.columnChoice(GrowthTableModel::CountColumn), GrowthTableView::Choice::Auto);

    // Reset Columns: no choices, the model's order, the rule decides again.
    header->moveSection(header->visualIndex(GrowthTableModel::ReasonColumn), 1);
    action(menu.get(), QStringLiteral("resetColumns"))->trigger();
    QCOMPARE(t.view.columnChoices().toMap().size(), 0);
    for (int c = 0; c < GrowthTableModel::ColumnCount; ++c)
        QCOMPARE(header->visualIndex(c), c);
    QVERIFY(!header->isSectionHidden(GrowthTableModel::DeltaSizeColumn));
    QVERIFY(t.view.isAutoHidden(GrowthTableModel::DeltaPreviousColumn));
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
