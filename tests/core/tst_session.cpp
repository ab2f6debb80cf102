// Session merging, growth against each baseline, objgraph's peak semantics,
// suspect detection and the comparison export.
#include "core/comparisonexport.h"
#include "core/growth.h"
#include "core/session.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <cmath>

using namespace leakscope;

namespace {

// A file with one snapshot per entry of `series` for the given types.
LoadedFile makeFile(const QString &path, const QStringList &names, const std::vector<std::vector<qint64>> &series,
                    qint64 startMs, qint64 stepMs)
{
    LoadedFile f;
    f.path = path;
    for (const QString &n : names)
        f.types.intern(n);
    const size_t snapshots = series.empty() ? 0 : series.front().size();
    for (size_t i = 0; i < snapshots; ++i) {
        Snapshot s;
        s.info.id = qint64(i) + 1;
        s.info.label = QStringLiteral("s%1").arg(i);
        if (startMs >= 0)
            s.info.takenAt = QDateTime::fromMSecsSinceEpoch(startMs + qint64(i) * stepMs, Qt::UTC);
        s.info.sourceFile = path;
        for (int t = 0; t < names.size(); ++t) {
            const qint64 c = series[size_t(t)][i];
            if (c != 0)
                s.stats.push_back(TypeStat{t, c, c * 56});
        }
        f.snapshots.push_back(s);
    }
    return f;
}

const GrowthRow &rowFor(const Session &s, const Comparison &c, const QString &name)
{
    const int id = s.types().find(name);
    for (const GrowthRow &r : c.rows)
        if (r.type == id)
            return r;
    static GrowthRow none;
    return none;
}

std::vector<double> indexAxis(size_t n)
{
    std::vector<double> x(n);
    for (size_t i = 0; i < n; ++i)
        x[i] = double(i);
    return x;
}

} // namespace

class TestSession : public QObject
{
    Q_OBJECT
private slots:
    void mergesFilesInTimeOrderWithOwnTypeIds();
    void untimedSnapshotsKeepFileOrder();
    void growthAgainstBaselines();
    void peakSemanticsLikeShowGrowth();
    void suspects_data();
    void suspects();
    void reportOrderPutsSuspectsFirst();
    void exportJsonAndCsv();
};

void TestSession::mergesFilesInTimeOrderWithOwnTypeIds()
{
    // Two files whose type ids disagree and whose times interleave.
    const LoadedFile a = makeFile(QStringLiteral("a.lsnap"), {QStringLiteral("dict"), QStringLiteral("__main__.Leak")},
                                  {{10, 20, 30}, {1, 2, 3}}, 1000000, 2000);
    const LoadedFile b = makeFile(QStringLiteral("b.lsnap"), {QStringLiteral("__main__.Leak"), QStringLiteral("list")},
                                  {{7, 8}, {5, 5}}, 1001000, 2000);
    Session s;
    s.addFile(a);
    s.addFile(b);
    QCOMPARE(s.snapshotCount(), 5);
    QCOMPARE(s.typeCount(), 3);
    const int leak = s.types().find(QStringLiteral("__main__.Leak"));
    const int list = s.types().find(QStringLiteral("list"));
    QVERIFY(leak >= 0 && list >= 0);
    // Times: a0=0s b0=1s a1=2s b1=3s a2=4s.
    QCOMPARE(s.countSeries(leak), (std::vector<qint64>{1, 7, 2, 8, 3}));
    QCOMPARE(s.countSeries(list), (std::vector<qint64>{0, 5, 0, 5, 0}));
    QCOMPARE(s.sizeSeries(leak), (std::vector<qint64>{56, 392, 112, 448, 168}));
    QCOMPARE(s.snapshot(1).info.sourceFile, QStringLiteral("b.lsnap"));
    QVERIFY(s.hasTimes());
    QCOMPARE(s.timeAxis(), (std::vector<double>{0, 1, 2, 3, 4}));
    // Absent type and out-of-range queries are zero, not a crash.
    QCOMPARE(s.count(0, list), qint64(0));
    QCOMPARE(s.count(99, leak), qint64(0));
    QCOMPARE(s.count(0, 99), qint64(0));
}

void TestSession::untimedSnapshotsKeepFileOrder()
{
    const LoadedFile log = makeFile(QStringLiteral("growth.log"), {QStringLiteral("dict")}, {{3, 1, 2}}, -1, 0);
    Session s;
    s.addFile(log);
    QVERIFY(!s.hasTimes());
    QCOMPARE(s.countSeries(0), (std::vector<qint64>{3, 1, 2}));
    QCOMPARE(s.timeAxis(), (std::vector<double>{0, 1, 2}));
}

void TestSession::growthAgainstBaselines()
{
    Session s;
    s.addFile(makeFile(QStringLiteral("a"), {QStringLiteral("A"), QStringLiteral("B")}, {{10, 15, 12, 30}, {4, 0, 0, 0}},
                       0, 1000));
    const int a = s.types().find(QStringLiteral("A"));
    const int b = s.types().find(QStringLiteral("B"));
    const Comparison c = GrowthAnalysis::compare(s, 1, 3);
    const GrowthRow &ra = rowFor(s, c, QStringLiteral("A"));
    QCOMPARE(ra.type, a);
    QCOMPARE(ra.count, qint64(30));
    QCOMPARE(ra.deltaPrevious, qint64(18));
    QCOMPARE(ra.deltaBaseline, qint64(15));
    QCOMPARE(ra.deltaFirst, qint64(20));
    QCOMPARE(ra.deltaPercent, 100.0);
    QCOMPARE(ra.size, qint64(30 * 56));
    QCOMPARE(ra.deltaSize, qint64(15 * 56));
    const GrowthRow &rb = rowFor(s, c, QStringLiteral("B"));
    QCOMPARE(rb.type, b);
    QCOMPARE(rb.count, qint64(0));
    QCOMPARE(rb.deltaFirst, qint64(-4));
    QCOMPARE(rb.deltaPercent, 0.0); // 0 -> 0

    QCOMPARE(GrowthAnalysis::resolveBaseline(s, BaselineMode::First, 0, 3), 0);
    QCOMPARE(GrowthAnalysis::resolveBaseline(s, BaselineMode::Previous, 0, 3), 2);
    QCOMPARE(GrowthAnalysis::resolveBaseline(s, BaselineMode::Index, 2, 3), 2);
    QCOMPARE(GrowthAnalysis::resolveBaseline(s, BaselineMode::Index, 4, 3), -1);

    // A type that appears from nothing has an infinite percentage.
    Session s2;
    s2.addFile(makeFile(QStringLiteral("n"), {QStringLiteral("New")}, {{0, 5}}, 0, 1000));
    QVERIFY(std::isinf(GrowthAnalysis::compare(s2, 0, 1).rows.at(0).deltaPercent));
}

void TestSession::peakSemanticsLikeShowGrowth()
{
    // objgraph reports a type only when it exceeds its earlier peak, with the
    // delta against that peak.
    Session s;
    s.addFile(makeFile(QStringLiteral("p"), {QStringLiteral("T")}, {{10, 20, 15, 18, 25}}, 0, 1000));
    const std::vector<std::pair<int, qint64>> expected{{0, 10}, {1, 10}, {2, 0}, {3, 0}, {4, 5}};
    for (const auto &[current, deltaPeak] : expected) {
        const Comparison c = GrowthAnalysis::compare(s, 0, current);
        QCOMPARE(c.rows.at(0).deltaPeak, deltaPeak);
    }
    QCOMPARE(GrowthAnalysis::compare(s, 0, 4).rows.at(0).peakBefore, qint64(20));
}

void TestSession::suspects_data()
{
    QTest::addColumn<std::vector<qint64>>("series");
    QTest::addColumn<bool>("suspect");
    QTest::addColumn<QString>("reasonPart");

    QTest::newRow("steady leak") << std::vector<qint64>{100, 150, 200, 250, 300, 350, 400, 450, 500, 550, 600}
                                 << true << QStringLiteral("grew in 10 of 10 intervals, +50/snapshot");
    QTest::newRow("leak with one dip") << std::vector<qint64>{100, 160, 210, 205, 300, 360, 400, 470, 500, 560, 610}
                                       << true << QStringLiteral("grew in 9 of 10 intervals");
    QTest::newRow("slow leak of one object per snapshot")
        << std::vector<qint64>{5, 6, 7, 8, 9, 10, 11, 12} << true << QStringLiteral("+1.0/snapshot");
    QTest::newRow("bounded cache filled then flat") << std::vector<qint64>{0, 40, 80, 100, 100, 100, 100, 100, 100}
                                                    << false << QStringLiteral("bounded");
    QTest::newRow("churn freed again") << std::vector<qint64>{100, 300, 100, 300, 100, 300, 100} << false
                                       << QStringLiteral("freed again");
    QTest::newRow("shrinking") << std::vector<qint64>{500, 400, 300, 200} << false << QStringLiteral("no net growth");
    QTest::newRow("flat") << std::vector<qint64>{7, 7, 7, 7} << false << QStringLiteral("no net growth");
    QTest::newRow("noisy with small net growth") << std::vector<qint64>{100, 180, 90, 170, 95, 175, 104} << false
                                                 << QStringLiteral("earlier peak of 180");
    QTest::newRow("irregular growth") << std::vector<qint64>{10, 50, 20, 60, 30, 70, 80} << false
                                      << QStringLiteral("irregular");
    QTest::newRow("two snapshots cannot tell") << std::vector<qint64>{10, 5000} << false
                                               << QStringLiteral("at least 3");
}

void TestSession::suspects()
{
    QFETCH(std::vector<qint64>, series);
    QFETCH(bool, suspect);
    QFETCH(QString, reasonPart);
    const SuspectVerdict v = SuspectDetector::analyze(series, indexAxis(series.size()), false);
    QVERIFY2(v.reason.contains(reasonPart), qPrintable(v.reason));
    QCOMPARE(v.suspect, suspect);
    QVERIFY(v.score >= 0 && v.score <= 100);
    if (suspect)
        QVERIFY2(v.score >= 50, qPrintable(QString::number(v.score)));
    else
        QVERIFY2(v.score <= 40, qPrintable(QString::number(v.score)));
}

void TestSession::reportOrderPutsSuspectsFirst()
{
    Session s;
    // "Churn" has the largest delta vs first but is not steady; "Leak" is.
    s.addFile(makeFile(QStringLiteral("r"), {QStringLiteral("Churn"), QStringLiteral("Leak"), QStringLiteral("Flat")},
                       {{0, 900, 0, 900, 0, 1000}, {10, 20, 30, 40, 50, 60}, {5, 5, 5, 5, 5, 5}}, 0, 60000));
    Comparison c = GrowthAnalysis::compare(s, 0, 5);
    GrowthAnalysis::sortForReport(c.rows, s);
    QCOMPARE(s.types().name(c.rows.at(0).type), QStringLiteral("Leak"));
    QVERIFY(c.rows.at(0).verdict.suspect);
    QVERIFY(c.rows.at(0).verdict.reason.contains(QStringLiteral("+10/min")));
    QCOMPARE(s.types().name(c.rows.at(1).type), QStringLiteral("Churn"));
    QVERIFY(!c.rows.at(1).verdict.suspect);
}

void TestSession::exportJsonAndCsv()
{
    Session s;
    s.addFile(makeFile(QStringLiteral("x.lsnap"), {QStringLiteral("__main__.Leak"), QStringLiteral("a,b\"c")},
                       {{1, 2, 3}, {4, 0, 4}}, 1700000000000, 1500));
    Comparison c = GrowthAnalysis::compare(s, 0, 2);
    const QJsonObject root = QJsonDocument::fromJson(ComparisonExport::toJson(s, c)).object();
    const QJsonArray snaps = root.value(QStringLiteral("snapshots")).toArray();
    QCOMPARE(snaps.size(), 3);
    QCOMPARE(snaps.at(1).toObject().value(QStringLiteral("taken_at")).toDouble(), 1700000001.5);
    QCOMPARE(snaps.at(1).toObject().value(QStringLiteral("label")).toString(), QStringLiteral("s1"));
    QVERIFY(snaps.at(1).toObject().contains(QStringLiteral("pid")));
    QVERIFY(snaps.at(1).toObject().contains(QStringLiteral("id")));
    const QJsonArray types = root.value(QStringLiteral("types")).toArray();
    QCOMPARE(types.size(), 2);
    QJsonObject leak;
    for (const QJsonValue &t : types)
        if (t.toObject().value(QStringLiteral("name")).toString() == QStringLiteral("__main__.Leak"))
            leak = t.toObject();
    QCOMPARE(leak.value(QStringLiteral("counts")).toArray(), (QJsonArray{1, 2, 3}));
    QCOMPARE(leak.value(QStringLiteral("sizes")).toArray(), (QJsonArray{56, 112, 168}));
    QCOMPARE(leak.value(QStringLiteral("delta")).toInt(), 2);
    QVERIFY(leak.value(QStringLiteral("suspect")).isBool());
    QVERIFY(leak.value(QStringLiteral("score")).isDouble());
    QVERIFY(leak.value(QStringLiteral("reason")).isString());

    const QList<QByteArray> lines = ComparisonExport::toCsv(s, c).split('\n');
    QVERIFY(lines.at(0).startsWith("type,count,delta_previous,delta_baseline"));
    QVERIFY(lines.at(0).trimmed().endsWith("count_0,count_1,count_2"));
    bool quoted = false;
    for (const QByteArray &l : lines)
        quoted = quoted || l.startsWith("\"a,b\"\"c\",4,");
    QVERIFY(quoted);
}

QTEST_GUILESS_MAIN(TestSession)
#include "tst_session.moc"
