// leakscope-cli compare --json / --pretty / --csv / -o, streamed by
// JsonWriter: the real binary on a file the real agent recorded and on files
// written with plain sqlite3, checked against the QJsonDocument the command
// built before it streamed (rebuilt here from the same Session).
#include "cli/inputfiles.h"
#include "core/growth.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace leakscope;

// Declared first: moc reads no further than it must past the raw strings below.
class TestCompareJson : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void sameDocumentAsBefore_data();
    void sameDocumentAsBefore();
    void prettyParsesTheSame();
    void manySnapshotsGiveValidJson();
    void csvMatchesTheRows();
    void outputFileOnlyWhenComplete();

private:
    bool writeFile(const QString &path, int snapshots, int types, int per);

    QTemporaryDir m_dir;
    QString m_recorded;
    QString m_written;
    QString m_window;
};

namespace {

struct Run
{
    int code = -1;
    QByteArray out;
    QString err;
};

Run cli(const QStringList &args, const QString &cwd)
{
    QProcess p;
    p.setWorkingDirectory(cwd);
    p.start(QStringLiteral(LEAKSCOPE_BIN_DIR "/leakscope-cli"), args);
    Run r;
    if (!p.waitForStarted(10000))
        return r;
    p.closeWriteChannel();
    if (!p.waitForFinished(120000)) {
        p.kill();
        p.waitForFinished();
        r.err = QStringLiteral("TIMEOUT");
        return r;
    }
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
    r.out = p.readAllStandardOutput();
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

QByteArray readBytes(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// The document exactly as ComparisonExport::toJson built it with QJsonObject
// before the output was streamed (commit 9dc194b).
QJsonValue numberOrNull(double v)
{
    return std::isfinite(v) ? QJsonValue(v) : QJsonValue(QJsonValue::Null);
}

QJsonObject oldDocument(const Session &session, const Comparison &comparison)
{
    QJsonArray snapshots;
    for (int i = 0; i < session.snapshotCount(); ++i) {
        const Snapshot &s = session.snapshot(i);
        QJsonObject o;
        o.insert(QStringLiteral("index"), i + 1); // numbered from 1, as the timeline shows
        o.insert(QStringLiteral("id"), s.info.id);
        o.insert(QStringLiteral("label"), s.info.label.isNull() ? QJsonValue(QJsonValue::Null) : QJsonValue(s.info.label));
        o.insert(QStringLiteral("taken_at"), s.info.takenAt.isValid()
                                                 ? QJsonValue(double(s.info.takenAt.toMSecsSinceEpoch()) / 1000.0)
                                                 : QJsonValue(QJsonValue::Null));
        o.insert(QStringLiteral("pid"), s.info.pid);
        o.insert(QStringLiteral("rss"), s.info.rss >= 0 ? QJsonValue(s.info.rss) : QJsonValue(QJsonValue::Null));
        o.insert(QStringLiteral("objects"), s.totalObjects());
        o.insert(QStringLiteral("source"), s.info.sourceFile);
        snapshots.append(o);
    }
    QJsonArray types;
    for (const GrowthRow &r : comparison.rows) {
        QJsonObject o;
        o.insert(QStringLiteral("name"), session.types().name(r.type));
        QJsonArray counts, sizes;
        for (int i = 0; i < session.snapshotCount(); ++i) {
            counts.append(session.count(i, r.type));
            sizes.append(session.size(i, r.type));
        }
        o.insert(QStringLiteral("counts"), counts);
        o.insert(QStringLiteral("sizes"), sizes);
        o.insert(QStringLiteral("count"), r.count);
        o.insert(QStringLiteral("delta"), r.deltaBaseline);
        o.insert(QStringLiteral("delta_previous"), r.deltaPrevious);
        o.insert(QStringLiteral("delta_first"), r.deltaFirst);
        o.insert(QStringLiteral("delta_percent"), numberOrNull(r.deltaPercent));
        o.insert(QStringLiteral("delta_peak"), r.deltaPeak);
        o.insert(QStringLiteral("size"), r.size);
        o.insert(QStringLiteral("delta_size"), r.deltaSize);
        o.insert(QStringLiteral("suspect"), r.verdict.suspect);
        o.insert(QStringLiteral("score"), r.verdict.score);
        o.insert(QStringLiteral("reason"), r.verdict.reason);
        o.insert(QStringLiteral("slope_per_snapshot"), numberOrNull(r.verdict.slopePerSnapshot));
        o.insert(QStringLiteral("slope_per_minute"), numberOrNull(r.verdict.slopePerMinute));
        o.insert(QStringLiteral("r2"), r.verdict.r2);
        types.append(o);
    }
    QJsonObject root;
    root.insert(QStringLiteral("format"), QStringLiteral("leakscope-comparison"));
    root.insert(QStringLiteral("version"), 1);
    root.insert(QStringLiteral("baseline"), comparison.baseline + 1);
    root.insert(QStringLiteral("current"), comparison.current + 1);
    root.insert(QStringLiteral("snapshots"), snapshots);
    root.insert(QStringLiteral("types"), types);
    return root;
}

QJsonObject parse(const QByteArray &bytes)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(bytes, &error);
    if (error.error != QJsonParseError::NoError)
        qWarning() << "invalid JSON:" << error.errorString() << "at" << error.offset << bytes.mid(error.offset - 40, 80);
    return doc.object();
}

// Writes a .lsnap with plain sqlite3 as docs/file-format.md describes it:
// argv[2] snapshots, argv[3] types of which each snapshot lists a moving
// window of argv[4]; hostile names (quotes, backslashes, control
// characters, non-ASCII, astral plane) and labels, NULL labels and rss.
const char s_writer[] = R"PY(
import json, sqlite3, sys
path, snapshots, types, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
db = sqlite3.connect(path, isolation_level=None)
db.execute("PRAGMA application_id = 1280527952")
db.execute("PRAGMA user_version = 1")
db.execute("BEGIN")
db.execute("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)")
db.execute("CREATE TABLE snapshot(id INTEGER PRIMARY KEY, label TEXT, taken_at REAL NOT NULL, pid INTEGER NOT NULL, rss INTEGER, gc_objects INTEGER NOT NULL, gc_garbage INTEGER NOT NULL, meta_json TEXT NOT NULL)")
db.execute("CREATE TABLE type(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)")
db.execute("CREATE TABLE type_count(snapshot INTEGER NOT NULL, type INTEGER NOT NULL, count INTEGER NOT NULL, size INTEGER NOT NULL, PRIMARY KEY(snapshot, type)) WITHOUT ROWID")
db.execute("INSERT INTO meta VALUES ('format_version', '1'), ('writer', 'tst_comparejson')")
odd = ['quote"d', 'back\\slash', 'tab\tnew\nline\x01\x1f', 'caf\u00e9.\u00fcber', 'emoji.\U0001F600', 'sp ace,comma']
names = [odd[t] if t < len(odd) else "mod%d.Type%d" % (t % 7, t) for t in range(types)]
db.executemany("INSERT INTO type VALUES (?, ?)", [(t + 1, n) for t, n in enumerate(names)])
for k in range(snapshots):
    label = None if k % 3 == 1 else "snap \"%d\"\u2028" % k
    taken = 0 if snapshots > 100 and k == 0 else 1767225600.25 + k * 1.5
    rss = None if k % 4 == 3 else 1000000 + k
    db.execute("INSERT INTO snapshot VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
               (k + 1, label, taken, 77, rss, 1000, 0, json.dumps({"python": "3.11.2", "argv": ["x"]})))
    start = (k * 3) % types if per < types else 0
    for t in sorted({(start + j) % types for j in range(per)}):
        count = 5 + t + (k * (t % 3))
        db.execute("INSERT INTO type_count VALUES (?, ?, ?, ?)", (k + 1, t + 1, count, count * (16 + t)))
db.execute("COMMIT")
)PY";

// A small leaking program for `record`.
const char s_leaky[] = R"PY(
import time
class Leak:
    pass
keep = []
for i in range(8):
    keep.extend(Leak() for _ in range(40))
    time.sleep(0.1)
print("done", len(keep))
)PY";

} // namespace


bool TestCompareJson::writeFile(const QString &path, int snapshots, int types, int per)
{
    QFile::remove(path);
    QProcess p;
    p.start(QStringLiteral(LEAKSCOPE_PYTHON), {QStringLiteral("-c"), QString::fromUtf8(s_writer), path,
                                               QString::number(snapshots), QString::number(types), QString::number(per)});
    if (!p.waitForFinished(120000) || p.exitCode() != 0) {
        qWarning() << p.readAllStandardError();
        return false;
    }
    return true;
}

void TestCompareJson::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_written = m_dir.filePath(QStringLiteral("written.lsnap"));
    QVERIFY(writeFile(m_written, 7, 12, 12));
    m_window = m_dir.filePath(QStringLiteral("window.lsnap"));
    QVERIFY(writeFile(m_window, 9, 20, 6)); // types come and go

    // A file the real agent recorded from a real Python process.
    const QString script = m_dir.filePath(QStringLiteral("leaky.py"));
    QFile f(script);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(s_leaky);
    f.close();
    m_recorded = m_dir.filePath(QStringLiteral("recorded.lsnap"));
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("XDG_CACHE_HOME"), m_dir.filePath(QStringLiteral("cache")));
    env.remove(QStringLiteral("PYTHONPATH"));
    p.setProcessEnvironment(env);
    p.setWorkingDirectory(m_dir.path());
    p.start(QStringLiteral(LEAKSCOPE_BIN_DIR "/leakscope-cli"),
            {QStringLiteral("record"), QStringLiteral("--every"), QStringLiteral("0.2"), QStringLiteral("-o"), m_recorded,
             QStringLiteral("--no-serve"), QStringLiteral("--"), QStringLiteral(LEAKSCOPE_PYTHON), script});
    QVERIFY(p.waitForFinished(120000));
    QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
    QVERIFY(QFileInfo::exists(m_recorded));
}

void TestCompareJson::sameDocumentAsBefore_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QStringList>("options");
    QTest::addColumn<int>("baselineMode");
    QTest::addColumn<int>("top");
    const int first = int(BaselineMode::First);
    QTest::newRow("recorded by the agent") << QStringLiteral("recorded.lsnap") << QStringList() << first << 0;
    QTest::newRow("written, hostile names") << QStringLiteral("written.lsnap") << QStringList() << first << 0;
    QTest::newRow("types come and go") << QStringLiteral("window.lsnap") << QStringList() << first << 0;
    QTest::newRow("baseline previous") << QStringLiteral("window.lsnap")
                                       << QStringList{QStringLiteral("--baseline"), QStringLiteral("previous")}
                                       << int(BaselineMode::Previous) << 0;
    QTest::newRow("top 3") << QStringLiteral("recorded.lsnap")
                           << QStringList{QStringLiteral("--top"), QStringLiteral("3")} << first << 3;
}

void TestCompareJson::sameDocumentAsBefore()
{
    QFETCH(QString, file);
    QFETCH(QStringList, options);
    QFETCH(int, baselineMode);
    QFETCH(int, top);
    const QString path = m_dir.filePath(file);
    const Run r = cli(QStringList{QStringLiteral("compare"), QStringLiteral("--json")} + options + QStringList{path},
                      m_dir.path());
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QJsonObject streamed = parse(r.out);
    QVERIFY(!streamed.isEmpty());
    // The container keys (issue 14) come after the comparison's own, from
    // ContainersReport; tst_containers checks their content.
    QVERIFY(streamed.value(QStringLiteral("containers")).isArray());
    QVERIFY(streamed.contains(QStringLiteral("memory_outside_python")));
    streamed.remove(QStringLiteral("containers"));
    streamed.remove(QStringLiteral("memory_outside_python"));

    Expected<Session> read = InputFiles::readSession({path});
    QVERIFY2(read, qPrintable(read.error()));
    const Session &session = read.value();
    const int current = session.snapshotCount() - 1;
    const int baseline = GrowthAnalysis::resolveBaseline(session, BaselineMode(baselineMode), 0, current);
    Comparison comparison = GrowthAnalysis::compare(session, baseline, current);
    GrowthAnalysis::sortForReport(comparison.rows, session);
    if (top > 0 && int(comparison.rows.size()) > top)
        comparison.rows.resize(size_t(top));
    const QJsonObject expected = oldDocument(session, comparison);

    QCOMPARE(streamed.keys(), expected.keys());
    QCOMPARE(streamed.value(QStringLiteral("snapshots")), expected.value(QStringLiteral("snapshots")));
    const QJsonArray gotTypes = streamed.value(QStringLiteral("types")).toArray();
    const QJsonArray wantTypes = expected.value(QStringLiteral("types")).toArray();
    QCOMPARE(gotTypes.size(), wantTypes.size());
    for (qsizetype i = 0; i < gotTypes.size(); ++i)
        QCOMPARE(gotTypes.at(i).toObject(), wantTypes.at(i).toObject());
    QCOMPARE(streamed, expected);
    // Real content, not two empty documents.
    QVERIFY(gotTypes.size() >= (top > 0 ? top : 3));
    if (file == QLatin1String("recorded.lsnap")) {
        QCOMPARE(gotTypes.at(0).toObject().value(QStringLiteral("name")).toString(), QStringLiteral("__main__.Leak"));
        QCOMPARE(gotTypes.at(0).toObject().value(QStringLiteral("counts")).toArray().last().toInteger(), 320);
    }
    if (file == QLatin1String("written.lsnap")) {
        QStringList names;
        for (const QJsonValue &t : gotTypes)
            names << t.toObject().value(QStringLiteral("name")).toString();
        for (const QString &odd : {QStringLiteral("quote\"d"), QStringLiteral("back\\slash"),
                                   QStringLiteral("tab\tnew\nline\x01\x1f"), QStringLiteral("caf\u00e9.\u00fcber"),
                                   QString::fromUtf8("emoji.\xF0\x9F\x98\x80")})
            QVERIFY2(names.contains(odd), qPrintable(odd));
        QVERIFY(r.out.contains("\\u0001")); // control characters escaped in the bytes
        QVERIFY(!r.out.contains('\t'));
    }
    // Compact: one line.
    QCOMPARE(r.out.count('\n'), 1);
    QVERIFY(r.out.endsWith('\n'));
}

void TestCompareJson::prettyParsesTheSame()
{
    for (const QString &path : {m_recorded, m_written, m_window}) {
        const Run compact = cli({QStringLiteral("compare"), QStringLiteral("--json"), path}, m_dir.path());
        const Run pretty = cli({QStringLiteral("compare"), QStringLiteral("--json"), QStringLiteral("--pretty"), path},
                               m_dir.path());
        QVERIFY2(compact.code == 0 && pretty.code == 0, qPrintable(compact.err + pretty.err));
        QVERIFY(pretty.out.count('\n') > 20);
        QVERIFY(pretty.out.startsWith("{\n    \"baseline\": "));
        QVERIFY(pretty.out.size() > compact.out.size());
        const QJsonObject a = parse(compact.out);
        QVERIFY(!a.isEmpty());
        QCOMPARE(parse(pretty.out), a);
    }
    const Run bad = cli({QStringLiteral("compare"), QStringLiteral("--pretty"), m_written}, m_dir.path());
    QCOMPARE(bad.code, 2);
    QVERIFY2(bad.err.contains(QStringLiteral("--pretty only applies to --json")), qPrintable(bad.err));
}

void TestCompareJson::manySnapshotsGiveValidJson()
{
    const QString path = m_dir.filePath(QStringLiteral("many.lsnap"));
    const int n = 3000;
    QVERIFY(writeFile(path, n, 40, 8));
    const Run r = cli({QStringLiteral("compare"), QStringLiteral("--json"), path}, m_dir.path());
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const QJsonObject o = parse(r.out);
    const QJsonArray snapshots = o.value(QStringLiteral("snapshots")).toArray();
    QCOMPARE(snapshots.size(), n);
    // The first snapshot has no time (taken_at 0), the others do.
    QVERIFY(snapshots.at(0).toObject().value(QStringLiteral("taken_at")).isNull());
    QCOMPARE(snapshots.at(n - 1).toObject().value(QStringLiteral("taken_at")).toDouble(), 1767225600.25 + (n - 1) * 1.5);
    QVERIFY(snapshots.at(1).toObject().value(QStringLiteral("label")).isNull());
    QVERIFY(snapshots.at(3).toObject().value(QStringLiteral("rss")).isNull());
    const QJsonArray types = o.value(QStringLiteral("types")).toArray();
    QCOMPARE(types.size(), 40);
    for (const QJsonValue &v : types) {
        const QJsonObject t = v.toObject();
        const QJsonArray counts = t.value(QStringLiteral("counts")).toArray();
        const QJsonArray sizes = t.value(QStringLiteral("sizes")).toArray();
        QCOMPARE(counts.size(), n);
        QCOMPARE(sizes.size(), n);
        // What the writer put in: type t (0-based, id t+1) in snapshot k
        // when k's window of 8 covers it.
        const QString name = t.value(QStringLiteral("name")).toString();
        int index = -1;
        const QStringList odd{QStringLiteral("quote\"d"), QStringLiteral("back\\slash"),
                              QStringLiteral("tab\tnew\nline\x01\x1f"), QStringLiteral("caf\u00e9.\u00fcber"),
                              QString::fromUtf8("emoji.\xF0\x9F\x98\x80"), QStringLiteral("sp ace,comma")};
        index = int(odd.indexOf(name));
        if (index < 0)
            index = name.mid(name.indexOf(QStringLiteral(".Type")) + 5).toInt();
        for (int k = 0; k < n; k += 97) {
            const int start = (k * 3) % 40;
            const bool present = (index - start + 40) % 40 < 8;
            const qint64 count = present ? 5 + index + k * (index % 3) : 0;
            QCOMPARE(counts.at(k).toInteger(), count);
            QCOMPARE(sizes.at(k).toInteger(), count * (16 + index));
        }
    }
}

void TestCompareJson::csvMatchesTheRows()
{
    const Run json = cli({QStringLiteral("compare"), QStringLiteral("--json"), m_window}, m_dir.path());
    const Run csv = cli({QStringLiteral("compare"), QStringLiteral("--csv"), m_window}, m_dir.path());
    QVERIFY2(json.code == 0 && csv.code == 0, qPrintable(json.err + csv.err));
    const QJsonArray types = parse(json.out).value(QStringLiteral("types")).toArray();
    // Records end in CRLF; a bare LF inside a quoted name is no record end.
    QList<QByteArray> lines;
    for (qsizetype from = 0, at; (at = csv.out.indexOf("\r\n", from)) >= 0; from = at + 2)
        lines.append(csv.out.mid(from, at - from) + '\r');
    QCOMPARE(lines.size(), types.size() + 1); // header, rows
    QVERIFY(csv.out.endsWith("\r\n"));
    QVERIFY(lines.at(0).endsWith(",count_7,count_8\r"));
    for (qsizetype i = 0; i < types.size(); ++i) {
        const QJsonObject t = types.at(i).toObject();
        QByteArray tail;
        for (const QJsonValue &c : t.value(QStringLiteral("counts")).toArray())
            tail += ',' + QByteArray::number(c.toInteger());
        QVERIFY2(lines.at(i + 1).endsWith(QByteArray(tail + '\r')), lines.at(i + 1).constData());
        const QByteArray name = t.value(QStringLiteral("name")).toString().toUtf8();
        // RFC 4180: a name with a comma, quote or line break is quoted, quotes doubled.
        const bool quoted = name.contains(',') || name.contains('"') || name.contains('\n');
        const QByteArray field = quoted ? '"' + QByteArray(name).replace("\"", "\"\"") + '"' : name;
        QVERIFY2(lines.at(i + 1).startsWith(QByteArray(field + ',')), lines.at(i + 1).constData());
    }
}

void TestCompareJson::outputFileOnlyWhenComplete()
{
    QTemporaryDir dir;
    const QString out = dir.filePath(QStringLiteral("out.json"));
    const Run ok = cli({QStringLiteral("compare"), QStringLiteral("--json"), QStringLiteral("-o"), out, m_written},
                       dir.path());
    QVERIFY2(ok.code == 0, qPrintable(ok.err));
    QVERIFY(ok.out.isEmpty());
    const Run stdoutRun = cli({QStringLiteral("compare"), QStringLiteral("--json"), m_written}, dir.path());
    QCOMPARE(readBytes(out), stdoutRun.out);

    // A file cut in the middle of its type_count pages: compare fails, the
    // existing output stays as it was and no new or temporary file appears.
    const QString big = dir.filePath(QStringLiteral("big.lsnap"));
    QVERIFY(writeFile(big, 400, 300, 300));
    QByteArray bytes = readBytes(big);
    QVERIFY(bytes.size() > 1000000);
    const QString cut = dir.filePath(QStringLiteral("cut.lsnap"));
    QFile c(cut);
    QVERIFY(c.open(QIODevice::WriteOnly));
    // Keep the header's page count: the pages past the middle are zeros.
    bytes.replace(bytes.size() / 2, bytes.size() / 2, QByteArray(bytes.size() / 2, '\0'));
    c.write(bytes);
    c.close();
    const QByteArray before = readBytes(out);
    const QStringList entries = QDir(dir.path()).entryList(QDir::Files);
    for (const QString &format : {QStringLiteral("--json"), QStringLiteral("--csv")}) {
        const Run bad = cli({QStringLiteral("compare"), format, QStringLiteral("-o"), out, cut}, dir.path());
        QCOMPARE(bad.code, 2);
        QVERIFY2(bad.err.contains(QStringLiteral("cut.lsnap")), qPrintable(bad.err));
        QCOMPARE(readBytes(out), before);
        const QString fresh = dir.filePath(QStringLiteral("fresh.out"));
        const Run bad2 = cli({QStringLiteral("compare"), format, QStringLiteral("--output"), fresh, cut}, dir.path());
        QCOMPARE(bad2.code, 2);
        QVERIFY(!QFileInfo::exists(fresh));
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files), entries);
    }
    // A directory that cannot take the file: an error naming it, exit 2.
    const Run denied = cli({QStringLiteral("compare"), QStringLiteral("--json"), QStringLiteral("-o"),
                            dir.filePath(QStringLiteral("no/such/dir/out.json")), m_written},
                           dir.path());
    QCOMPARE(denied.code, 2);
    QVERIFY2(denied.err.contains(QStringLiteral("cannot write")), qPrintable(denied.err));
}

QTEST_GUILESS_MAIN(TestCompareJson)
#include "tst_comparejson.moc"
