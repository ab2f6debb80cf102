// The leak report from census data alone (no heap graph) and the shared
// ranking: one entry per suspect, never capped, user types before builtins.
#include "core/growth.h"
#include "core/leakreport.h"
#include "core/session.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <cmath>

using namespace leakscope;

namespace {

// One snapshot per element of each series, a second apart.
Session makeSession(const QStringList &names, const std::vector<std::vector<qint64>> &series)
{
    LoadedFile f;
    f.path = QStringLiteral("/tmp/fixture.lsnap");
    for (const QString &n : names)
        f.types.intern(n);
    for (size_t i = 0; i < series.front().size(); ++i) {
        Snapshot s;
        s.info.id = qint64(i) + 1;
        s.info.takenAt = QDateTime::fromMSecsSinceEpoch(1700000000000 + qint64(i) * 1000, Qt::UTC);
        s.info.sourceFile = f.path;
        for (int t = 0; t < names.size(); ++t)
            if (series[size_t(t)][i] != 0)
                s.stats.push_back(TypeStat{t, series[size_t(t)][i], series[size_t(t)][i] * 64});
        f.snapshots.push_back(s);
    }
    Session session;
    session.addFile(f);
    return session;
}

} // namespace

class TestLeakReportCore : public QObject
{
    Q_OBJECT
private slots:
    void userTypesRankBeforeTheBuiltinsTheyExplain();
    void oneEntryPerSuspectNeverCapped();
    void noLeakSaysWhy();
};

void TestLeakReportCore::userTypesRankBeforeTheBuiltinsTheyExplain()
{
    // list grows faster and more regularly than the user type, and still
    // comes after it; the flat type is no suspect and comes last.
    const Session s = makeSession({QStringLiteral("list"), QStringLiteral("app.Request"), QStringLiteral("tuple")},
                                  {{100, 300, 500, 700, 900, 1100}, {0, 1, 1, 2, 3, 4}, {50, 50, 50, 50, 50, 50}});
    Comparison c = GrowthAnalysis::compare(s, 0, 5);
    GrowthAnalysis::sortForReport(c.rows, s);
    QCOMPARE(s.types().name(c.rows[0].type), QStringLiteral("app.Request"));
    QCOMPARE(s.types().name(c.rows[1].type), QStringLiteral("list"));
    QVERIFY(c.rows[0].verdict.suspect && c.rows[1].verdict.suspect);
    QVERIFY(c.rows[1].verdict.score > c.rows[0].verdict.score);
    QCOMPARE(s.types().name(c.rows[2].type), QStringLiteral("tuple"));

    const LeakReport r = LeakReport::fromComparison(s, c);
    QCOMPARE(r.entries.size(), size_t(2));
    QCOMPARE(r.entries[0].name, QStringLiteral("app.Request"));
    QVERIFY(!r.entries[0].builtin);
    QCOMPARE(r.entries[1].name, QStringLiteral("list"));
    QVERIFY(r.entries[1].builtin);
    QCOMPARE(r.entries[1].growth, qint64(1000));
    QCOMPARE(r.entries[1].growthBytes, qint64(1000 * 64));
    QCOMPARE(r.entries[1].series, (std::vector<qint64>{100, 300, 500, 700, 900, 1100}));
    QCOMPARE(r.entries[1].perSnapshot, 200.0);
    QCOMPARE(r.entries[1].perMinute, 12000.0);
    // Without a graph: no chain, the next step is the trend.
    QVERIFY(r.entries[0].chain.isEmpty());
    QCOMPARE(r.entries[0].next, LeakEntry::NextStep::Trend);

    const QString text = r.toText();
    QVERIFY2(text.indexOf(QStringLiteral("1. app.Request")) >= 0, qPrintable(text));
    QVERIFY2(text.indexOf(QStringLiteral("2. list  +1000 objects (+62.5 KiB)")) >= 0, qPrintable(text));
}

void TestLeakReportCore::oneEntryPerSuspectNeverCapped()
{
    QStringList names;
    std::vector<std::vector<qint64>> series;
    for (int i = 0; i < 30; ++i) {
        names << QStringLiteral("app.Leak%1").arg(i, 2, 10, QLatin1Char('0'));
        series.push_back({0, 1, 2 + i, 3 + 2 * i, 4 + 3 * i});
    }
    const Session s = makeSession(names, series);
    const LeakReport r = LeakReport::fromSession(s, 0, 4);
    QCOMPARE(r.entries.size(), size_t(30));
    const QJsonObject json = QJsonDocument::fromJson(r.toJson()).object();
    QCOMPARE(json.value(QStringLiteral("leaks")).toArray().size(), 30);
    QCOMPARE(json.value(QStringLiteral("baseline")).toInt(), 1);
    QCOMPARE(json.value(QStringLiteral("current")).toInt(), 5);
    QVERIFY(json.value(QStringLiteral("heap_graph_snapshot")).isNull());
    QCOMPARE(r.toMarkdown().count(QStringLiteral("\n## ")), 30);
    QCOMPARE(r.toHtml().count(QStringLiteral("<svg ")), 30); // a trend each; no chain without a graph
}

void TestLeakReportCore::noLeakSaysWhy()
{
    const Session two = makeSession({QStringLiteral("app.A")}, {{1, 5}});
    QVERIFY(LeakReport::fromSession(two, 0, 1).toText().contains(QStringLiteral("Take at least 3 snapshots")));
    const Session flat = makeSession({QStringLiteral("app.A")}, {{5, 5, 5, 5}});
    const LeakReport r = LeakReport::fromSession(flat, 0, 3);
    QVERIFY(r.entries.empty());
    QVERIFY2(r.toText().contains(QStringLiteral("No type grew steadily from snapshot 1 to 4.")), qPrintable(r.toText()));
    QVERIFY(r.toHtml().contains(QStringLiteral("</html>")));
}

QTEST_MAIN(TestLeakReportCore)
#include "tst_leakreport.moc"
