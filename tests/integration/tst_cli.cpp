// End-to-end tests of leakscope-cli: the real binary, real files, and (for
// record) a real Python process with the real embedded agent.
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

#include <sys/types.h>
#include <unistd.h>

namespace {

struct Run
{
    int code = -1;
    QString out;
    QString err;
    QStringList errLines() const { return err.split(QLatin1Char('\n'), Qt::SkipEmptyParts); }
    QStringList outLines() const { return out.split(QLatin1Char('\n'), Qt::SkipEmptyParts); }
};

QString cliPath()
{
    return QStringLiteral(LEAKSCOPE_BIN_DIR "/leakscope-cli");
}

QString python()
{
    return QStringLiteral(LEAKSCOPE_PYTHON);
}

bool writeText(const QString &path, const QByteArray &text)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    return f.write(text) == text.size();
}

QByteArray readBytes(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// Writes a .lsnap exactly as docs/file-format.md describes it, with plain
// sqlite3, so these tests do not depend on our own writer.
const char s_fixtureWriter[] = R"PY(
import json, sqlite3, sys
path, spec = sys.argv[1], json.loads(sys.argv[2])
db = sqlite3.connect(path)
db.execute("PRAGMA application_id = %d" % spec.get("application_id", 0x4C534E50))
db.execute("PRAGMA user_version = %d" % spec.get("user_version", 1))
db.executescript("""
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE snapshot(id INTEGER PRIMARY KEY, label TEXT, taken_at REAL NOT NULL, pid INTEGER NOT NULL,
    rss INTEGER, gc_objects INTEGER NOT NULL, gc_garbage INTEGER NOT NULL, meta_json TEXT NOT NULL);
CREATE TABLE type(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE type_count(snapshot INTEGER NOT NULL REFERENCES snapshot(id), type INTEGER NOT NULL REFERENCES type(id),
    count INTEGER NOT NULL, size INTEGER NOT NULL, PRIMARY KEY(snapshot, type)) WITHOUT ROWID;
""")
meta = {"format_version": "1", "writer": "tst_cli fixture", "created_at": "2026-01-01T00:00:00Z", "byte_order": "little"}
db.executemany("INSERT INTO meta VALUES (?, ?)", list(meta.items()))
types = {}
for s in spec["snapshots"]:
    m = {"argv": s.get("argv", ["app.py", "--n", "3"]), "python": "3.11.7", "origin": "agent", "has_sizes": True}
    m.update(s.get("meta", {}))
    cur = db.execute("INSERT INTO snapshot(label, taken_at, pid, rss, gc_objects, gc_garbage, meta_json) VALUES (?,?,?,?,?,?,?)",
                     (s.get("label"), s["taken_at"], s.get("pid", 4242), 10485760,
                      sum(c for c, _ in s["types"].values()), 0, json.dumps(m)))
    for name, (count, size) in sorted(s["types"].items()):
        if name not in types:
            types[name] = db.execute("INSERT INTO type(name) VALUES (?)", (name,)).lastrowid
        if count:
            db.execute("INSERT INTO type_count VALUES (?,?,?,?)", (cur.lastrowid, types[name], count, size))
db.commit()
db.close()
)PY";

// The series behind the compare tests: a steady leak, a smaller steady
// leak, noise, a bounded cache, a constant and a shrinking type.
constexpr double s_t0 = 1764072000.0;
const qint64 s_leak[] = {100, 200, 300, 400, 500, 600};
const qint64 s_other[] = {5, 10, 15, 20, 25, 30};
const qint64 s_dict[] = {1000, 1010, 1005, 1020, 1000, 1015};
const qint64 s_cache[] = {10, 50, 100, 100, 100, 100};
const qint64 s_list[] = {300, 290, 280, 270, 260, 250};

QJsonObject snapshotSpec(int i)
{
    auto stat = [](qint64 count, qint64 each) { return QJsonArray{count, count * each}; };
    QJsonObject types{
        {QStringLiteral("__main__.Leak"), stat(s_leak[i], 56)},
        {QStringLiteral("__main__.Other"), stat(s_other[i], 48)},
        {QStringLiteral("dict"), stat(s_dict[i], 232)},
        {QStringLiteral("__main__.Cache"), stat(s_cache[i], 64)},
        {QStringLiteral("tuple"), stat(500, 64)},
        {QStringLiteral("list"), stat(s_list[i], 88)},
    };
    const QString label = i == 0 ? QStringLiteral("start") : QStringLiteral("step %1").arg(i);
    QJsonObject spec{{QStringLiteral("label"), label},
                     {QStringLiteral("taken_at"), s_t0 + 10.0 * i},
                     {QStringLiteral("types"), types}};
    // Which census the agent ran (issue 17): the first one native, the others too old to say.
    if (i == 0)
        spec.insert(QStringLiteral("meta"), QJsonObject{{QStringLiteral("census_impl"), QStringLiteral("native")}});
    return spec;
}

} // namespace

class TestCli : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();

    void helpAndVersion();
    void usageErrors_data();
    void usageErrors();

    void compareTable();
    void compareTopAndAll();
    void compareBaseline();
    void compareMergesFiles();
    void compareJson();
    void compareCsv();
    void failOnSuspect_data();
    void failOnSuspect();
    void failOnGrowth_data();
    void failOnGrowth();
    void failOnGrowthBadOptions_data();
    void failOnGrowthBadOptions();

    void badInputs_data();
    void badInputs();

    void info();
    void hostileTextIsEscaped();
    void interruptedWriteAndRepair();
    void importObjgraphGrowthLog();
    void importObjgraphTypestats();

    void recordExitCodes_data();
    void recordExitCodes();
    void recordLeakIsSuspect();
    void recordExampleLeakyCache();
    void recordModuleForm();
    void recordConsoleScript();
    void recordFromOtherCwdWithoutPythonPath();
    void recordChainsUserSitecustomize();
    void recordPassesStdin();
    void recordForwardsSignals_data();
    void recordForwardsSignals();
    void recordCommandNotFound();
    void recordGraphAccepted();
    void recordRefusesUnwritableOutput_data();
    void recordRefusesUnwritableOutput();

private:
    Run cli(const QStringList &args, const QString &cwd = QString(), const QByteArray &input = QByteArray(),
            const QProcessEnvironment &env = QProcessEnvironment());
    QProcessEnvironment environment() const;
    bool writeFixture(const QString &path, const QJsonObject &spec);
    bool agentAvailable();
    QJsonObject compareJsonOf(const QStringList &files);

    QTemporaryDir m_dir;   // fixtures
    QTemporaryDir m_cache; // XDG_CACHE_HOME for the agent install
    QString m_series;      // 6 snapshots, see snapshotSpec()
    QString m_seriesA;     // snapshots 0..2
    QString m_seriesB;     // snapshots 3..5
};

QProcessEnvironment TestCli::environment() const
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("XDG_CACHE_HOME"), m_cache.path());
    env.remove(QStringLiteral("PYTHONPATH"));
    return env;
}

Run TestCli::cli(const QStringList &args, const QString &cwd, const QByteArray &input, const QProcessEnvironment &env)
{
    QProcess p;
    p.setProcessEnvironment(env.isEmpty() ? environment() : env);
    p.setWorkingDirectory(cwd.isEmpty() ? m_dir.path() : cwd);
    p.start(cliPath(), args);
    Run r;
    if (!p.waitForStarted(10000))
        return r;
    if (!input.isEmpty())
        p.write(input);
    p.closeWriteChannel();
    if (!p.waitForFinished(60000)) {
        p.kill();
        p.waitForFinished();
        r.err = QStringLiteral("TIMEOUT");
        return r;
    }
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

bool TestCli::writeFixture(const QString &path, const QJsonObject &spec)
{
    QFile::remove(path);
    QProcess p;
    p.start(python(), {QStringLiteral("-c"), QString::fromUtf8(s_fixtureWriter), path,
                       QString::fromUtf8(QJsonDocument(spec).toJson(QJsonDocument::Compact))});
    if (!p.waitForFinished(30000) || p.exitCode() != 0) {
        qWarning() << p.readAllStandardError();
        return false;
    }
    return true;
}

bool TestCli::agentAvailable()
{
    // The agent in this repository; without _sitecustomize.py record cannot
    // work, and that is a failure, not a reason to skip.
    return QFileInfo::exists(QStringLiteral(LEAKSCOPE_SOURCE_DIR "/resources/python/leakscope_agent/_sitecustomize.py"));
}

QJsonObject TestCli::compareJsonOf(const QStringList &files)
{
    const Run r = cli(QStringList{QStringLiteral("compare"), QStringLiteral("--json")} + files);
    if (r.code != 0)
        qWarning() << r.err;
    return QJsonDocument::fromJson(r.out.toUtf8()).object();
}

void TestCli::initTestCase()
{
    QVERIFY(QFileInfo(cliPath()).isExecutable());
    QVERIFY(m_dir.isValid() && m_cache.isValid());
    auto specOf = [](int from, int to) {
        QJsonArray snapshots;
        for (int i = from; i < to; ++i)
            snapshots.append(snapshotSpec(i));
        return QJsonObject{{QStringLiteral("snapshots"), snapshots}};
    };
    m_series = m_dir.filePath(QStringLiteral("series.lsnap"));
    m_seriesA = m_dir.filePath(QStringLiteral("series-a.lsnap"));
    m_seriesB = m_dir.filePath(QStringLiteral("series-b.lsnap"));
    QVERIFY(writeFixture(m_series, specOf(0, 6)));
    QVERIFY(writeFixture(m_seriesA, specOf(0, 3)));
    QVERIFY(writeFixture(m_seriesB, specOf(3, 6)));
}

void TestCli::helpAndVersion()
{
    Run r = cli({QStringLiteral("--version")});
    QCOMPARE(r.code, 0);
    QVERIFY2(QRegularExpression(QStringLiteral("^leakscope-cli \\d+\\.\\d+\\.\\d+\\n$")).match(r.out).hasMatch(), qPrintable(r.out));

    r = cli({QStringLiteral("--help")});
    QCOMPARE(r.code, 0);
    for (const char *word : {"record", "compare", "info", "import"})
        QVERIFY2(r.out.contains(QLatin1String(word)), word);
    QVERIFY(r.err.isEmpty());

    for (const char *command : {"record", "compare", "info", "import"}) {
        r = cli({QStringLiteral("help"), QLatin1String(command)});
        QCOMPARE(r.code, 0);
        QVERIFY2(r.out.startsWith(QStringLiteral("Usage: leakscope-cli ") + QLatin1String(command)), qPrintable(r.out));
        const Run viaFlag = cli({QLatin1String(command), QStringLiteral("--help")});
        QCOMPARE(viaFlag.code, 0);
        QCOMPARE(viaFlag.out, r.out);
    }
    r = cli({QStringLiteral("compare"), QStringLiteral("--help")});
    for (const char *option : {"--fail-on-growth N", "--growth-filter REGEX"})
        QVERIFY2(r.out.contains(QLatin1String(option)), option);
}

void TestCli::usageErrors_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");
    const QString f = QStringLiteral("series.lsnap");
    QTest::newRow("no arguments") << QStringList{} << QStringLiteral("Usage:");
    QTest::newRow("unknown command") << QStringList{QStringLiteral("frobnicate")} << QStringLiteral("unknown command 'frobnicate'");
    QTest::newRow("unknown global flag") << QStringList{QStringLiteral("--frob")} << QStringLiteral("unknown option '--frob'");
    QTest::newRow("help for unknown command") << QStringList{QStringLiteral("help"), QStringLiteral("nope")} << QStringLiteral("unknown command 'nope'");
    QTest::newRow("compare unknown flag") << QStringList{QStringLiteral("compare"), QStringLiteral("--bogus"), f} << QStringLiteral("unknown option '--bogus'");
    QTest::newRow("compare no files") << QStringList{QStringLiteral("compare")} << QStringLiteral("at least one file");
    QTest::newRow("compare json and csv") << QStringList{QStringLiteral("compare"), QStringLiteral("--json"), QStringLiteral("--csv"), f} << QStringLiteral("--json and --csv");
    QTest::newRow("compare bad baseline") << QStringList{QStringLiteral("compare"), QStringLiteral("--baseline"), QStringLiteral("last"), f} << QStringLiteral("--baseline");
    QTest::newRow("compare baseline out of range") << QStringList{QStringLiteral("compare"), QStringLiteral("--baseline"), QStringLiteral("7"), f} << QStringLiteral("out of range");
    QTest::newRow("compare top zero") << QStringList{QStringLiteral("compare"), QStringLiteral("--top"), QStringLiteral("0"), f} << QStringLiteral("--top");
    QTest::newRow("compare top missing value") << QStringList{QStringLiteral("compare"), f, QStringLiteral("--top")} << QStringLiteral("--top needs");
    QTest::newRow("compare invalid regex") << QStringList{QStringLiteral("compare"), QStringLiteral("--fail-on-suspect=(unclosed"), f} << QStringLiteral("invalid regular expression");
    QTest::newRow("info no files") << QStringList{QStringLiteral("info")} << QStringLiteral("at least one file");
    QTest::newRow("info unknown flag") << QStringList{QStringLiteral("info"), QStringLiteral("-x"), f} << QStringLiteral("unknown option '-x'");
    QTest::newRow("import without -o") << QStringList{QStringLiteral("import"), f} << QStringLiteral("-o FILE.lsnap");
    QTest::newRow("import -o without value") << QStringList{QStringLiteral("import"), f, QStringLiteral("-o")} << QStringLiteral("needs a file name");
    QTest::newRow("record without command") << QStringList{QStringLiteral("record"), QStringLiteral("-o"), QStringLiteral("x.lsnap")} << QStringLiteral("needs a command");
    QTest::newRow("record bad every") << QStringList{QStringLiteral("record"), QStringLiteral("--every"), QStringLiteral("soon"), QStringLiteral("--"), QStringLiteral("true")} << QStringLiteral("--every");
    QTest::newRow("record unknown flag") << QStringList{QStringLiteral("record"), QStringLiteral("--fast"), QStringLiteral("--"), QStringLiteral("true")} << QStringLiteral("unknown option '--fast'");
}

void TestCli::usageErrors()
{
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    const Run r = cli(args);
    QCOMPARE(r.code, 2);
    QVERIFY2(r.out.isEmpty(), qPrintable(r.out));
    QVERIFY2(r.err.contains(message), qPrintable(r.err));
}

void TestCli::compareTable()
{
    const Run r = cli({QStringLiteral("compare"), m_series});
    QCOMPARE(r.code, 0);
    QVERIFY(r.err.isEmpty());
    const QStringList lines = r.outLines();
    QVERIFY(lines.size() >= 7);
    const QRegularExpression header(QStringLiteral(
        "^Comparing snapshot 6 \\(\"step 5\", (\\S+)\\) against 1 \\(\"start\", (\\S+)\\) — 6 snapshots from 1 file$"));
    const QRegularExpressionMatch hm = header.match(lines.at(0));
    QVERIFY2(hm.hasMatch(), qPrintable(lines.at(0)));
    QCOMPARE(hm.captured(2), QDateTime::fromSecsSinceEpoch(qint64(s_t0)).toLocalTime().toString(QStringLiteral("yyyy-MM-ddTHH:mm:ss")));
    QVERIFY(lines.at(1).startsWith(QStringLiteral("type")));

    // Data rows: objgraph's '%-*s%9d %+9d', then our columns. Suspects first
    // by score, then by delta; unchanged types (tuple) hidden.
    const QStringList expectedOrder{QStringLiteral("__main__.Leak"), QStringLiteral("__main__.Other"),
                                    QStringLiteral("__main__.Cache"), QStringLiteral("dict"), QStringLiteral("list")};
    const qint64 counts[] = {600, 30, 100, 1015, 250};
    const qint64 deltas[] = {500, 25, 90, 15, -50};
    const int width = int(QStringLiteral("__main__.Cache").size());
    for (int i = 0; i < expectedOrder.size(); ++i) {
        const QString &line = lines.at(2 + i);
        const QString objgraph = QString::asprintf("%-*s%9lld %+9lld", width, qPrintable(expectedOrder.at(i)), counts[i], deltas[i]);
        QVERIFY2(line.startsWith(objgraph), qPrintable(line + QStringLiteral(" / expected ") + objgraph));
        const bool suspect = i < 2;
        QCOMPARE(line.contains(QStringLiteral("SUSPECT")), suspect);
    }
    const QString leak = lines.at(2);
    QVERIFY2(leak.contains(QStringLiteral("32.8 KiB")), qPrintable(leak)); // 600 * 56 bytes
    QVERIFY2(leak.contains(QStringLiteral("+27.3 KiB")), qPrintable(leak)); // +500 * 56
    QVERIFY2(leak.contains(QStringLiteral("grew in 5 of 5 intervals")), qPrintable(leak));
    QVERIFY(!r.out.contains(QStringLiteral("\ntuple")));
    QVERIFY2(lines.last().contains(QStringLiteral("5 of 6 types shown")), qPrintable(lines.last()));

    // Sizes column aligned: every data row has "KiB" or " B" at the same end column.
    const qsizetype scoreColumn = lines.at(1).indexOf(QStringLiteral("score")) + 5;
    for (int i = 2; i < 7; ++i)
        QVERIFY2(lines.at(i).at(scoreColumn - 1).isDigit() && lines.at(i).at(scoreColumn) == QLatin1Char(' '), qPrintable(lines.at(i)));
}

void TestCli::compareTopAndAll()
{
    auto dataRows = [](const Run &r) {
        QStringList rows;
        for (const QString &l : r.outLines())
            if (QRegularExpression(QStringLiteral("^\\S+\\s+\\d+\\s+[+-]\\d+")).match(l).hasMatch())
                rows << l.section(QLatin1Char(' '), 0, 0);
        return rows;
    };
    Run r = cli({QStringLiteral("compare"), QStringLiteral("--top"), QStringLiteral("2"), m_series});
    QCOMPARE(r.code, 0);
    QCOMPARE(dataRows(r), (QStringList{QStringLiteral("__main__.Leak"), QStringLiteral("__main__.Other")}));
    r = cli({QStringLiteral("compare"), QStringLiteral("--all"), m_series});
    QCOMPARE(r.code, 0);
    QCOMPARE(dataRows(r).size(), 6);
    QVERIFY(dataRows(r).contains(QStringLiteral("tuple")));
    r = cli({QStringLiteral("compare"), QStringLiteral("--all"), QStringLiteral("--top=3"), m_series});
    QCOMPARE(dataRows(r).size(), 3);
    // A snapshot compared with itself lists the most common types.
    r = cli({QStringLiteral("compare"), QStringLiteral("--baseline=6"), QStringLiteral("--top=3"), m_series});
    QCOMPARE(r.code, 0);
    // Suspects still come first.
    QCOMPARE(dataRows(r), (QStringList{QStringLiteral("__main__.Leak"), QStringLiteral("__main__.Other"), QStringLiteral("dict")}));
}

void TestCli::compareBaseline()
{
    auto leakLine = [this](const QStringList &extra) {
        const Run r = cli(QStringList{QStringLiteral("compare")} + extra + QStringList{m_series});
        for (const QString &l : r.outLines())
            if (l.startsWith(QStringLiteral("__main__.Leak")))
                return l.simplified().section(QLatin1Char(' '), 0, 3);
        return r.err;
    };
    // type, count, delta vs baseline, delta vs first
    QCOMPARE(leakLine({}), QStringLiteral("__main__.Leak 600 +500 +500"));
    QCOMPARE(leakLine({QStringLiteral("--baseline"), QStringLiteral("first")}), QStringLiteral("__main__.Leak 600 +500 +500"));
    QCOMPARE(leakLine({QStringLiteral("--baseline"), QStringLiteral("previous")}), QStringLiteral("__main__.Leak 600 +100 +500"));
    QCOMPARE(leakLine({QStringLiteral("--baseline=3")}), QStringLiteral("__main__.Leak 600 +300 +500"));
    const Run r = cli({QStringLiteral("compare"), QStringLiteral("--baseline"), QStringLiteral("4"), m_series});
    QVERIFY2(r.outLines().value(0).contains(QStringLiteral("against 4 (\"step 3\"")), qPrintable(r.out));
}

void TestCli::compareMergesFiles()
{
    // Given out of order: the session sorts by time.
    const Run r = cli({QStringLiteral("compare"), m_seriesB, m_seriesA});
    QCOMPARE(r.code, 0);
    QVERIFY2(r.outLines().value(0).endsWith(QStringLiteral("— 6 snapshots from 2 files")), qPrintable(r.out));
    const QJsonObject merged = compareJsonOf({m_seriesB, m_seriesA});
    const QJsonObject single = compareJsonOf({m_series});
    QCOMPARE(merged.value(QStringLiteral("types")).toArray().size(), 6);
    // Same numbers as the single file (sources differ, so compare types only).
    QCOMPARE(merged.value(QStringLiteral("types")), single.value(QStringLiteral("types")));
}

void TestCli::compareJson()
{
    const QJsonObject o = compareJsonOf({m_series});
    const QJsonArray snapshots = o.value(QStringLiteral("snapshots")).toArray();
    QCOMPARE(snapshots.size(), 6);
    for (int i = 0; i < 6; ++i) {
        const QJsonObject s = snapshots.at(i).toObject();
        for (const char *key : {"id", "label", "taken_at", "pid"})
            QVERIFY2(s.contains(QLatin1String(key)), key);
        QCOMPARE(s.value(QStringLiteral("id")).toInteger(), qint64(i + 1));
        QCOMPARE(s.value(QStringLiteral("pid")).toInteger(), 4242);
        QCOMPARE(s.value(QStringLiteral("taken_at")).toDouble(), s_t0 + 10.0 * i);
    }
    QCOMPARE(snapshots.at(0).toObject().value(QStringLiteral("label")).toString(), QStringLiteral("start"));

    // All types, unchanged ones included, suspects first.
    const QJsonArray types = o.value(QStringLiteral("types")).toArray();
    QCOMPARE(types.size(), 6);
    const QJsonObject leak = types.at(0).toObject();
    QCOMPARE(leak.value(QStringLiteral("name")).toString(), QStringLiteral("__main__.Leak"));
    for (const char *key : {"name", "counts", "sizes", "delta", "suspect", "score", "reason"})
        QVERIFY2(leak.contains(QLatin1String(key)), key);
    QCOMPARE(leak.value(QStringLiteral("counts")).toArray(), (QJsonArray{100, 200, 300, 400, 500, 600}));
    QCOMPARE(leak.value(QStringLiteral("sizes")).toArray().at(5).toInteger(), 600 * 56);
    QCOMPARE(leak.value(QStringLiteral("delta")).toInteger(), 500);
    QCOMPARE(leak.value(QStringLiteral("suspect")).toBool(), true);
    QVERIFY(leak.value(QStringLiteral("score")).toDouble() > 50);
    bool sawTuple = false;
    for (const QJsonValue &v : types) {
        const QJsonObject t = v.toObject();
        if (t.value(QStringLiteral("name")).toString() == QLatin1String("tuple")) {
            sawTuple = true;
            QCOMPARE(t.value(QStringLiteral("delta")).toInteger(), 0);
            QCOMPARE(t.value(QStringLiteral("suspect")).toBool(), false);
        }
        if (t.value(QStringLiteral("name")).toString() == QLatin1String("__main__.Cache"))
            QCOMPARE(t.value(QStringLiteral("suspect")).toBool(), false);
    }
    QVERIFY(sawTuple);

    const Run top = cli({QStringLiteral("compare"), QStringLiteral("--json"), QStringLiteral("--top"), QStringLiteral("1"), m_series});
    QCOMPARE(top.code, 0);
    const QJsonArray one = QJsonDocument::fromJson(top.out.toUtf8()).object().value(QStringLiteral("types")).toArray();
    QCOMPARE(one.size(), 1);
    QCOMPARE(one.at(0).toObject().value(QStringLiteral("name")).toString(), QStringLiteral("__main__.Leak"));
}

void TestCli::compareCsv()
{
    const Run r = cli({QStringLiteral("compare"), QStringLiteral("--csv"), m_series});
    QCOMPARE(r.code, 0);
    const QStringList lines = r.out.split(QStringLiteral("\r\n"), Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 7);
    QVERIFY2(lines.at(0).startsWith(QStringLiteral("type,count,")), qPrintable(lines.at(0)));
    QVERIFY(lines.at(0).endsWith(QStringLiteral("count_0,count_1,count_2,count_3,count_4,count_5")));
    QVERIFY2(lines.at(1).startsWith(QStringLiteral("__main__.Leak,600,")), qPrintable(lines.at(1)));
    QVERIFY(lines.at(1).endsWith(QStringLiteral(",100,200,300,400,500,600")));
}

void TestCli::failOnSuspect_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("code");
    const QString f = QStringLiteral("series.lsnap");
    const QString fail = QStringLiteral("--fail-on-suspect");
    QTest::newRow("any suspect") << QStringList{fail, f} << 3;
    QTest::newRow("file after flag is not a regex") << QStringList{fail, m_dir.filePath(QStringLiteral("series.lsnap"))} << 3;
    QTest::newRow("regex matching") << QStringList{fail, QStringLiteral("Leak$"), f} << 3;
    QTest::newRow("regex is an unanchored search") << QStringList{fail, QStringLiteral("main"), f} << 3;
    QTest::newRow("regex not matching") << QStringList{fail, QStringLiteral("^dict$"), f} << 0;
    QTest::newRow("regex names a non-suspect") << QStringList{QStringLiteral("--fail-on-suspect=Cache"), f} << 0;
    QTest::newRow("regex with = form") << QStringList{QStringLiteral("--fail-on-suspect=Other"), f} << 3;
    QTest::newRow("flag last") << QStringList{f, fail} << 3;
    QTest::newRow("with json") << QStringList{QStringLiteral("--json"), fail, f} << 3;
    QTest::newRow("without flag") << QStringList{f} << 0;
    QTest::newRow("three snapshots are enough to judge") << QStringList{fail, QStringLiteral("--baseline"), QStringLiteral("1"),
                                                                QStringLiteral("series-a.lsnap")} << 3;
}

void TestCli::failOnSuspect()
{
    QFETCH(QStringList, args);
    QFETCH(int, code);
    const Run r = cli(QStringList{QStringLiteral("compare")} + args);
    QVERIFY2(r.err.isEmpty(), qPrintable(r.err));
    QCOMPARE(r.code, code);
    QVERIFY(!r.out.isEmpty()); // the report is printed either way
}

void TestCli::failOnGrowth_data()
{
    // Deltas of the series from snapshot 1 to 6 (numbered from 1, as the
    // timeline shows): Leak +500, Cache +90,
    // Other +25, dict +15, tuple 0, list -50; from 5 to 6: Leak +100,
    // dict +15, Other +5, Cache 0, list -10.
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("error"); // the whole stderr
    const QString f = QStringLiteral("series.lsnap");
    const QString gate = QStringLiteral("--fail-on-growth");
    const QString filter = QStringLiteral("--growth-filter");
    const QString suspect = QStringLiteral("--fail-on-suspect");
    const QString leak500 = QStringLiteral("leakscope-cli: __main__.Leak grew by 500 (>= %1) from snapshot 1 to 6\n");
    QTest::newRow("trips at exactly N") << QStringList{gate, QStringLiteral("500"), f} << 3 << leak500.arg(500);
    QTest::newRow("passes at N+1") << QStringList{gate, QStringLiteral("501"), f} << 0 << QString();
    QTest::newRow("= form") << QStringList{QStringLiteral("--fail-on-growth=500"), f} << 3 << leak500.arg(500);
    QTest::newRow("names the worst offender") << QStringList{f, gate, QStringLiteral("20")} << 3 << leak500.arg(20);
    QTest::newRow("filter excludes the growing type")
        << QStringList{gate, QStringLiteral("100"), filter, QStringLiteral("Cache"), f} << 0 << QString();
    QTest::newRow("filter includes the growing type")
        << QStringList{gate, QStringLiteral("90"), filter, QStringLiteral("Cache"), f} << 3
        << QStringLiteral("leakscope-cli: __main__.Cache grew by 90 (>= 90) from snapshot 1 to 6\n");
    QTest::newRow("filter is an unanchored search")
        << QStringList{gate, QStringLiteral("20"), QStringLiteral("--growth-filter=_\\.(Other|Cache)"), f} << 3
        << QStringLiteral("leakscope-cli: __main__.Cache grew by 90 (>= 20) from snapshot 1 to 6\n");
    QTest::newRow("filter anchored to a small grower")
        << QStringList{gate, QStringLiteral("16"), filter, QStringLiteral("^dict$"), f} << 0 << QString();
    QTest::newRow("shrinking type never trips")
        << QStringList{gate, QStringLiteral("1"), filter, QStringLiteral("^(list|tuple)$"), f} << 0 << QString();
    QTest::newRow("baseline previous trips at N")
        << QStringList{QStringLiteral("--baseline"), QStringLiteral("previous"), gate, QStringLiteral("100"), f} << 3
        << QStringLiteral("leakscope-cli: __main__.Leak grew by 100 (>= 100) from snapshot 5 to 6\n");
    QTest::newRow("baseline previous passes at N+1")
        << QStringList{QStringLiteral("--baseline=previous"), gate, QStringLiteral("101"), f} << 0 << QString();
    QTest::newRow("baseline index") << QStringList{QStringLiteral("--baseline=3"), gate, QStringLiteral("300"), f} << 3
                                    << QStringLiteral("leakscope-cli: __main__.Leak grew by 300 (>= 300) from snapshot 3 to 6\n");
    QTest::newRow("merged files")
        << QStringList{gate, QStringLiteral("500"), QStringLiteral("series-b.lsnap"), QStringLiteral("series-a.lsnap")} << 3
        << leak500.arg(500);
    QTest::newRow("growth trips, suspect gate passes")
        << QStringList{suspect, QStringLiteral("^dict$"), gate, QStringLiteral("500"), f} << 3 << leak500.arg(500);
    QTest::newRow("suspect trips, growth gate passes")
        << QStringList{suspect, gate, QStringLiteral("501"), f} << 3 << QString();
    QTest::newRow("both pass") << QStringList{QStringLiteral("--fail-on-suspect=Cache"), gate, QStringLiteral("501"), f}
                               << 0 << QString();
    QTest::newRow("both trip") << QStringList{suspect, QStringLiteral("Leak"), gate, QStringLiteral("90"), f} << 3
                               << leak500.arg(90);
    QTest::newRow("json trips") << QStringList{QStringLiteral("--json"), gate, QStringLiteral("500"), f} << 3 << leak500.arg(500);
    QTest::newRow("json passes") << QStringList{QStringLiteral("--json"), gate, QStringLiteral("501"), f} << 0 << QString();
    QTest::newRow("json --top 1 still gates every type")
        << QStringList{QStringLiteral("--json"), QStringLiteral("--top=1"), gate, QStringLiteral("90"), filter,
                       QStringLiteral("Cache"), f}
        << 3 << QStringLiteral("leakscope-cli: __main__.Cache grew by 90 (>= 90) from snapshot 1 to 6\n");
    QTest::newRow("csv trips") << QStringList{QStringLiteral("--csv"), gate, QStringLiteral("25"), filter, QStringLiteral("Other"), f}
                               << 3 << QStringLiteral("leakscope-cli: __main__.Other grew by 25 (>= 25) from snapshot 1 to 6\n");
    QTest::newRow("table --top 1 still gates every type")
        << QStringList{QStringLiteral("--top"), QStringLiteral("1"), gate, QStringLiteral("15"), filter, QStringLiteral("dict"), f}
        << 3 << QStringLiteral("leakscope-cli: dict grew by 15 (>= 15) from snapshot 1 to 6\n");
    QTest::newRow("one snapshot against itself")
        << QStringList{QStringLiteral("--baseline=6"), gate, QStringLiteral("1"), f} << 0 << QString();
}

void TestCli::failOnGrowth()
{
    QFETCH(QStringList, args);
    QFETCH(int, code);
    QFETCH(QString, error);
    const Run r = cli(QStringList{QStringLiteral("compare")} + args);
    QCOMPARE(r.err, error);
    QCOMPARE(r.code, code);

    // Stdout is exactly what compare prints without the growth gate.
    QStringList plain{QStringLiteral("compare")};
    for (int i = 0; i < args.size(); ++i) {
        const QString &a = args.at(i);
        if (a == QLatin1String("--fail-on-growth") || a == QLatin1String("--growth-filter"))
            ++i; // and its value
        else if (!a.startsWith(QLatin1String("--fail-on-growth=")) && !a.startsWith(QLatin1String("--growth-filter=")))
            plain << a;
    }
    const Run without = cli(plain);
    QVERIFY2(without.code == 0 || without.code == 3, qPrintable(without.err));
    QVERIFY(!r.out.isEmpty());
    QCOMPARE(r.out, without.out);
}

void TestCli::failOnGrowthBadOptions_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");
    const QString f = QStringLiteral("series.lsnap");
    const QString gate = QStringLiteral("--fail-on-growth");
    QTest::newRow("N missing at the end") << QStringList{f, gate} << QStringLiteral("--fail-on-growth needs a number");
    QTest::newRow("N missing, a file follows") << QStringList{gate, f} << QStringLiteral("'series.lsnap' is not a positive number");
    QTest::newRow("N missing, an option follows") << QStringList{gate, QStringLiteral("--json"), f} << QStringLiteral("'--json' is not a positive number");
    QTest::newRow("N empty after =") << QStringList{QStringLiteral("--fail-on-growth="), f} << QStringLiteral("'' is not a positive number");
    QTest::newRow("N zero") << QStringList{gate, QStringLiteral("0"), f} << QStringLiteral("'0' is not a positive number");
    QTest::newRow("N negative") << QStringList{QStringLiteral("--fail-on-growth=-5"), f} << QStringLiteral("'-5' is not a positive number");
    QTest::newRow("N a word") << QStringList{gate, QStringLiteral("many"), f} << QStringLiteral("'many' is not a positive number");
    QTest::newRow("N a fraction") << QStringList{gate, QStringLiteral("1.5"), f} << QStringLiteral("'1.5' is not a positive number");
    QTest::newRow("N beyond int") << QStringList{gate, QStringLiteral("99999999999"), f} << QStringLiteral("'99999999999' is not a positive number");
    QTest::newRow("invalid filter regex") << QStringList{gate, QStringLiteral("10"), QStringLiteral("--growth-filter"), QStringLiteral("(unclosed"), f}
                                          << QStringLiteral("--growth-filter: invalid regular expression '(unclosed'");
    QTest::newRow("filter without a value") << QStringList{gate, QStringLiteral("10"), f, QStringLiteral("--growth-filter")}
                                            << QStringLiteral("--growth-filter needs a regular expression");
    QTest::newRow("filter without the gate") << QStringList{QStringLiteral("--growth-filter=Leak"), f}
                                             << QStringLiteral("--growth-filter only applies to --fail-on-growth");
}

void TestCli::failOnGrowthBadOptions()
{
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    const Run r = cli(QStringList{QStringLiteral("compare")} + args);
    QCOMPARE(r.code, 2);
    QVERIFY2(r.out.isEmpty(), qPrintable(r.out));
    QCOMPARE(r.errLines().size(), 1);
    QVERIFY2(r.err.startsWith(QStringLiteral("leakscope-cli: ")) && r.err.contains(message), qPrintable(r.err));
}

void TestCli::badInputs_data()
{
    QTest::addColumn<QString>("command");
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("reason");

    const QString dir = m_dir.filePath(QStringLiteral("bad"));
    QDir().mkpath(dir);
    const QString empty = dir + QStringLiteral("/empty.lsnap");
    const QString garbage = dir + QStringLiteral("/garbage.lsnap");
    const QString text = dir + QStringLiteral("/notes.txt");
    const QString cut100 = dir + QStringLiteral("/cut100.lsnap");
    const QString cutHalf = dir + QStringLiteral("/cuthalf.lsnap");
    const QString foreign = dir + QStringLiteral("/foreign.db");
    const QString future = dir + QStringLiteral("/future.lsnap");
    const QString zero = dir + QStringLiteral("/nosnapshots.lsnap");
    writeText(empty, QByteArray());
    QByteArray noise;
    for (int i = 0; i < 4096; ++i)
        noise.append(char((i * 7919 + 13) & 0xff));
    writeText(garbage, noise);
    writeText(text, "this is not a snapshot\njust some notes\n");
    const QByteArray good = readBytes(m_series);
    writeText(cut100, good.left(100));
    writeText(cutHalf, good.left(good.size() / 2));
    {
        QProcess p;
        p.start(python(), {QStringLiteral("-c"),
                           QStringLiteral("import sqlite3,sys; d=sqlite3.connect(sys.argv[1]); "
                                          "d.execute('create table t(x)'); d.execute('insert into t values (1)'); d.commit()"),
                           foreign});
        p.waitForFinished(30000);
    }
    QJsonObject futureSpec{{QStringLiteral("user_version"), 99}, {QStringLiteral("snapshots"), QJsonArray{snapshotSpec(0)}}};
    writeFixture(future, futureSpec);
    writeFixture(zero, QJsonObject{{QStringLiteral("snapshots"), QJsonArray{}}});

    struct Case
    {
        const char *name;
        QString file;
        QString reason;
    };
    const Case cases[] = {
        {"missing", dir + QStringLiteral("/missing.lsnap"), QStringLiteral("no such file")},
        {"directory", dir, QString()},
        {"empty", empty, QStringLiteral("empty")},
        {"binary garbage", garbage, QString()},
        {"text that is no objgraph output", text, QStringLiteral("not a Leakscope or objgraph file")},
        {"lsnap cut to 100 bytes", cut100, QString()},
        {"lsnap cut in half", cutHalf, QString()},
        {"foreign SQLite", foreign, QStringLiteral("not a Leakscope file")},
        {"future version", future, QStringLiteral("newer")},
    };
    for (const char *command : {"compare", "info", "import"}) {
        for (const Case &c : cases)
            QTest::newRow(QByteArray(QByteArray(command) + '/' + c.name).constData())
                << QString::fromLatin1(command) << c.file << c.reason;
    }
    QTest::newRow("compare/no snapshots") << QStringLiteral("compare") << zero << QStringLiteral("no snapshots");
    QTest::newRow("import/no snapshots") << QStringLiteral("import") << zero << QStringLiteral("no snapshots");
}

void TestCli::badInputs()
{
    QFETCH(QString, command);
    QFETCH(QString, file);
    QFETCH(QString, reason);
    const QString out = m_dir.filePath(QStringLiteral("import-out.lsnap"));
    QFile::remove(out);
    // A good file first: nothing of it may be printed when a later one fails.
    QStringList args{command, m_series, file};
    if (command == QLatin1String("import"))
        args << QStringLiteral("-o") << out;
    const Run r = cli(args);
    QCOMPARE(r.code, 2);
    QVERIFY2(r.out.isEmpty(), qPrintable(r.out));
    QCOMPARE(r.errLines().size(), 1);
    const QString line = r.errLines().first();
    QVERIFY2(line.startsWith(QStringLiteral("leakscope-cli: ")), qPrintable(line));
    QVERIFY2(line.contains(file), qPrintable(line));
    if (!reason.isEmpty())
        QVERIFY2(line.contains(reason, Qt::CaseInsensitive), qPrintable(line));
    QVERIFY(!QFileInfo::exists(out));
}

void TestCli::info()
{
    const Run r = cli({QStringLiteral("info"), m_series, m_seriesB});
    QCOMPARE(r.code, 0);
    QVERIFY(r.err.isEmpty());
    const QStringList lines = r.outLines();
    auto field = [&lines](int from, const QString &key) {
        for (int i = from; i < lines.size(); ++i)
            if (lines.at(i).startsWith(key + QLatin1Char(':')))
                return lines.at(i).mid(key.size() + 1).trimmed();
        return QString();
    };
    QCOMPARE(field(0, QStringLiteral("file")), m_series);
    QCOMPARE(field(0, QStringLiteral("format")), QStringLiteral("lsnap"));
    QCOMPARE(field(0, QStringLiteral("version")), QStringLiteral("1"));
    QCOMPARE(field(0, QStringLiteral("writer")), QStringLiteral("tst_cli fixture"));
    QCOMPARE(field(0, QStringLiteral("snapshots")), QStringLiteral("6"));
    const int header = int(lines.indexOf(QRegularExpression(QStringLiteral("^\\s*#\\s+id\\s+label\\s+time\\s+pid\\s+objects\\s+types\\s+RSS\\s+python\\s+impl\\s+argv$"))));
    QVERIFY2(header > 0, qPrintable(r.out));
    // index, id, label, time, pid, objects, types, RSS, python, impl, argv
    const QString time0 = QDateTime::fromSecsSinceEpoch(qint64(s_t0)).toLocalTime().toString(QStringLiteral("yyyy-MM-ddTHH:mm:ss"));
    const qint64 objects0 = 100 + 5 + 1000 + 10 + 500 + 300;
    const QString row0 = QStringLiteral("1 1 start %1 4242 %2 6 10.0 MiB 3.11.7 native app.py --n 3").arg(time0).arg(objects0);
    QCOMPARE(lines.at(header + 1).simplified(), row0);
    QVERIFY2(lines.at(header + 2).simplified().startsWith(QStringLiteral("2 2 step 1 ")), qPrintable(lines.at(header + 2)));
    QVERIFY2(lines.at(header + 2).simplified().endsWith(QStringLiteral(" 3.11.7 - app.py --n 3")), qPrintable(lines.at(header + 2)));
    // The second file follows with its own block.
    const int second = int(lines.indexOf(QStringLiteral("file:      ") + m_seriesB));
    QVERIFY2(second > header, qPrintable(r.out));
    QCOMPARE(field(second, QStringLiteral("snapshots")), QStringLiteral("3"));
}

void TestCli::hostileTextIsEscaped()
{
    // Labels, type names and argv from a file reach the terminal as visible
    // escapes, never as control sequences or extra lines (issue 12, item 9);
    // JSON keeps the exact text.
    const QString esc = QStringLiteral("\x1b");
    const QString evilType = QStringLiteral("evil") + esc + QStringLiteral("[31mred");
    const QString newlineType = QStringLiteral("new\nline.Type");
    const QString bidiType = QStringLiteral("bidi") + QChar(0x202e) + QStringLiteral("txt.Cls");
    const QString c1Type = QStringLiteral("c1") + QChar(0x9b) + QStringLiteral("x");
    const QString label = esc + QStringLiteral("[2J") + esc + QStringLiteral("]0;pwned\x07") + QStringLiteral("evil\nline");
    auto types = [&](qint64 n) {
        return QJsonObject{{evilType, QJsonArray{n, n * 10}}, {newlineType, QJsonArray{2 * n, 20 * n}},
                           {bidiType, QJsonArray{3 * n, 30 * n}}, {c1Type, QJsonArray{4 * n, 40 * n}}};
    };
    QJsonArray snapshots;
    for (int i = 0; i < 2; ++i)
        snapshots.append(QJsonObject{{QStringLiteral("label"), label},
                                     {QStringLiteral("taken_at"), s_t0 + i},
                                     {QStringLiteral("argv"), QJsonArray{QStringLiteral("app.py"), QString(esc + QStringLiteral("[1mX\ny"))}},
                                     {QStringLiteral("types"), types(10 * (i + 1))}});
    const QString file = m_dir.filePath(QStringLiteral("hostile.lsnap"));
    QVERIFY(writeFixture(file, QJsonObject{{QStringLiteral("snapshots"), snapshots}}));

    const auto checkClean = [&](const QString &text) {
        for (const QChar c : text) {
            const char16_t u = c.unicode();
            const bool control = (u < 0x20 && u != u'\n') || (u >= 0x7f && u < 0xa0) || u == 0x202e;
            QVERIFY2(!control, qPrintable(QStringLiteral("raw U+%1 in output").arg(uint(u), 4, 16, QLatin1Char('0'))));
        }
    };
    const Run info = cli({QStringLiteral("info"), file});
    QCOMPARE(info.code, 0);
    checkClean(info.out);
    QVERIFY2(info.out.contains(QStringLiteral("\\x1b[2J\\x1b]0;pwned\\x07evil\\nline")), qPrintable(info.out));
    QVERIFY2(info.out.contains(QStringLiteral("\\x1b[1mX\\ny")), qPrintable(info.out));
    // Header lines, the column header and one line per snapshot: no extra lines.
    const QStringList lines = info.outLines();
    QCOMPARE(lines.filter(QStringLiteral("pwned")).size(), 2);

    const Run compare = cli({QStringLiteral("compare"), QStringLiteral("--all"), file});
    QCOMPARE(compare.code, 0);
    checkClean(compare.out);
    QVERIFY2(compare.out.contains(QStringLiteral("evil\\x1b[31mred")), qPrintable(compare.out));
    QVERIFY2(compare.out.contains(QStringLiteral("new\\nline.Type")), qPrintable(compare.out));
    QVERIFY2(compare.out.contains(QStringLiteral("bidi\\u202etxt.Cls")), qPrintable(compare.out));
    QVERIFY2(compare.out.contains(QStringLiteral("c1\\x9bx")), qPrintable(compare.out));

    const QJsonObject json = compareJsonOf({file});
    QStringList names;
    for (const QJsonValue &row : json.value(QStringLiteral("types")).toArray())
        names << row.toObject().value(QStringLiteral("name")).toString();
    QVERIFY2(names.contains(evilType) && names.contains(newlineType) && names.contains(bidiType)
                 && names.contains(c1Type),
             qPrintable(names.join(QLatin1Char(','))));

    // An error that quotes text from a file is one escaped line too.
    const Run fail = cli({QStringLiteral("compare"), QStringLiteral("--fail-on-growth"), QStringLiteral("1"), file});
    QCOMPARE(fail.code, 3);
    checkClean(fail.err);
}

void TestCli::interruptedWriteAndRepair()
{
    // A writer killed in the middle of a transaction, after its cache spilled
    // into the file: a hot journal (issue 12, item 8).
    const QString file = m_dir.filePath(QStringLiteral("interrupted.lsnap"));
    QJsonArray snapshots;
    for (int i = 0; i < 3; ++i)
        snapshots.append(snapshotSpec(i));
    QVERIFY(writeFixture(file, QJsonObject{{QStringLiteral("snapshots"), snapshots}}));
    QProcess writer;
    writer.start(python(), {QStringLiteral("-c"), QStringLiteral(R"PY(
import os, sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("PRAGMA journal_mode=DELETE")
c.execute("PRAGMA cache_size=5")
c.execute("BEGIN IMMEDIATE")
c.execute("INSERT INTO snapshot(label, taken_at, pid, rss, gc_objects, gc_garbage, meta_json) VALUES ('half', 1.0, 1, NULL, 0, 0, '{}')")
for i in range(20000):
    c.execute("INSERT INTO type(name) VALUES (?)", ("junk%d" % i,))
os._exit(9)
)PY"), file});
    QVERIFY(writer.waitForFinished(60000));
    QCOMPARE(writer.exitCode(), 9);
    const QString journal = file + QStringLiteral("-journal");
    QVERIFY(QFileInfo(journal).size() > 0);
    const QByteArray fileBefore = readBytes(file);
    const QByteArray journalBefore = readBytes(journal);

    // Readers work on a private rolled-back copy; the user's files stay as they are.
    const Run info = cli({QStringLiteral("info"), file});
    QVERIFY2(info.code == 0, qPrintable(info.err));
    QVERIFY2(info.out.contains(QStringLiteral("snapshots: 3")), qPrintable(info.out));
    QVERIFY(!info.out.contains(QStringLiteral("half")));
    const Run compare = cli({QStringLiteral("compare"), file});
    QVERIFY2(compare.code == 0, qPrintable(compare.err));
    QCOMPARE(readBytes(file), fileBefore);
    QCOMPARE(readBytes(journal), journalBefore);

    // repair rolls back in place and keeps the pair as it was.
    const Run repair = cli({QStringLiteral("repair"), file});
    QVERIFY2(repair.code == 0, qPrintable(repair.err));
    QVERIFY2(repair.out.contains(QStringLiteral("rolled back an interrupted write")), qPrintable(repair.out));
    QVERIFY2(repair.out.contains(QStringLiteral("reads fine: 3 snapshots")), qPrintable(repair.out));
    QVERIFY(!QFileInfo::exists(journal));
    QCOMPARE(readBytes(file + QStringLiteral(".before-repair")), fileBefore);
    QCOMPARE(readBytes(file + QStringLiteral(".before-repair-journal")), journalBefore);
    QVERIFY(readBytes(file) != fileBefore);
    const Run after = cli({QStringLiteral("info"), file});
    QVERIFY2(after.code == 0 && after.out.contains(QStringLiteral("snapshots: 3")), qPrintable(after.out + after.err));

    const Run again = cli({QStringLiteral("repair"), file});
    QCOMPARE(again.code, 0);
    QVERIFY2(again.out.contains(QStringLiteral("no interrupted write")), qPrintable(again.out));
}

void TestCli::importObjgraphGrowthLog()
{
    if (!QFileInfo::exists(QStringLiteral(LEAKSCOPE_SYSTEM_PYTHON)))
        QSKIP("no system python with objgraph");
    QTemporaryDir dir;
    const QString log = dir.filePath(QStringLiteral("growth.log"));
    QProcess p;
    p.setStandardOutputFile(log);
    p.start(QStringLiteral(LEAKSCOPE_SYSTEM_PYTHON),
            {QStringLiteral("-c"),
             QStringLiteral("import objgraph\n"
                            "class Leak: pass\n"
                            "keep = []\n"
                            "for i in range(4):\n"
                            "    keep.extend(Leak() for _ in range(10 * (i + 1)))\n"
                            "    objgraph.show_growth(limit=None, shortnames=False)\n")});
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitCode(), 0);
    QVERIFY(readBytes(log).contains("__main__.Leak"));

    const QString out = dir.filePath(QStringLiteral("imported.lsnap"));
    Run r = cli({QStringLiteral("import"), log, QStringLiteral("-o"), out});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY(r.out.contains(QStringLiteral("imported 4 snapshots")));
    QVERIFY(QFileInfo::exists(out));
    QVERIFY(QDir(dir.path()).entryList(QDir::Files).size() == 2); // no temporary file left

    r = cli({QStringLiteral("info"), out});
    QCOMPARE(r.code, 0);
    QVERIFY2(r.out.contains(QStringLiteral("format:    lsnap\n")), qPrintable(r.out));
    QVERIFY(r.out.contains(QStringLiteral("snapshots: 4\n")));

    // The imported file and the log itself give the same series.
    const QJsonObject fromLsnap = compareJsonOf({out});
    const QJsonObject fromLog = compareJsonOf({log});
    QCOMPARE(fromLsnap.value(QStringLiteral("types")), fromLog.value(QStringLiteral("types")));
    bool found = false;
    for (const QJsonValue &v : fromLsnap.value(QStringLiteral("types")).toArray()) {
        const QJsonObject t = v.toObject();
        if (t.value(QStringLiteral("name")).toString() != QLatin1String("__main__.Leak"))
            continue;
        found = true;
        QCOMPARE(t.value(QStringLiteral("counts")).toArray(), (QJsonArray{10, 30, 60, 100}));
        QCOMPARE(t.value(QStringLiteral("suspect")).toBool(), true);
    }
    QVERIFY(found);

    // objgraph has no sizes: the table says so instead of printing zeros.
    r = cli({QStringLiteral("compare"), out});
    QCOMPARE(r.code, 0);
    QString leakRow;
    for (const QString &l : r.outLines())
        if (l.startsWith(QStringLiteral("__main__.Leak ")))
            leakRow = l.simplified();
    QVERIFY2(leakRow.startsWith(QStringLiteral("__main__.Leak 100 +90 +90 - - SUSPECT")), qPrintable(r.out));
}

void TestCli::importObjgraphTypestats()
{
    if (!QFileInfo::exists(QStringLiteral(LEAKSCOPE_SYSTEM_PYTHON)))
        QSKIP("no system python with objgraph");
    QTemporaryDir dir;
    const QString json = dir.filePath(QStringLiteral("typestats.json"));
    QProcess p;
    p.start(QStringLiteral(LEAKSCOPE_SYSTEM_PYTHON),
            {QStringLiteral("-c"),
             QStringLiteral("import json, sys, objgraph\n"
                            "class Leak: pass\n"
                            "keep = [Leak() for _ in range(77)]\n"
                            "json.dump(objgraph.typestats(shortnames=False), open(sys.argv[1], 'w'))\n"),
             json});
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitCode(), 0);
    Run r = cli({QStringLiteral("info"), json});
    QCOMPARE(r.code, 0);
    QVERIFY2(r.out.contains(QStringLiteral("format:    objgraph-typestats\n")), qPrintable(r.out));
    const QString out = dir.filePath(QStringLiteral("stats.lsnap"));
    r = cli({QStringLiteral("import"), json, QStringLiteral("-o"), out});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const QJsonObject o = compareJsonOf({out});
    QCOMPARE(o.value(QStringLiteral("snapshots")).toArray().size(), 1);
    bool found = false;
    for (const QJsonValue &v : o.value(QStringLiteral("types")).toArray())
        if (v.toObject().value(QStringLiteral("name")).toString() == QLatin1String("__main__.Leak")) {
            found = true;
            QCOMPARE(v.toObject().value(QStringLiteral("count")).toInteger(), 77);
        }
    QVERIFY(found);
}

// ---- record -----------------------------------------------------------

namespace {

const char s_leakyScript[] = R"PY(
import sys, time
class Leak:
    pass
_keep = []
n = int(sys.argv[1]) if len(sys.argv) > 1 else 12
for i in range(n):
    _keep.extend(Leak() for _ in range(50))
    time.sleep(0.1)
print("done", len(_keep))
)PY";

int snapshotCountFromSummary(const QString &err, const QString &file)
{
    const QRegularExpression re(QStringLiteral("^leakscope: (\\d+) snapshots in (.+?)( \\(.*\\))?$"),
                                QRegularExpression::MultilineOption);
    const QRegularExpressionMatch m = re.match(err);
    if (!m.hasMatch() || (!file.isEmpty() && m.captured(2) != file))
        return -1;
    return m.captured(1).toInt();
}

} // namespace

void TestCli::recordExitCodes_data()
{
    QTest::addColumn<QString>("script");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("stderrText");
    QTest::newRow("returns normally") << QStringLiteral("print('hi')") << 0 << QString();
    QTest::newRow("sys.exit(3)") << QStringLiteral("import sys; sys.exit(3)") << 3 << QString();
    QTest::newRow("uncaught exception") << QStringLiteral("raise RuntimeError('boom')") << 1 << QStringLiteral("RuntimeError: boom");
    QTest::newRow("sys.exit with a message") << QStringLiteral("import sys; sys.exit('bye now')") << 1 << QStringLiteral("bye now");
    QTest::newRow("killed by SIGKILL") << QStringLiteral("import os, signal; os.kill(os.getpid(), signal.SIGKILL)") << 128 + SIGKILL
                                       << QStringLiteral("leakscope: the program was killed by SIGKILL before its exit snapshot: "
                                                         "the last snapshot of this run is \"start\" (1 of 1)\n");
    QTest::newRow("os._exit") << QStringLiteral("import os; os._exit(0)") << 0
                              << QStringLiteral("leakscope: the program ended without running its exit handlers");
    // Python's own exit codes for these: 1 for a syntax error, 2 for a
    // script it cannot open (the row's script is then not written).
    QTest::newRow("syntax error") << QStringLiteral("x = 1\ndef f(:\n    pass") << 1
                                  << QStringLiteral("leakscope: nothing of the program was recorded: prog.py did not run: "
                                                    "SyntaxError: invalid syntax (line 2) (");
    QTest::newRow("missing script") << QString() << 2
                                    << QStringLiteral("leakscope: nothing of the program was recorded: prog.py was not found, "
                                                      "so none of it ran (");
}

void TestCli::recordExitCodes()
{
    QVERIFY2(agentAvailable(), "resources/python/leakscope_agent/_sitecustomize.py is missing");
    QFETCH(QString, script);
    QFETCH(int, code);
    QFETCH(QString, stderrText);
    QTemporaryDir dir;
    const QString path = QStringLiteral("prog.py"); // relative: as the messages name it
    if (!script.isEmpty())
        QVERIFY(writeText(dir.filePath(path), script.toUtf8() + '\n'));
    const QString out = dir.filePath(QStringLiteral("rec.lsnap"));
    const Run r = cli({QStringLiteral("record"), QStringLiteral("-o"), out, QStringLiteral("--"), python(), path}, dir.path());
    QVERIFY2(r.code == code, qPrintable(QStringLiteral("exit %1, stderr: %2").arg(r.code).arg(r.err)));
    if (!stderrText.isEmpty())
        QVERIFY2(r.err.contains(stderrText), qPrintable(r.err));
    if (stderrText.startsWith(QLatin1String("leakscope: nothing of the program"))) {
        // Never "2 snapshots in": the start and exit snapshots around a
        // program that never ran are not a recording of it, and the file
        // this run created is gone.
        QCOMPARE(snapshotCountFromSummary(r.err, QString()), -1);
        QVERIFY2(r.err.contains(QStringLiteral("(%1 removed)").arg(out)), qPrintable(r.err));
        QVERIFY(!QFileInfo::exists(out));
        return;
    }
    if (code == 128 + SIGKILL || stderrText.contains(QLatin1String("exit handlers"))) {
        // No atexit: only what was written before the kill (the start
        // snapshot), and the summary says so first.
        QCOMPARE(snapshotCountFromSummary(r.err, out), 1);
        return;
    }
    if (code == 0)
        QVERIFY(r.out.contains(QStringLiteral("hi")));
    QVERIFY2(snapshotCountFromSummary(r.err, out) >= 2, qPrintable(r.err)); // start and exit
}

void TestCli::recordLeakIsSuspect()
{
    QVERIFY2(agentAvailable(), "resources/python/leakscope_agent/_sitecustomize.py is missing");
    QTemporaryDir dir;
    const QString script = dir.filePath(QStringLiteral("leaky.py"));
    QVERIFY(writeText(script, s_leakyScript));
    const QString out = dir.filePath(QStringLiteral("leak.lsnap"));
    const Run r = cli({QStringLiteral("record"), QStringLiteral("--every"), QStringLiteral("0.2"), QStringLiteral("-o"), out,
                       QStringLiteral("--no-serve"), QStringLiteral("--"), python(), script, QStringLiteral("12")},
                      dir.path());
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY(r.out.contains(QStringLiteral("done 600")));
    const int n = snapshotCountFromSummary(r.err, out);
    QVERIFY2(n >= 3, qPrintable(r.err));
    // The summary is the leak report's text form.
    // The type, and (when its growth was steady over the snapshots that
    // recorded it) the list that holds it: without a heap graph nothing can
    // tell that its items are the Leak objects, so it is not folded.
    const bool container = r.err.contains(QStringLiteral(". _keep [container]"));
    QVERIFY2(r.err.contains(container ? QStringLiteral("Leak report: 2 leaks in leak.lsnap")
                                      : QStringLiteral("Leak report: 1 leak in leak.lsnap")),
             qPrintable(r.err));
    QVERIFY2(r.err.contains(QRegularExpression(QStringLiteral("\n[12]\\. __main__\\.Leak  \\+600 objects"))), qPrintable(r.err));
    if (container) {
        QVERIFY2(r.err.contains(QRegularExpression(QStringLiteral("\n[12]\\. _keep \\[container\\]  \\+\\d+ items\n"))),
                 qPrintable(r.err));
        QVERIFY2(r.err.contains(QStringLiteral("   held by: __main__._keep\n")), qPrintable(r.err));
    }

    const QJsonObject o = compareJsonOf({out});
    QCOMPARE(o.value(QStringLiteral("snapshots")).toArray().size(), n);
    bool found = false;
    for (const QJsonValue &v : o.value(QStringLiteral("types")).toArray()) {
        const QJsonObject t = v.toObject();
        if (t.value(QStringLiteral("name")).toString() != QLatin1String("__main__.Leak"))
            continue;
        found = true;
        QVERIFY(t.value(QStringLiteral("suspect")).toBool());
        const QJsonArray counts = t.value(QStringLiteral("counts")).toArray();
        QCOMPARE(counts.last().toInteger(), 600); // the exit snapshot sees every instance
        for (int i = 1; i < counts.size(); ++i)
            QVERIFY(counts.at(i).toInteger() >= counts.at(i - 1).toInteger());
        QVERIFY(counts.first().toInteger() < counts.last().toInteger());
    }
    QVERIFY(found);
    for (const QJsonValue &v : o.value(QStringLiteral("snapshots")).toArray())
        QVERIFY(v.toObject().value(QStringLiteral("pid")).toInteger() > 0);
}

void TestCli::recordExampleLeakyCache()
{
    QVERIFY2(agentAvailable(), "resources/python/leakscope_agent/_sitecustomize.py is missing");
    const QString example = QStringLiteral(LEAKSCOPE_SOURCE_DIR "/resources/examples/leaky_cache.py");
    QVERIFY2(QFileInfo::exists(example), "resources/examples/leaky_cache.py is missing");
    QTemporaryDir dir;
    const QString out = dir.filePath(QStringLiteral("cache.lsnap"));
    const Run r = cli({QStringLiteral("record"), QStringLiteral("--every"), QStringLiteral("0.2"), QStringLiteral("-o"), out,
                       QStringLiteral("--no-serve"), QStringLiteral("--"), python(), example, QStringLiteral("--iterations"),
                       QStringLiteral("20"), QStringLiteral("--interval"), QStringLiteral("0.05")},
                      dir.path());
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY2(snapshotCountFromSummary(r.err, out) >= 3, qPrintable(r.err));
    const QJsonObject o = compareJsonOf({out});
    QStringList suspects;
    for (const QJsonValue &v : o.value(QStringLiteral("types")).toArray())
        if (v.toObject().value(QStringLiteral("suspect")).toBool())
            suspects << v.toObject().value(QStringLiteral("name")).toString();
    QVERIFY2(suspects.contains(QStringLiteral("__main__.Session")), qPrintable(suspects.join(QLatin1Char(' '))));
}

void TestCli::recordModuleForm()
{
    QVERIFY2(agentAvailable(), "resources/python/leakscope_agent/_sitecustomize.py is missing");
    QTemporaryDir dir;
    QVERIFY(QDir(dir.path()).mkpath(QStringLiteral("pkg")));
    QVERIFY(writeText(dir.filePath(QStringLiteral("pkg/__init__.py")), ""));
    QVERIFY(writeText(dir.filePath(QStringLiteral("pkg/leakmod.py")), s_leakyScript));
    const Run r = cli({QStringLiteral("record"), QStringLiteral("--every=0.2"), QStringLiteral("--no-serve"), python(),
                       QStringLiteral("-m"), QStringLiteral("pkg.leakmod"), QStringLiteral("6")},
                      dir.path());
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const QStringList files = QDir(dir.path()).entryList({QStringLiteral("leakscope-*.lsnap")}, QDir::Files);
    QCOMPARE(files.size(), 1);
    const QRegularExpressionMatch m = QRegularExpression(QStringLiteral("^leakscope-pkg\\.leakmod-(\\d+)\\.lsnap$")).match(files.first());
    QVERIFY2(m.hasMatch(), qPrintable(files.first()));
    QVERIFY2(snapshotCountFromSummary(r.err, dir.filePath(files.first())) >= 3, qPrintable(r.err));
    // The pid in the name is the recorded process's own pid.
    const QJsonObject o = compareJsonOf({dir.filePath(files.first())});
    QCOMPARE(o.value(QStringLiteral("snapshots")).toArray().first().toObject().value(QStringLiteral("pid")).toInteger(),
             m.captured(1).toLongLong());
}

void TestCli::recordConsoleScript()
{
    QVERIFY2(agentAvailable(), "resources/python/leakscope_agent/_sitecustomize.py is missing");
    QTemporaryDir dir;
    const QString tool = dir.filePath(QStringLiteral("leaktool"));
    QVERIFY(writeText(tool, QByteArray("#!/usr/bin/env python3\n") + s_leakyScript));
    QVERIFY(QFile::setPermissions(tool, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));
    QProcessEnvironment env = environment();
    // `python3` on PATH must be the interpreter the tests use.
    env.insert(QStringLiteral("PATH"), QFileInfo(python()).absolutePath() + QLatin1Char(':') + env.value(QStringLiteral("PATH")));
    const Run r = cli({QStringLiteral("record"), QStringLiteral("--every"), QStringLiteral("0.2"), QStringLiteral("--no-serve"),
                       QStringLiteral("--"), tool, QStringLiteral("5")},
                      dir.path(), QByteArray(), env);
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY(r.out.contains(QStringLiteral("done 250")));
    const QStringList files = QDir(dir.path()).entryList({QStringLiteral("leakscope-leaktool-*.lsnap")}, QDir::Files);
    QCOMPARE(files.size(), 1);
    QVERIFY2(snapshotCountFromSummary(r.err, dir.filePath(files.first())) >= 3, qPrintable(r.err));
}

void TestCli::recordFromOtherCwdWithoutPythonPath()
{
    QVERIFY2(agentAvailable(), "resources/python/leakscope_agent/_sitecustomize.py is missing");
    QTemporaryDir scripts, cwd;
    const QString script = scripts.filePath(QStringLiteral("job.py"));
    QVERIFY(writeText(script, "import os\nprint('cwd', os.getcwd())\n"));
    QProcessEnvironment env = environment();
    QVERIFY(!env.contains(QStringLiteral("PYTHONPATH")));
    const Run r = cli({QStringLiteral("record"), QStringLiteral("-o"), QStringLiteral("rel.lsnap"), QStringLiteral("--no-serve"),
                       QStringLiteral("--"), python(), script},
                      cwd.path(), QByteArray(), env);
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY(r.out.contains(QStringLiteral("cwd ") + QDir(cwd.path()).canonicalPath()) || r.out.contains(QStringLiteral("cwd ") + cwd.path()));
    QVERIFY(QFileInfo::exists(cwd.filePath(QStringLiteral("rel.lsnap"))));
    QVERIFY2(snapshotCountFromSummary(r.err, QString()) >= 2, qPrintable(r.err));
}

void TestCli::recordChainsUserSitecustomize()
{
    QVERIFY2(agentAvailable(), "resources/python/leakscope_agent/_sitecustomize.py is missing");
    QTemporaryDir dir, userSite;
    QVERIFY(writeText(userSite.filePath(QStringLiteral("sitecustomize.py")),
                      "import os\nprint('user sitecustomize ran', flush=True)\nos.environ['USER_SITE_MARK'] = '1'\n"));
    const QString script = dir.filePath(QStringLiteral("check.py"));
    QVERIFY(writeText(script, "import os\nprint('mark', os.environ.get('USER_SITE_MARK'))\n"
                              "print('record vars', sorted(k for k in os.environ if k.startswith('LEAKSCOPE_RECORD_')))\n"));
    QProcessEnvironment env = environment();
    env.insert(QStringLiteral("PYTHONPATH"), userSite.path());
    const QString out = dir.filePath(QStringLiteral("chain.lsnap"));
    const Run r = cli({QStringLiteral("record"), QStringLiteral("-o"), out, QStringLiteral("--no-serve"), QStringLiteral("--"),
                       python(), script},
                      dir.path(), QByteArray(), env);
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY2(r.out.contains(QStringLiteral("user sitecustomize ran")), qPrintable(r.out));
    QVERIFY2(r.out.contains(QStringLiteral("mark 1")), qPrintable(r.out));
    // Children of the recorded process must not record too.
    QVERIFY2(r.out.contains(QStringLiteral("record vars []")), qPrintable(r.out));
    QVERIFY2(snapshotCountFromSummary(r.err, out) >= 2, qPrintable(r.err));
}

void TestCli::recordPassesStdin()
{
    QVERIFY2(agentAvailable(), "resources/python/leakscope_agent/_sitecustomize.py is missing");
    QTemporaryDir dir;
    const QString script = dir.filePath(QStringLiteral("upper.py"));
    QVERIFY(writeText(script, "import sys\nsys.stdout.write(sys.stdin.read().upper())\n"));
    const Run r = cli({QStringLiteral("record"), QStringLiteral("-o"), dir.filePath(QStringLiteral("in.lsnap")),
                       QStringLiteral("--no-serve"), QStringLiteral("--"), python(), script},
                      dir.path(), "hello through stdin\n");
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QCOMPARE(r.out, QStringLiteral("HELLO THROUGH STDIN\n"));
}

void TestCli::recordForwardsSignals_data()
{
    QTest::addColumn<int>("signal");
    QTest::addColumn<int>("code");
    QTest::addColumn<int>("minSnapshots");
    // KeyboardInterrupt: Python runs atexit (the exit snapshot), then dies of SIGINT.
    QTest::newRow("SIGINT") << int(SIGINT) << 128 + SIGINT << 2;
    QTest::newRow("SIGTERM") << int(SIGTERM) << 128 + SIGTERM << 0;
}

void TestCli::recordForwardsSignals()
{
    QVERIFY2(agentAvailable(), "resources/python/leakscope_agent/_sitecustomize.py is missing");
    QFETCH(int, signal);
    QFETCH(int, code);
    QFETCH(int, minSnapshots);
    QTemporaryDir dir;
    const QString script = dir.filePath(QStringLiteral("wait.py"));
    QVERIFY(writeText(script, "import time\nprint('ready', flush=True)\nwhile True:\n    time.sleep(0.05)\n"));
    const QString out = dir.filePath(QStringLiteral("sig.lsnap"));
    QProcess p;
    p.setProcessEnvironment(environment());
    p.setWorkingDirectory(dir.path());
    p.start(cliPath(), {QStringLiteral("record"), QStringLiteral("-o"), out, QStringLiteral("--no-serve"), QStringLiteral("--"),
                        python(), script});
    QVERIFY(p.waitForStarted());
    QByteArray stdoutText;
    QTRY_VERIFY_WITH_TIMEOUT((stdoutText += p.readAllStandardOutput()).contains("ready"), 30000);
    QCOMPARE(::kill(pid_t(p.processId()), signal), 0);
    QVERIFY(p.waitForFinished(30000));
    QCOMPARE(p.exitStatus(), QProcess::NormalExit); // the CLI itself survived and reported
    QCOMPARE(p.exitCode(), code);
    const QString err = QString::fromUtf8(p.readAllStandardError());
    if (minSnapshots > 0)
        QVERIFY2(snapshotCountFromSummary(err, out) >= minSnapshots, qPrintable(err));
    else
        QVERIFY2(err.contains(QStringLiteral("leakscope: ")), qPrintable(err));
}

void TestCli::recordCommandNotFound()
{
    QTemporaryDir dir;
    const Run r = cli({QStringLiteral("record"), QStringLiteral("--"), QStringLiteral("no-such-command-xyz"), QStringLiteral("a")},
                      dir.path());
    QCOMPARE(r.code, 127);
    QCOMPARE(r.errLines().size(), 1);
    QVERIFY2(r.err.contains(QStringLiteral("no-such-command-xyz: command not found")), qPrintable(r.err));
    QVERIFY(QDir(dir.path()).entryList(QDir::Files).isEmpty());
}

void TestCli::recordGraphAccepted()
{
    // --graph records like any run (tst_graphcommands checks the graphs).
    const QString out = m_dir.filePath(QStringLiteral("graph.lsnap"));
    const Run r = cli({QStringLiteral("record"), QStringLiteral("--graph"), QStringLiteral("-o"), out, QStringLiteral("--"),
                       python(), QStringLiteral("-c"), QStringLiteral("pass")});
    QCOMPARE(r.code, 0);
    QVERIFY2(r.err.contains(QStringLiteral("snapshots in")), qPrintable(r.err));
    QVERIFY(QFile::exists(out));
}

void TestCli::recordRefusesUnwritableOutput_data()
{
    QTest::addColumn<QString>("output"); // relative to a fresh directory, or absolute
    QTest::addColumn<QString>("error");
    // /proc refuses new files even to root.
    QTest::newRow("directory refuses new files")
        << QStringLiteral("/proc/self/run.lsnap") << QStringLiteral("/proc/self/run.lsnap: cannot create files in /proc/self");
    QTest::newRow("a file that is not Leakscope's")
        << QStringLiteral("notes.txt") << QStringLiteral("notes.txt: not a Leakscope file; record only appends to its own files");
    QTest::newRow("missing directory") << QStringLiteral("no/such/run.lsnap") << QStringLiteral("no/such: no such directory");
}

void TestCli::recordRefusesUnwritableOutput()
{
    QFETCH(QString, output);
    QFETCH(QString, error);
    QTemporaryDir dir;
    QVERIFY(writeText(dir.filePath(QStringLiteral("notes.txt")), "my notes\n"));
    // The program would leave a mark; refused before it starts, it leaves none.
    const QString mark = dir.filePath(QStringLiteral("ran"));
    const Run r = cli({QStringLiteral("record"), QStringLiteral("-o"), output, QStringLiteral("--"), python(), QStringLiteral("-c"),
                       QStringLiteral("open(%1, 'w').close()").arg(QLatin1Char('\'') + mark + QLatin1Char('\''))},
                      dir.path());
    QCOMPARE(r.code, 2);
    QCOMPARE(r.errLines().size(), 1);
    QVERIFY2(r.err.startsWith(QStringLiteral("leakscope-cli: ")) && r.err.contains(error), qPrintable(r.err));
    QVERIFY(r.out.isEmpty());
    QVERIFY(!QFileInfo::exists(mark));
    QFile notes(dir.filePath(QStringLiteral("notes.txt")));
    QVERIFY(notes.open(QIODevice::ReadOnly));
    QCOMPARE(notes.readAll(), QByteArray("my notes\n"));
}

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
