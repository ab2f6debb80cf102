// The growth table model, its sort/filter proxy, the sparkline delegate and
// the snapshot timeline model, on sessions built in code.
#include "core/growth.h"
#include "views/growthfilterproxymodel.h"
#include "views/growthtablemodel.h"
#include "testutil/guitestdata.h"
#include "views/snapshottimelinemodel.h"
#include "views/sparklinedelegate.h"

#include <QAbstractItemModelTester>
#include <QImage>
#include <QPainter>
#include <QStyleOptionViewItem>
#include <QTest>
#include <QTreeView>

#include <memory>

using namespace leakscope;
using namespace leakscope::testdata;

namespace {

// Five snapshots. Deltas against the first (baseline) are chosen so that
// sorting text would give a different order than sorting numbers:
// 1000 vs 999 ("1,000" < "999" as text), 2 vs -5 ("-5" < "2" but also
// "+2" vs "-5" by character).
struct Fixture
{
    std::shared_ptr<Session> session = std::make_shared<Session>();
    std::shared_ptr<Comparison> comparison;

    Fixture()
    {
        const QStringList names{QStringLiteral("__main__.Thousand"), QStringLiteral("__main__.NineNineNine"),
                                QStringLiteral("dict"), QStringLiteral("list"), QStringLiteral("app.models.Session"),
                                QStringLiteral("tuple"), QStringLiteral("__main__.Gone")};
        const std::vector<std::vector<qint64>> series{
            {10, 260, 510, 760, 1010}, // +1000, steady: suspect
            {1, 250, 500, 750, 1000},  // +999, steady: suspect
            {100, 90, 80, 95, 102},    // +2, irregular
            {20, 10, 12, 14, 15},      // -5
            {7, 7, 7, 7, 7},           // unchanged
            {0, 0, 0, 0, 30},          // new in the last snapshot
            {40, 30, 20, 10, 0},       // freed
        };
        session->addFile(makeFile(QStringLiteral("/tmp/fixture.lsnap"), names, series));
        comparison = std::make_shared<Comparison>(GrowthAnalysis::compare(*session, 0, 4));
    }
};

QStringList namesInProxyOrder(const QSortFilterProxyModel &proxy)
{
    QStringList out;
    for (int r = 0; r < proxy.rowCount(); ++r)
        out << proxy.index(r, GrowthTableModel::TypeColumn).data(GrowthTableModel::TypeNameRole).toString();
    return out;
}

} // namespace

class TestGrowthTableModel : public QObject
{
    Q_OBJECT
private slots:
    void modelsPassTheModelTester();
    void displayFormatsNumbers();
    void sortsByRawNumbers_data();
    void sortsByRawNumbers();
    void filters_data();
    void filters();
    void invalidRegexShowsNothingAndSaysWhy();
    void suspectsStandOut();
    void headerTooltipsExplainEveryColumn();
    void copiesRowsAsText();
    void sparklineDrawsTheSeries();
    void timelineMarksBaselineAndCurrent();
};

void TestGrowthTableModel::modelsPassTheModelTester()
{
    Fixture fx;
    GrowthTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    GrowthFilterProxyModel proxy;
    proxy.setSourceModel(&model);
    QAbstractItemModelTester proxyTester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
    proxy.sort(GrowthTableModel::DeltaBaselineColumn, Qt::DescendingOrder);

    model.setComparison(fx.session, fx.comparison);
    QCOMPARE(model.rowCount(), 7);
    QCOMPARE(model.columnCount(), int(GrowthTableModel::ColumnCount));
    proxy.setFilterText(QStringLiteral("main"));
    proxy.setHideBuiltins(true);
    proxy.setSuspectsOnly(true);
    proxy.setChangedOnly(true);
    proxy.setFilterText(QStringLiteral("/^__main__\\.(T|N)"));
    QCOMPARE(proxy.rowCount(), 2);
    proxy.setFilterText(QString());
    proxy.setSuspectsOnly(false);
    // A new comparison (another baseline) is one reset.
    model.setComparison(fx.session, std::make_shared<Comparison>(GrowthAnalysis::compare(*fx.session, 2, 3)));
    model.clear();
    QCOMPARE(model.rowCount(), 0);

    SnapshotTimelineModel timeline;
    QAbstractItemModelTester timelineTester(&timeline, QAbstractItemModelTester::FailureReportingMode::QtTest);
    timeline.setSession(fx.session);
    QCOMPARE(timeline.rowCount(), 5);
    timeline.setComparedSnapshots(1, 3);
    timeline.setSession(std::make_shared<Session>());
    QCOMPARE(timeline.rowCount(), 0);
}

void TestGrowthTableModel::displayFormatsNumbers()
{
    QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates));
    Fixture fx;
    GrowthTableModel model;
    model.setComparison(fx.session, fx.comparison);
    const int thousand = model.rowOfType(fx.session->types().find(QStringLiteral("__main__.Thousand")));
    const int list = model.rowOfType(fx.session->types().find(QStringLiteral("list")));
    const int tuple = model.rowOfType(fx.session->types().find(QStringLiteral("tuple")));
    QCOMPARE(model.index(thousand, GrowthTableModel::CountColumn).data().toString(), QStringLiteral("1,010"));
    QCOMPARE(model.index(thousand, GrowthTableModel::DeltaBaselineColumn).data().toString(), QStringLiteral("+1,000"));
    QCOMPARE(model.index(thousand, GrowthTableModel::DeltaPreviousColumn).data().toString(), QStringLiteral("+250"));
    QCOMPARE(model.index(thousand, GrowthTableModel::DeltaPercentColumn).data().toString(), QStringLiteral("+10,000%"));
    QCOMPARE(model.index(list, GrowthTableModel::DeltaBaselineColumn).data().toString(), QStringLiteral("-5"));
    QCOMPARE(model.index(list, GrowthTableModel::DeltaPercentColumn).data().toString(), QStringLiteral("-25.0%"));
    QCOMPARE(model.index(tuple, GrowthTableModel::DeltaPercentColumn).data().toString(), QStringLiteral("new"));
    QCOMPARE(model.index(thousand, GrowthTableModel::SizeColumn).data().toString(),
             QStringLiteral("55.2 KiB")); // 1010 * 56 bytes, IEC units as everywhere
    // Raw numbers under SortRole, not text.
    QCOMPARE(model.index(thousand, GrowthTableModel::DeltaBaselineColumn).data(GrowthTableModel::SortRole).toDouble(), 1000.0);
    QCOMPARE(model.index(thousand, GrowthTableModel::SizeColumn).data(GrowthTableModel::SortRole).toDouble(), 1010.0 * 56);
    // Growth red, shrink green, no change uncoloured.
    const QColor grow = model.index(thousand, GrowthTableModel::DeltaBaselineColumn).data(Qt::ForegroundRole).value<QBrush>().color();
    const QColor shrink = model.index(list, GrowthTableModel::DeltaBaselineColumn).data(Qt::ForegroundRole).value<QBrush>().color();
    QVERIFY(grow.red() > grow.green());
    QVERIFY(shrink.green() > shrink.red());
    const int steady = model.rowOfType(fx.session->types().find(QStringLiteral("app.models.Session")));
    QVERIFY(!model.index(steady, GrowthTableModel::DeltaBaselineColumn).data(Qt::ForegroundRole).isValid());
    QLocale::setDefault(QLocale::system());
}

void TestGrowthTableModel::sortsByRawNumbers_data()
{
    QTest::addColumn<int>("column");
    QTest::addColumn<int>("order");
    QTest::addColumn<QStringList>("expectedHead");

    const QString thousand = QStringLiteral("__main__.Thousand"), nines = QStringLiteral("__main__.NineNineNine");
    QTest::newRow("delta baseline descending: 1000 above 999")
        << int(GrowthTableModel::DeltaBaselineColumn) << int(Qt::DescendingOrder) << QStringList{thousand, nines};
    QTest::newRow("delta baseline ascending: -40 then -5 then 0")
        << int(GrowthTableModel::DeltaBaselineColumn) << int(Qt::AscendingOrder)
        << QStringList{QStringLiteral("__main__.Gone"), QStringLiteral("list"), QStringLiteral("app.models.Session")};
    QTest::newRow("count descending: 1010 above 1000 above 102")
        << int(GrowthTableModel::CountColumn) << int(Qt::DescendingOrder)
        << QStringList{thousand, nines, QStringLiteral("dict")};
    QTest::newRow("delta previous descending: 250 above 250 by name, then 30")
        << int(GrowthTableModel::DeltaPreviousColumn) << int(Qt::DescendingOrder)
        << QStringList{nines, thousand, QStringLiteral("tuple")};
    QTest::newRow("delta percent descending: new first")
        << int(GrowthTableModel::DeltaPercentColumn) << int(Qt::DescendingOrder)
        << QStringList{QStringLiteral("tuple"), nines, thousand};
    QTest::newRow("size descending by bytes, not by formatted text")
        << int(GrowthTableModel::SizeColumn) << int(Qt::DescendingOrder)
        << QStringList{thousand, nines, QStringLiteral("dict")};
    QTest::newRow("delta size ascending: freed first")
        << int(GrowthTableModel::DeltaSizeColumn) << int(Qt::AscendingOrder)
        << QStringList{QStringLiteral("__main__.Gone"), QStringLiteral("list")};
    QTest::newRow("suspect descending: the shared ranking, equal scores by delta")
        << int(GrowthTableModel::ReasonColumn) << int(Qt::DescendingOrder) << QStringList{thousand, nines};
    QTest::newRow("type ascending, case-insensitive")
        << int(GrowthTableModel::TypeColumn) << int(Qt::AscendingOrder)
        << QStringList{QStringLiteral("__main__.Gone"), nines, thousand, QStringLiteral("app.models.Session"),
                       QStringLiteral("dict")};
}

void TestGrowthTableModel::sortsByRawNumbers()
{
    QFETCH(int, column);
    QFETCH(int, order);
    QFETCH(QStringList, expectedHead);
    Fixture fx;
    GrowthTableModel model;
    model.setComparison(fx.session, fx.comparison);
    GrowthFilterProxyModel proxy;
    proxy.setSourceModel(&model);
    proxy.sort(column, Qt::SortOrder(order));
    const QStringList names = namesInProxyOrder(proxy);
    QCOMPARE(names.mid(0, expectedHead.size()), expectedHead);

    // The whole column is monotonic in the raw value.
    for (int r = 1; r < proxy.rowCount() && column != GrowthTableModel::TypeColumn; ++r) {
        const double prev = proxy.index(r - 1, column).data(GrowthTableModel::SortRole).toDouble();
        const double cur = proxy.index(r, column).data(GrowthTableModel::SortRole).toDouble();
        if (order == Qt::DescendingOrder)
            QVERIFY2(prev >= cur, qPrintable(names.join(QLatin1Char(','))));
        else
            QVERIFY2(prev <= cur, qPrintable(names.join(QLatin1Char(','))));
    }
}

void TestGrowthTableModel::filters_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("hideBuiltins");
    QTest::addColumn<bool>("suspectsOnly");
    QTest::addColumn<bool>("changedOnly");
    QTest::addColumn<QStringList>("expected"); // sorted by name

    const QStringList all{QStringLiteral("__main__.Gone"), QStringLiteral("__main__.NineNineNine"),
                          QStringLiteral("__main__.Thousand"), QStringLiteral("app.models.Session"),
                          QStringLiteral("dict"), QStringLiteral("list"), QStringLiteral("tuple")};
    QTest::newRow("no filter shows every type") << QString() << false << false << false << all;
    QTest::newRow("substring is case-insensitive")
        << QStringLiteral("SESSION") << false << false << false << QStringList{QStringLiteral("app.models.Session")};
    QTest::newRow("substring with surrounding spaces")
        << QStringLiteral("  dict ") << false << false << false << QStringList{QStringLiteral("dict")};
    QTest::newRow("substring matching nothing") << QStringLiteral("zzz") << false << false << false << QStringList{};
    QTest::newRow("dot is literal in a substring")
        << QStringLiteral("s.S") << false << false << false << QStringList{QStringLiteral("app.models.Session")};
    QTest::newRow("dot matches any character in a regex")
        << QStringLiteral("/^.i") << false << false << false
        << QStringList{QStringLiteral("dict"), QStringLiteral("list")};
    QTest::newRow("regex when it starts with a slash")
        << QStringLiteral("/^(dict|list)$") << false << false << false
        << QStringList{QStringLiteral("dict"), QStringLiteral("list")};
    QTest::newRow("regex with closing slash")
        << QStringLiteral("/t$/") << false << false << false << QStringList{QStringLiteral("dict"), QStringLiteral("list")};
    QTest::newRow("empty regex shows everything") << QStringLiteral("/") << false << false << false << all;
    QTest::newRow("hide builtins")
        << QString() << true << false << false
        << QStringList{QStringLiteral("__main__.Gone"), QStringLiteral("__main__.NineNineNine"),
                       QStringLiteral("__main__.Thousand"), QStringLiteral("app.models.Session")};
    QTest::newRow("suspects only")
        << QString() << false << true << false
        << QStringList{QStringLiteral("__main__.NineNineNine"), QStringLiteral("__main__.Thousand")};
    QTest::newRow("changed only drops the unchanged type")
        << QString() << false << false << true
        << QStringList{QStringLiteral("__main__.Gone"), QStringLiteral("__main__.NineNineNine"),
                       QStringLiteral("__main__.Thousand"), QStringLiteral("dict"), QStringLiteral("list"),
                       QStringLiteral("tuple")};
    QTest::newRow("switches and text combine")
        << QStringLiteral("nine") << true << true << true << QStringList{QStringLiteral("__main__.NineNineNine")};
}

void TestGrowthTableModel::filters()
{
    QFETCH(QString, text);
    QFETCH(bool, hideBuiltins);
    QFETCH(bool, suspectsOnly);
    QFETCH(bool, changedOnly);
    QFETCH(QStringList, expected);
    Fixture fx;
    GrowthTableModel model;
    model.setComparison(fx.session, fx.comparison);
    GrowthFilterProxyModel proxy;
    proxy.setSourceModel(&model);
    proxy.sort(GrowthTableModel::TypeColumn, Qt::AscendingOrder);
    QVERIFY(proxy.setFilterText(text));
    proxy.setHideBuiltins(hideBuiltins);
    proxy.setSuspectsOnly(suspectsOnly);
    proxy.setChangedOnly(changedOnly);
    QCOMPARE(namesInProxyOrder(proxy), expected);

    // Switching everything off again restores every row.
    proxy.setFilterText(QString());
    proxy.setHideBuiltins(false);
    proxy.setSuspectsOnly(false);
    proxy.setChangedOnly(false);
    QCOMPARE(proxy.rowCount(), model.rowCount());
}

void TestGrowthTableModel::invalidRegexShowsNothingAndSaysWhy()
{
    Fixture fx;
    GrowthTableModel model;
    model.setComparison(fx.session, fx.comparison);
    GrowthFilterProxyModel proxy;
    proxy.setSourceModel(&model);
    QVERIFY(!proxy.setFilterText(QStringLiteral("/([unclosed")));
    QCOMPARE(proxy.rowCount(), 0);
    QVERIFY2(proxy.filterError().contains(QStringLiteral("regular expression")), qPrintable(proxy.filterError()));
    QVERIFY(proxy.setFilterText(QStringLiteral("/dict")));
    QCOMPARE(proxy.rowCount(), 1);
    QVERIFY(proxy.filterError().isEmpty());
}

void TestGrowthTableModel::suspectsStandOut()
{
    Fixture fx;
    GrowthTableModel model;
    model.setComparison(fx.session, fx.comparison);
    const int suspect = model.rowOfType(fx.session->types().find(QStringLiteral("__main__.Thousand")));
    const int plain = model.rowOfType(fx.session->types().find(QStringLiteral("dict")));
    QVERIFY(model.index(suspect, 0).data(GrowthTableModel::SuspectRole).toBool());
    QVERIFY(!model.index(plain, 0).data(GrowthTableModel::SuspectRole).toBool());
    QVERIFY(model.index(suspect, 0).data(Qt::BackgroundRole).isValid());
    QVERIFY(!model.index(plain, 0).data(Qt::BackgroundRole).isValid());
    QVERIFY(!model.index(suspect, 0).data(Qt::DecorationRole).value<QIcon>().isNull());
    QVERIFY(model.index(suspect, 0).data(Qt::FontRole).value<QFont>().bold());
    // The reason is the tooltip of the score.
    const QString tip = model.index(suspect, GrowthTableModel::ReasonColumn).data(Qt::ToolTipRole).toString();
    QVERIFY2(tip.contains(fx.comparison->rows[size_t(suspect)].verdict.reason), qPrintable(tip));
    QVERIFY2(tip.contains(QStringLiteral("grew in 4 of 4 intervals")), qPrintable(tip));
}

void TestGrowthTableModel::headerTooltipsExplainEveryColumn()
{
    GrowthTableModel model;
    for (int c = 0; c < GrowthTableModel::ColumnCount; ++c) {
        QVERIFY(!model.headerData(c, Qt::Horizontal, Qt::DisplayRole).toString().isEmpty());
        QVERIFY2(model.headerData(c, Qt::Horizontal, Qt::ToolTipRole).toString().size() > 20, qPrintable(QString::number(c)));
    }
    QVERIFY(model.headerData(GrowthTableModel::CountColumn, Qt::Horizontal, Qt::ToolTipRole)
                .toString()
                .contains(QStringLiteral("garbage collector")));
}

void TestGrowthTableModel::copiesRowsAsText()
{
    QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates));
    Fixture fx;
    GrowthTableModel model;
    model.setComparison(fx.session, fx.comparison);
    const int thousand = model.rowOfType(fx.session->types().find(QStringLiteral("__main__.Thousand")));
    const int list = model.rowOfType(fx.session->types().find(QStringLiteral("list")));
    const QStringList lines = model.rowsAsText({thousand, list}).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 3);
    QVERIFY(lines[0].startsWith(QStringLiteral("Type\tCount\t")));
    QVERIFY2(lines[1].startsWith(QStringLiteral("__main__.Thousand\t1,010\t+250\t+1,000\t")), qPrintable(lines[1]));
    QVERIFY2(lines[2].startsWith(QStringLiteral("list\t15\t+1\t-5\t")), qPrintable(lines[2]));
    QLocale::setDefault(QLocale::system());
}

void TestGrowthTableModel::sparklineDrawsTheSeries()
{
    Fixture fx;
    GrowthTableModel model;
    model.setComparison(fx.session, fx.comparison);
    const int thousand = model.rowOfType(fx.session->types().find(QStringLiteral("__main__.Thousand")));
    const QModelIndex index = model.index(thousand, GrowthTableModel::TrendColumn);
    QCOMPARE(index.data(GrowthTableModel::CountSeriesRole).value<QList<qint64>>(),
             (QList<qint64>{10, 260, 510, 760, 1010}));

    QTreeView view; // the delegate draws the background through the view's style
    SparklineDelegate delegate;
    QImage image(120, 24, QImage::Format_ARGB32);
    image.fill(Qt::white);
    {
        QPainter painter(&image);
        QStyleOptionViewItem option;
        option.rect = image.rect();
        option.palette = view.palette();
        option.widget = &view;
        delegate.paint(&painter, option, index);
    }
    // A rising line: red pixels low on the left and high on the right.
    auto redIn = [&image](int x0, int x1, int y0, int y1) {
        int n = 0;
        for (int x = x0; x < x1; ++x)
            for (int y = y0; y < y1; ++y) {
                const QColor c = image.pixelColor(x, y);
                n += c.red() > 150 && c.green() < 120 ? 1 : 0;
            }
        return n;
    };
    QVERIFY(redIn(0, 30, 12, 24) > 0);
    QVERIFY(redIn(90, 120, 0, 12) > 0);
    QCOMPARE(redIn(0, 30, 0, 8), 0);
}

void TestGrowthTableModel::timelineMarksBaselineAndCurrent()
{
    Fixture fx;
    SnapshotTimelineModel timeline;
    timeline.setSession(fx.session);
    timeline.setComparedSnapshots(1, 3);
    QVERIFY(timeline.index(1, 0).data(SnapshotTimelineModel::IsBaselineRole).toBool());
    QVERIFY(timeline.index(3, 0).data(SnapshotTimelineModel::IsCurrentRole).toBool());
    QVERIFY(!timeline.index(0, 0).data(SnapshotTimelineModel::IsBaselineRole).toBool());
    QVERIFY(!timeline.index(1, 0).data(Qt::DecorationRole).value<QIcon>().isNull());
    QVERIFY(timeline.index(2, 0).data(Qt::DecorationRole).value<QIcon>().isNull());
    QCOMPARE(timeline.index(2, SnapshotTimelineModel::LabelColumn).data().toString(), QStringLiteral("s2"));
    // Snapshots with a heap graph carry a mark by their label and say so.
    for (int i = 0; i < fx.session->snapshotCount(); ++i) {
        const QModelIndex label = timeline.index(i, SnapshotTimelineModel::LabelColumn);
        QVERIFY(label.data(Qt::DecorationRole).value<QIcon>().isNull());
        QVERIFY(!label.data(Qt::ToolTipRole).toString().contains(QStringLiteral("Heap graph")));
    }
    {
        LoadedFile withGraph = makeFile(QStringLiteral("/tmp/graph.lsnap"), {QStringLiteral("dict")}, {{1, 2}});
        withGraph.snapshots[1].info.hasGraph = true;
        auto graphSession = std::make_shared<Session>();
        graphSession->addFile(std::move(withGraph));
        SnapshotTimelineModel marked;
        marked.setSession(graphSession);
        QVERIFY(marked.index(0, SnapshotTimelineModel::LabelColumn).data(Qt::DecorationRole).value<QIcon>().isNull());
        QVERIFY(!marked.index(1, SnapshotTimelineModel::LabelColumn).data(Qt::DecorationRole).value<QIcon>().isNull());
        QVERIFY(marked.index(1, 0).data(Qt::ToolTipRole).toString().contains(QStringLiteral("Heap graph recorded")));
    }
    QCOMPARE(timeline.index(2, SnapshotTimelineModel::TimeColumn).data(SnapshotTimelineModel::SortRole).toDouble(), 20.0);
    QCOMPARE(timeline.index(2, SnapshotTimelineModel::ObjectsColumn).data(SnapshotTimelineModel::SortRole).toLongLong(),
             qint64(510 + 500 + 80 + 12 + 7 + 0 + 20));
    QCOMPARE(timeline.index(2, SnapshotTimelineModel::SourceColumn).data().toString(), QStringLiteral("fixture.lsnap"));
    QVERIFY(timeline.index(1, 0).data(Qt::ToolTipRole).toString().contains(QStringLiteral("Baseline")));
    QCOMPARE(timeline.snapshotTitle(0), QStringLiteral("#1 s0"));
    // One file behind every snapshot: the window hides the Source column.
    QCOMPARE(timeline.sourceFiles().size(), 1);
    QVERIFY(timeline.sourceFiles().front().endsWith(QStringLiteral("fixture.lsnap")));
    timeline.setSession(nullptr);
    QVERIFY(timeline.sourceFiles().isEmpty());
}

QTEST_MAIN(TestGrowthTableModel)
#include "tst_growthtablemodel.moc"
