// The Trend tab (TrendChart), offscreen: the log scale with flat series,
// zeros and byte series (axis range, ticks, every series drawn), and no
// leftovers of earlier series after the selection changes.
#include "views/trendchart.h"
#include "testutil/guitestdata.h"

#include <QChart>
#include <QChartView>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QTest>
#include <QValueAxis>

#include <cmath>
#include <memory>

using namespace leakscope;
using namespace leakscope::testdata;

namespace {

std::shared_ptr<Session> makeSession()
{
    auto session = std::make_shared<Session>();
    session->addFile(makeFile(QStringLiteral("/tmp/trend.lsnap"),
                              {QStringLiteral("x.Flat"), QStringLiteral("x.Grow"), QStringLiteral("x.Late"),
                               QStringLiteral("x.Big"), QStringLiteral("x.Zero")},
                              {{12, 12, 12, 12, 12},
                               {100, 200, 300, 400, 500},
                               {0, 0, 0, 0, 10},
                               {1000000, 1200000, 1400000, 1600000, 1800000},
                               {0, 0, 0, 0, 0}}));
    return session;
}

QChart *chartOf(const TrendChart &trend)
{
    const QChartView *view = trend.findChild<QChartView *>();
    return view ? view->chart() : nullptr;
}

QAbstractAxis *valueAxis(const TrendChart &trend)
{
    const QList<QAbstractAxis *> axes = chartOf(trend)->axes(Qt::Vertical);
    return axes.size() == 1 ? axes.front() : nullptr;
}

int typeId(const Session &s, const char *name)
{
    return s.types().find(QString::fromLatin1(name));
}

} // namespace

class TestTrendChart : public QObject
{
    Q_OBJECT
private slots:
    void logScaleDrawsEverySeries();
    void logScaleOfAFlatSeriesSpansADecade();
    void logScaleOfBytesHasReadableTicks();
    void noLeftoversAfterTheSelectionChanges();
};

void TestTrendChart::logScaleDrawsEverySeries()
{
    const auto session = makeSession();
    TrendChart trend;
    trend.resize(900, 500);
    trend.show();
    QVERIFY(QTest::qWaitForWindowExposed(&trend));
    trend.setSession(session);
    trend.setTypes({typeId(*session, "x.Flat"), typeId(*session, "x.Grow"), typeId(*session, "x.Late"),
                    typeId(*session, "x.Big"), typeId(*session, "x.Zero")});
    trend.setLogScale(true);
    auto *axis = qobject_cast<QLogValueAxis *>(valueAxis(trend));
    QVERIFY(axis);
    QCOMPARE(chartOf(trend)->series().size(), 5);
    // Whole decades, from below the smallest value to above the largest.
    QCOMPARE(axis->min(), 1.0);
    QCOMPARE(axis->max(), 1e7);
    for (int line = 0; line < trend.lineCount(); ++line) {
        const QList<QPointF> points = trend.linePoints(line);
        // Zeros sit on the bottom edge, so a type that is absent for a while
        // (or throughout) still shows as a line.
        QCOMPARE(points.size(), 5);
        auto *series = qobject_cast<QXYSeries *>(chartOf(trend)->series().at(line));
        QVERIFY(series->isVisible());
        QCOMPARE(series->attachedAxes().size(), 2);
        for (const QPointF &p : series->points())
            QVERIFY2(p.y() >= axis->min() && p.y() <= axis->max(), qPrintable(QString::number(p.y())));
    }
    // The value reported for a zero is zero, not the edge it is drawn on.
    QVERIFY2(trend.hoverText(2, QPointF(0, 1)).contains(QStringLiteral("\n0 objects")),
             qPrintable(trend.hoverText(2, QPointF(0, 1))));
    QVERIFY2(trend.hoverText(2, QPointF(40, 10)).contains(QStringLiteral("\n10 objects")),
             qPrintable(trend.hoverText(2, QPointF(40, 10))));
    // Counts read as numbers, never 1e+06.
    QVERIFY(!axis->labelFormat().contains(QLatin1Char('g')));
    // LEAKSCOPE_SCREENSHOT_DIR=dir saves the chart to look at.
    QCoreApplication::processEvents(); // the chart lays itself out when idle
    if (qEnvironmentVariableIsSet("LEAKSCOPE_SCREENSHOT_DIR"))
        QVERIFY(trend.grab().save(qEnvironmentVariable("LEAKSCOPE_SCREENSHOT_DIR") + QStringLiteral("/trend-log.png")));
}

void TestTrendChart::logScaleOfAFlatSeriesSpansADecade()
{
    const auto session = makeSession();
    TrendChart trend;
    trend.resize(900, 500);
    trend.show();
    trend.setSession(session);
    trend.setTypes({typeId(*session, "x.Flat")});
    trend.setLogScale(true);
    auto *axis = qobject_cast<QLogValueAxis *>(valueAxis(trend));
    QVERIFY(axis);
    // 12 all along: an axis from 10 to 100, the line inside it.
    QCOMPARE(axis->min(), 10.0);
    QCOMPARE(axis->max(), 100.0);
    QCOMPARE(trend.linePoints(0).size(), 5);
    // Only zeros: one decade above the floor.
    trend.setTypes({typeId(*session, "x.Zero")});
    axis = qobject_cast<QLogValueAxis *>(valueAxis(trend));
    QVERIFY(axis);
    QVERIFY(axis->max() > axis->min());
    QCOMPARE(trend.linePoints(0).size(), 5);
}

void TestTrendChart::logScaleOfBytesHasReadableTicks()
{
    const auto session = makeSession();
    TrendChart trend;
    trend.resize(900, 500);
    trend.show();
    trend.setSession(session);
    trend.setTypes({typeId(*session, "x.Grow"), typeId(*session, "x.Big")});
    trend.setMetric(TrendChart::Metric::Bytes);
    trend.setLogScale(true);
    auto *axis = qobject_cast<QLogValueAxis *>(valueAxis(trend));
    QVERIFY(axis);
    // 5.5 KiB to 96.1 MiB, drawn in MiB: decades 0.001 to 100 MiB.
    QCOMPARE(axis->titleText(), QStringLiteral("Size (MiB)"));
    QCOMPARE(axis->min(), 0.001);
    QCOMPARE(axis->max(), 100.0);
    QVERIFY(!axis->labelFormat().contains(QLatin1Char('e')));
    QCOMPARE(trend.linePoints(0).size(), 5);
    QCOMPARE(trend.linePoints(1).size(), 5);
    QCOMPARE(trend.linePoints(1).value(4).y(), 1800000.0 * 56);
    QCoreApplication::processEvents(); // the chart lays itself out when idle
    if (qEnvironmentVariableIsSet("LEAKSCOPE_SCREENSHOT_DIR"))
        QVERIFY(trend.grab().save(qEnvironmentVariable("LEAKSCOPE_SCREENSHOT_DIR") + QStringLiteral("/trend-log-bytes.png")));
}

void TestTrendChart::noLeftoversAfterTheSelectionChanges()
{
    const auto session = makeSession();
    TrendChart trend;
    trend.resize(900, 500);
    trend.show();
    QVERIFY(QTest::qWaitForWindowExposed(&trend));
    trend.setSession(session);
    // Each state drawn before the next (the chart lays out when idle).
    trend.setTypes({typeId(*session, "x.Flat"), typeId(*session, "x.Grow"), typeId(*session, "x.Big")});
    QCoreApplication::processEvents();
    trend.setLogScale(true);
    QCoreApplication::processEvents();
    trend.setMetric(TrendChart::Metric::Bytes);
    QCoreApplication::processEvents();
    trend.setMetric(TrendChart::Metric::Count);
    trend.setLogScale(false);
    QCoreApplication::processEvents();
    // Two changes before the chart is drawn again.
    trend.setTypes({typeId(*session, "x.Grow")});
    trend.setLogScale(true);
    QCOMPARE(chartOf(trend)->series().size(), 1);
    QCOMPARE(chartOf(trend)->legend()->markers().size(), 1);
    QCOMPARE(chartOf(trend)->axes().size(), 2);
    // The same picture as a chart that only ever showed that type.
    TrendChart fresh;
    fresh.resize(900, 500);
    fresh.show();
    QVERIFY(QTest::qWaitForWindowExposed(&fresh));
    fresh.setSession(session);
    fresh.setTypes({typeId(*session, "x.Grow")});
    fresh.setLogScale(true);
    QCoreApplication::processEvents();
    const QImage a = trend.grab().toImage();
    const QImage b = fresh.grab().toImage();
    if (a != b && qEnvironmentVariableIsSet("LEAKSCOPE_SCREENSHOT_DIR")) {
        a.save(qEnvironmentVariable("LEAKSCOPE_SCREENSHOT_DIR") + QStringLiteral("/trend-after.png"));
        b.save(qEnvironmentVariable("LEAKSCOPE_SCREENSHOT_DIR") + QStringLiteral("/trend-fresh.png"));
    }
    QVERIFY(a == b);
}

QTEST_MAIN(TestTrendChart)
#include "tst_trendchart.moc"
