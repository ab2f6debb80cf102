#include "lsnap/objgraphreader.h"
#include "testutil/readertestutil.h"
#include "lsnap/snapshotreader.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <map>

using namespace leakscope;
using namespace readertest;

// The importers against real output of Debian's objgraph, produced at test time.
class TestObjgraphReader : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void growthLog_data();
    void growthLog();
    void typestats_data();
    void typestats();
    void parseGrowthLine_data();
    void parseGrowthLine();
    void handWrittenLogSplitting_data();
    void handWrittenLogSplitting();

private:
    // Runs objgraph_output.py; returns false (and fails) when it did not run.
    bool runScenario(const QString &scenario, QString *output, QList<QByteArray> *truth);
    QTemporaryDir m_dir;
};

void TestObjgraphReader::initTestCase()
{
    QVERIFY(m_dir.isValid());
    const ProcessResult r =
        runProcess(QStringLiteral(LEAKSCOPE_SYSTEM_PYTHON), {QStringLiteral("-c"), QStringLiteral("import objgraph")});
    QVERIFY2(r.exitCode == 0, "Debian's python3-objgraph must be installed for the system Python");
}

bool TestObjgraphReader::runScenario(const QString &scenario, QString *output, QList<QByteArray> *truth)
{
    *output = m_dir.filePath(scenario + QStringLiteral(".log"));
    const QString truthFile = m_dir.filePath(scenario + QStringLiteral(".truth"));
    const ProcessResult r = runProcess(QStringLiteral(LEAKSCOPE_SYSTEM_PYTHON),
                                       {dataFile("objgraph_output.py"), scenario, *output, truthFile});
    if (r.exitCode != 0) {
        qWarning("objgraph_output.py %s failed: %s", qPrintable(scenario), r.err.constData());
        return false;
    }
    *truth = readBytes(truthFile).split('\n');
    truth->removeAll(QByteArray());
    return true;
}

void TestObjgraphReader::growthLog_data()
{
    QTest::addColumn<QString>("scenario");
    QTest::addColumn<QString>("encoding");
    QTest::addColumn<int>("minimumCalls");
    QTest::newRow("totals, same and changing widths, log text, empty call") << QStringLiteral("mixed") << QString() << 8;
    QTest::newRow("the same with CRLF line ends") << QStringLiteral("mixed") << QStringLiteral("crlf") << 8;
    QTest::newRow("the same captured as UTF-16 (PowerShell)")
        << QStringLiteral("mixed") << QStringLiteral("utf16") << 8;
    QTest::newRow("limit=N") << QStringLiteral("limit") << QString() << 4;
    QTest::newRow("shortnames=False") << QStringLiteral("longnames") << QString() << 8;
}

void TestObjgraphReader::growthLog()
{
    QFETCH(QString, scenario);
    QFETCH(QString, encoding);
    QFETCH(int, minimumCalls);
    QString output;
    QList<QByteArray> truthLines;
    QVERIFY(runScenario(scenario, &output, &truthLines));
    if (!encoding.isEmpty()) {
        QByteArray bytes = readBytes(output);
        bytes.replace("\n", "\r\n");
        if (encoding == QLatin1String("utf16")) {
            const QString text = QString::fromUtf8(bytes);
            bytes = QByteArray("\xFF\xFE") + QByteArray(reinterpret_cast<const char *>(text.utf16()), text.size() * 2);
        }
        QVERIFY(writeBytes(output, bytes));
    }

    // Calls that printed nothing leave no trace in a log, so no snapshot.
    std::vector<QJsonArray> calls;
    for (const QByteArray &line : truthLines) {
        const QJsonArray call = QJsonDocument::fromJson(line).array();
        if (!call.isEmpty())
            calls.push_back(call);
    }
    QVERIFY(int(calls.size()) >= minimumCalls);

    const auto result = SnapshotReader::read(output);
    QVERIFY2(result.ok(), qPrintable(result.error()));
    const LoadedFile &file = result.value();
    QCOMPARE(file.format, FileFormat::ObjgraphGrowthLog);
    QCOMPARE(file.snapshots.size(), calls.size());

    std::map<QString, qint64> last; // what the log has said so far
    for (size_t k = 0; k < calls.size(); ++k) {
        const Snapshot &snapshot = file.snapshots[k];
        QCOMPARE(snapshot.info.label, QStringLiteral("show_growth #%1").arg(k + 1));
        QCOMPARE(snapshot.info.origin, SnapshotOrigin::ObjgraphGrowthLog);
        QVERIFY(snapshot.info.partial);
        QVERIFY(!snapshot.info.hasSizes);
        QVERIFY(!snapshot.info.takenAt.isValid());
        QCOMPARE(snapshot.info.sourceFile, output);
        for (const QJsonValue &v : calls[k]) {
            const QJsonArray printed = v.toArray();
            last[printed.at(0).toString()] = printed.at(1).toInteger();
        }
        // Exactly the types printed so far, each with its last printed count:
        // printed in this call, or carried forward from an earlier one.
        std::map<QString, qint64> got;
        int previous = -1;
        for (const TypeStat &stat : snapshot.stats) {
            QVERIFY(stat.type > previous);
            previous = stat.type;
            got[file.types.name(stat.type)] = stat.count;
            QCOMPARE(stat.size, qint64(0));
        }
        if (got != last) {
            for (const auto &[name, count] : last) {
                if (got[name] != count)
                    qWarning("call %d: %s is %lld, expected %lld", int(k + 1), qPrintable(name), got[name], count);
            }
        }
        QVERIFY2(got == last, qPrintable(QStringLiteral("call %1 differs").arg(k + 1)));
    }

    // The leaking class, call by call, exactly as printed.
    const QString leaky = scenario == QLatin1String("longnames") ? QStringLiteral("__main__.Leaky")
                                                                   : QStringLiteral("Leaky");
    const int leakyId = file.types.find(leaky);
    QVERIFY(leakyId >= 0);
    for (size_t k = 0; k < calls.size(); ++k) {
        for (const QJsonValue &v : calls[k]) {
            if (v.toArray().at(0).toString() != leaky)
                continue;
            const auto &stats = file.snapshots[k].stats;
            const auto it = std::find_if(stats.begin(), stats.end(), [&](const TypeStat &s) { return s.type == leakyId; });
            QVERIFY(it != stats.end());
            QCOMPARE(it->count, v.toArray().at(1).toInteger());
        }
    }
}

void TestObjgraphReader::typestats_data()
{
    QTest::addColumn<QString>("scenario");
    QTest::addColumn<QString>("leakyName");
    QTest::newRow("json.dump(typestats())") << QStringLiteral("typestats") << QStringLiteral("Leaky");
    QTest::newRow("json.dump(typestats(shortnames=False))")
        << QStringLiteral("typestats-long") << QStringLiteral("__main__.Leaky");
}

void TestObjgraphReader::typestats()
{
    QFETCH(QString, scenario);
    QFETCH(QString, leakyName);
    QString output;
    QList<QByteArray> truth;
    QVERIFY(runScenario(scenario, &output, &truth));
    QCOMPARE(truth.size(), 1);
    const qint64 leaked = QJsonDocument::fromJson(truth.first()).object().value(QLatin1String("leaky")).toInteger();
    const QJsonObject dumped = QJsonDocument::fromJson(readBytes(output)).object();
    QVERIFY(dumped.size() > 20);

    const auto result = SnapshotReader::read(output);
    QVERIFY2(result.ok(), qPrintable(result.error()));
    const LoadedFile &file = result.value();
    QCOMPARE(file.format, FileFormat::ObjgraphTypestats);
    QCOMPARE(file.snapshots.size(), size_t(1));
    const Snapshot &s = file.snapshots.front();
    QCOMPARE(s.info.origin, SnapshotOrigin::ObjgraphTypestats);
    QVERIFY(!s.info.hasSizes);
    QVERIFY(!s.info.partial);
    QVERIFY(!s.info.takenAt.isValid());
    QVERIFY(QDateTime::fromString(s.info.meta.value(QLatin1String("file_mtime")).toString(), Qt::ISODateWithMs).isValid());
    QCOMPARE(int(s.stats.size()), dumped.size());
    int previous = -1;
    for (const TypeStat &stat : s.stats) {
        QVERIFY(stat.type > previous);
        previous = stat.type;
        QCOMPARE(stat.count, dumped.value(file.types.name(stat.type)).toInteger(-1));
    }
    const int leaky = file.types.find(leakyName);
    QVERIFY(leaky >= 0);
    QCOMPARE(std::find_if(s.stats.begin(), s.stats.end(), [&](const TypeStat &t) { return t.type == leaky; })->count,
             leaked);
}

void TestObjgraphReader::parseGrowthLine_data()
{
    QTest::addColumn<QByteArray>("line");
    QTest::addColumn<bool>("parses");
    QTest::addColumn<QByteArray>("name");
    QTest::addColumn<qint64>("count");
    QTest::addColumn<qint64>("delta");
    QTest::addColumn<int>("countEnd");

    auto format = [](const char *name, int width, qint64 count, qint64 delta) {
        // '%-*s%9d %+9d' built by hand, as objgraph's show_growth prints it.
        QByteArray line(name);
        line += QByteArray(qMax<qsizetype>(0, width - line.size()), ' ');
        const QByteArray c = QByteArray::number(count);
        line += QByteArray(qMax<qsizetype>(0, 9 - c.size()), ' ') + c + ' ';
        const QByteArray d = (delta >= 0 ? "+" : "") + QByteArray::number(delta);
        line += QByteArray(qMax<qsizetype>(0, 9 - d.size()), ' ') + d;
        return line;
    };
    QTest::newRow("longest name of the call") << format("Leaky", 5, 200, 100) << true << QByteArray("Leaky")
                                              << qint64(200) << qint64(100) << 14;
    QTest::newRow("padded name") << format("dict", 18, 1436, 7) << true << QByteArray("dict") << qint64(1436)
                                 << qint64(7) << 27;
    QTest::newRow("qualified name with dots and dashes")
        << format("builtins.method-wrapper", 30, 3, 1) << true << QByteArray("builtins.method-wrapper") << qint64(3)
        << qint64(1) << 39;
    QTest::newRow("9-digit count touching the name")
        << format("dict", 4, 123456789, 5) << true << QByteArray("dict") << qint64(123456789) << qint64(5) << 13;
    QTest::newRow("delta wider than its column")
        << format("x", 1, 9999999999LL, 1234567890LL) << true << QByteArray("x") << qint64(9999999999LL)
        << qint64(1234567890LL) << 11;
    QTest::newRow("trailing spaces tolerated") << format("list", 4, 10, 2) + "   " << true << QByteArray("list")
                                               << qint64(10) << qint64(2) << 13;
    QTest::newRow("count beyond any heap") << format("list", 4, 2199023255552LL, 1) << false << QByteArray()
                                           << qint64(0) << qint64(0) << 0;
    QTest::newRow("zero delta (never printed)") << format("list", 4, 10, 0) << false << QByteArray() << qint64(0)
                                                << qint64(0) << 0;
    QTest::newRow("negative delta") << format("list", 4, 10, -2) << false << QByteArray() << qint64(0) << qint64(0)
                                    << 0;
    QTest::newRow("delta above count") << format("list", 4, 10, 11) << false << QByteArray() << qint64(0)
                                       << qint64(0) << 0;
    QTest::newRow("unsigned delta") << QByteArray("list        10         2") << false << QByteArray() << qint64(0)
                                    << qint64(0) << 0;
    QTest::newRow("count column too narrow") << QByteArray("list 10 +2") << false << QByteArray() << qint64(0)
                                             << qint64(0) << 0;
    QTest::newRow("name with a space") << format("log text", 8, 10, 2) << false << QByteArray() << qint64(0)
                                       << qint64(0) << 0;
    QTest::newRow("indented line") << " " + format("list", 4, 10, 2) << false << QByteArray() << qint64(0)
                                   << qint64(0) << 0;
    QTest::newRow("no name") << QByteArray("       10        +2") << false << QByteArray() << qint64(0)
                             << qint64(0) << 0;
    QTest::newRow("empty line") << QByteArray() << false << QByteArray() << qint64(0) << qint64(0) << 0;
    QTest::newRow("log line ending in numbers")
        << QByteArray("INFO:root:handled requests: 10 +2") << false << QByteArray() << qint64(0) << qint64(0) << 0;
}

void TestObjgraphReader::parseGrowthLine()
{
    QFETCH(QByteArray, line);
    QFETCH(bool, parses);
    ObjgraphReader::GrowthLine g;
    QCOMPARE(ObjgraphReader::parseGrowthLine(line, &g), parses);
    if (!parses)
        return;
    QFETCH(QByteArray, name);
    QFETCH(qint64, count);
    QFETCH(qint64, delta);
    QFETCH(int, countEnd);
    QCOMPARE(g.name, name);
    QCOMPARE(g.count, count);
    QCOMPARE(g.delta, delta);
    QCOMPARE(g.countEnd, countEnd);
}

void TestObjgraphReader::handWrittenLogSplitting_data()
{
    QTest::addColumn<QByteArray>("log");
    QTest::addColumn<QString>("expected"); // per snapshot "name=count,..." sorted by first appearance, ';' between
    QTest::newRow("nothing parseable") << QByteArray("hello\nworld 1 2\n") << QString();
    QTest::newRow("one call") << QByteArray("dict         5        +5\nlist         3        +3\n")
                              << QStringLiteral("dict=5,list=3");
    QTest::newRow("repeated name splits")
        << QByteArray("dict         5        +5\ndict         9        +4\n") << QStringLiteral("dict=5;dict=9");
    QTest::newRow("rising delta splits, carry forward")
        << QByteArray("dict         5        +5\nlist         3        +3\nlist        13       +10\n")
        << QStringLiteral("dict=5,list=3;dict=5,list=13");
    QTest::newRow("column change splits")
        << QByteArray("dict         5        +5\nlist         3        +3\nfoo.Bar         4        +2\n")
        << QStringLiteral("dict=5,list=3;dict=5,list=3,foo.Bar=4");
    QTest::newRow("other text splits")
        << QByteArray("dict         5        +5\n-- request 7 --\nlist         3        +3\n")
        << QStringLiteral("dict=5;dict=5,list=3");
}

void TestObjgraphReader::handWrittenLogSplitting()
{
    QFETCH(QByteArray, log);
    QFETCH(QString, expected);
    const auto result = ObjgraphReader::parseGrowthLog(log, QStringLiteral("hand.log"));
    QVERIFY(result.ok());
    const LoadedFile &file = result.value();
    QStringList snapshots;
    for (const Snapshot &s : file.snapshots) {
        QStringList parts;
        for (const TypeStat &stat : s.stats)
            parts.append(file.types.name(stat.type) + QLatin1Char('=') + QString::number(stat.count));
        snapshots.append(parts.join(QLatin1Char(',')));
    }
    QCOMPARE(snapshots.join(QLatin1Char(';')), expected);

    if (expected.isEmpty()) {
        const QString path = m_dir.filePath(QStringLiteral("unparseable.log"));
        QVERIFY(writeBytes(path, log));
        const auto read = SnapshotReader::read(path);
        QVERIFY(!read.ok());
        QCOMPARE(read.error(), path + QStringLiteral(": not a Leakscope or objgraph file"));
    }
}

QTEST_GUILESS_MAIN(TestObjgraphReader)
#include "tst_objgraphreader.moc"
