#include "testutil/readertestutil.h"
#include "lsnap/snapshotreader.h"
#include "lsnap/snapshotwriter.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace leakscope;
using namespace readertest;

class TestSnapshotWriter : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void roundTrip_data();
    void roundTrip();
    void schemaMatchesAgent();
    void appendToAgentFile();
    void twoWritersShareTypes();
    void openRefuses_data();
    void openRefuses();
    void appendWithoutOpen();
    void writeFileFailures_data();
    void writeFileFailures();
    void writeFileReplaces();
    void oddFileNames_data();
    void oddFileNames();

private:
    QString path(const QString &name) const { return m_dir.filePath(name); }
    static ProcessResult python(const QString &script, const QStringList &args);
    static Snapshot makeSnapshot(TypeRegistry &types, int k, bool withTime);
    QStringList temporaries() const;
    QTemporaryDir m_dir;
};

void TestSnapshotWriter::initTestCase()
{
    QVERIFY(m_dir.isValid());
}

ProcessResult TestSnapshotWriter::python(const QString &script, const QStringList &args)
{
    return runProcess(QStringLiteral(LEAKSCOPE_PYTHON), QStringList{QStringLiteral("-c"), script} + args);
}

QStringList TestSnapshotWriter::temporaries() const
{
    return QDir(m_dir.path()).entryList({QStringLiteral("*.tmp-*")}, QDir::Files | QDir::Hidden);
}

Snapshot TestSnapshotWriter::makeSnapshot(TypeRegistry &types, int k, bool withTime)
{
    Snapshot s;
    SnapshotInfo &info = s.info;
    info.label = k == 2 ? QString() : QStringLiteral("snäpshot %1 ✓").arg(k);
    if (withTime)
        info.takenAt = QDateTime::fromMSecsSinceEpoch(1767225600123LL + 1500 * k, Qt::UTC);
    info.pid = withTime ? 1234 : 0;
    info.rss = withTime ? 5000000 + k : -1;
    info.gcObjects = withTime ? 100 * k : -1;
    info.gcGarbage = withTime ? k : -1;
    info.pythonVersion = withTime ? QStringLiteral("3.11.7") : QString();
    info.argv = withTime ? QStringList{QStringLiteral("app.py"), QStringLiteral("--n=%1").arg(k)} : QStringList();
    info.meta.insert(QStringLiteral("custom"), QJsonArray{1, QStringLiteral("two")});
    info.origin = withTime ? SnapshotOrigin::Live : SnapshotOrigin::ObjgraphGrowthLog;
    info.hasSizes = withTime;
    info.partial = !withTime;
    const QStringList names{QStringLiteral("dict"), QStringLiteral("__main__.Leaky"), QStringLiteral("模块.Typ"),
                            QStringLiteral("logging.Logger")};
    // Registry ids in an order unrelated to the file's, and one zero count
    // (not stored, so not read back).
    for (int i = names.size() - 1; i >= 0; --i)
        types.intern(names.at(i));
    for (const QString &name : names) {
        const qint64 count = name == QLatin1String("logging.Logger") && k == 1 ? 0 : 10 * k + name.size();
        s.stats.push_back(TypeStat{types.find(name), count, withTime ? count * 48 : 0});
    }
    std::sort(s.stats.begin(), s.stats.end(), [](const TypeStat &a, const TypeStat &b) { return a.type < b.type; });
    return s;
}

void TestSnapshotWriter::roundTrip_data()
{
    QTest::addColumn<bool>("withTime");
    QTest::addColumn<int>("count");
    QTest::newRow("live snapshots with times, sizes, argv") << true << 3;
    QTest::newRow("objgraph imports: no time, no sizes, partial") << false << 3;
    QTest::newRow("no snapshots at all") << true << 0;
}

void TestSnapshotWriter::roundTrip()
{
    QFETCH(bool, withTime);
    QFETCH(int, count);
    TypeRegistry types;
    std::vector<Snapshot> snapshots;
    for (int k = 1; k <= count; ++k)
        snapshots.push_back(makeSnapshot(types, k, withTime));
    std::vector<const Snapshot *> pointers;
    for (const Snapshot &s : snapshots)
        pointers.push_back(&s);

    const QString file = path(QStringLiteral("roundtrip-%1-%2.lsnap").arg(withTime).arg(count));
    const Status written = SnapshotWriter::writeFile(file, pointers, types);
    QVERIFY2(written.ok(), qPrintable(written.error()));
    QCOMPARE(temporaries(), QStringList());
    QCOMPARE(sideFiles(file), QStringList());

    const auto result = SnapshotReader::read(file);
    QVERIFY2(result.ok(), qPrintable(result.error()));
    const LoadedFile &loaded = result.value();
    QCOMPARE(loaded.formatVersion, 1);
    QCOMPARE(loaded.fileMeta.value(QLatin1String("writer")).toString(), QStringLiteral("leakscope 0.1.0"));
    QCOMPARE(loaded.fileMeta.value(QLatin1String("format_version")).toString(), QStringLiteral("1"));
    QCOMPARE(loaded.fileMeta.value(QLatin1String("byte_order")).toString(), QStringLiteral("little"));
    QVERIFY(QDateTime::fromString(loaded.fileMeta.value(QLatin1String("created_at")).toString(), Qt::ISODate).isValid());
    QCOMPARE(int(loaded.snapshots.size()), count);
    for (int k = 0; k < count; ++k) {
        const SnapshotInfo &in = snapshots[size_t(k)].info;
        const SnapshotInfo &out = loaded.snapshots[size_t(k)].info;
        QCOMPARE(out.id, qint64(k + 1));
        QCOMPARE(out.label, in.label);
        QCOMPARE(out.takenAt, in.takenAt);
        QCOMPARE(out.pid, in.pid);
        QCOMPARE(out.rss, in.rss);
        QCOMPARE(out.gcObjects, in.gcObjects);
        QCOMPARE(out.gcGarbage, in.gcGarbage);
        QCOMPARE(out.pythonVersion, in.pythonVersion);
        QCOMPARE(out.argv, in.argv);
        QCOMPARE(out.origin, in.origin);
        QCOMPARE(out.hasSizes, in.hasSizes);
        QCOMPARE(out.partial, in.partial);
        QCOMPARE(out.meta.value(QLatin1String("custom")), in.meta.value(QLatin1String("custom")));

        std::map<QString, std::pair<qint64, qint64>> expected, got;
        for (const TypeStat &s : snapshots[size_t(k)].stats) {
            if (s.count > 0)
                expected[types.name(s.type)] = {s.count, s.size};
        }
        for (const TypeStat &s : loaded.snapshots[size_t(k)].stats)
            got[loaded.types.name(s.type)] = {s.count, s.size};
        QVERIFY(got == expected);
    }
}

void TestSnapshotWriter::schemaMatchesAgent()
{
    // The same tables, columns, types, constraints and pragmas as the agent writes.
    const QString ours = path(QStringLiteral("schema-ours.lsnap"));
    const QString agents = path(QStringLiteral("schema-agent.lsnap"));
    TypeRegistry types;
    const Snapshot s = makeSnapshot(types, 1, true);
    QVERIFY(SnapshotWriter::writeFile(ours, {&s}, types).ok());
    ProcessResult r = python(QStringLiteral("import sys; sys.path.insert(0, sys.argv[1]); import leakscope_agent;"
                                            "leakscope_agent.snapshot(sys.argv[2])"),
                             {agentPath(), agents});
    QVERIFY2(r.exitCode == 0, r.err.constData());

    const QString dump = QStringLiteral(
        "import sqlite3, sys, json\n"
        "c = sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', uri=True)\n"
        "out = {'app': c.execute('pragma application_id').fetchone()[0],\n"
        "       'version': c.execute('pragma user_version').fetchone()[0],\n"
        "       'meta_keys': sorted(r[0] for r in c.execute('select key from meta'))}\n"
        "for t in ('meta', 'snapshot', 'type', 'type_count'):\n"
        "    out[t] = c.execute('pragma table_xinfo(%s)' % t).fetchall()\n"
        "    out[t + '_indexes'] = sorted((r[2], r[3]) for r in c.execute('pragma index_list(%s)' % t))\n"
        "    out[t + '_fk'] = c.execute('pragma foreign_key_list(%s)' % t).fetchall()\n"
        "    out[t + '_without_rowid'] = 'WITHOUT ROWID' in c.execute(\"select sql from sqlite_schema where name=?\", (t,)).fetchone()[0].upper()\n"
        "print(json.dumps(out, sort_keys=True))\n");
    const ProcessResult a = python(dump, {ours});
    const ProcessResult b = python(dump, {agents});
    QVERIFY2(a.exitCode == 0 && b.exitCode == 0, QByteArray(a.err + b.err).constData());
    const QJsonObject oursSchema = QJsonDocument::fromJson(a.out).object();
    QCOMPARE(oursSchema.value(QLatin1String("app")).toInteger(), qint64(0x4C534E50));
    QCOMPARE(oursSchema.value(QLatin1String("version")).toInteger(), qint64(1));
    QCOMPARE(QString::fromUtf8(a.out), QString::fromUtf8(b.out));
}

void TestSnapshotWriter::appendToAgentFile()
{
    const QString file = path(QStringLiteral("shared.lsnap"));
    const QString agentScript = QStringLiteral(
        "import sys; sys.path.insert(0, sys.argv[1]); import leakscope_agent\n"
        "class Leaky: pass\n"
        "keep = [Leaky() for _ in range(int(sys.argv[3]))]\n"
        "leakscope_agent.snapshot(sys.argv[2], label=sys.argv[4])\n");
    ProcessResult r = python(agentScript, {agentPath(), file, QStringLiteral("50"), QStringLiteral("agent 1")});
    QVERIFY2(r.exitCode == 0, r.err.constData());

    TypeRegistry types;
    Snapshot ours;
    ours.info.label = QStringLiteral("ours");
    ours.info.takenAt = QDateTime::currentDateTimeUtc();
    ours.stats.push_back(TypeStat{types.intern(QStringLiteral("__main__.Leaky")), 77, 77 * 48});
    ours.stats.push_back(TypeStat{types.intern(QStringLiteral("brand.NewType")), 3, 0});
    {
        SnapshotWriter writer;
        const Status opened = writer.open(file);
        QVERIFY2(opened.ok(), qPrintable(opened.error()));
        QCOMPARE(writer.path(), file);
        const auto id = writer.append(ours, types);
        QVERIFY2(id.ok(), qPrintable(id.error()));
        QCOMPARE(id.value(), qint64(2));
    }
    // And the agent appends to a file we wrote to.
    r = python(agentScript, {agentPath(), file, QStringLiteral("60"), QStringLiteral("agent 3")});
    QVERIFY2(r.exitCode == 0, r.err.constData());

    const auto result = SnapshotReader::read(file);
    QVERIFY2(result.ok(), qPrintable(result.error()));
    const LoadedFile &loaded = result.value();
    QCOMPARE(int(loaded.snapshots.size()), 3);
    QCOMPARE(loaded.snapshots[0].info.label, QStringLiteral("agent 1"));
    QCOMPARE(loaded.snapshots[1].info.label, QStringLiteral("ours"));
    QCOMPARE(loaded.snapshots[2].info.label, QStringLiteral("agent 3"));
    const int leaky = loaded.types.find(QStringLiteral("__main__.Leaky"));
    QVERIFY(leaky >= 0);
    const qint64 expected[] = {50, 77, 60};
    for (int k = 0; k < 3; ++k) {
        const auto &stats = loaded.snapshots[size_t(k)].stats;
        const auto it = std::find_if(stats.begin(), stats.end(), [&](const TypeStat &s) { return s.type == leaky; });
        QVERIFY(it != stats.end());
        QCOMPARE(it->count, expected[k]);
    }
    // Type rows reused by name, never duplicated.
    r = python(QStringLiteral("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]);"
                              "print(c.execute(\"select count(*), count(distinct name) from type\").fetchone(),"
                              " c.execute(\"select count(*) from type where name='__main__.Leaky'\").fetchone()[0])"),
               {file});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const QByteArray counts = r.out.trimmed();
    const QList<QByteArray> parts = counts.mid(1).split(')');
    const QList<QByteArray> pair = parts.at(0).split(',');
    QCOMPARE(pair.at(0).trimmed(), pair.at(1).trimmed());
    QCOMPARE(parts.at(1).trimmed(), QByteArray("1"));
    QCOMPARE(sideFiles(file), QStringList());
}

void TestSnapshotWriter::twoWritersShareTypes()
{
    const QString file = path(QStringLiteral("two-writers.lsnap"));
    SnapshotWriter a;
    SnapshotWriter b;
    QVERIFY(a.open(file).ok());
    QVERIFY(b.open(file).ok());
    TypeRegistry types;
    Snapshot s;
    s.info.takenAt = QDateTime::currentDateTimeUtc();
    s.stats.push_back(TypeStat{types.intern(QStringLiteral("dict")), 5, 0});
    s.stats.push_back(TypeStat{types.intern(QStringLiteral("x.Y")), 1, 0});
    for (int round = 0; round < 3; ++round) {
        auto ida = a.append(s, types);
        auto idb = b.append(s, types);
        QVERIFY2(ida.ok() && idb.ok(), qPrintable(ida.error() + idb.error()));
        QCOMPARE(idb.value(), ida.value() + 1);
    }
    a.close();
    b.close();
    const auto result = SnapshotReader::read(file);
    QVERIFY2(result.ok(), qPrintable(result.error()));
    QCOMPARE(int(result.value().snapshots.size()), 6);
    QCOMPARE(result.value().types.size(), 2);
}

void TestSnapshotWriter::openRefuses_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QStringList>("reason");
    QTest::newRow("text file") << QStringLiteral("text")
                               << QStringList{QStringLiteral("not a Leakscope file"), QStringLiteral("not a SQLite")};
    QTest::newRow("foreign application_id") << QStringLiteral("foreign")
                                            << QStringList{QStringLiteral("another application")};
    QTest::newRow("plain sqlite") << QStringLiteral("plain") << QStringList{QStringLiteral("another application")};
    QTest::newRow("future version") << QStringLiteral("future")
                                    << QStringList{QStringLiteral("newer Leakscope"), QStringLiteral("format 99")};
    QTest::newRow("our id, version 0") << QStringLiteral("version0")
                                       << QStringList{QStringLiteral("not a Leakscope file")};
    QTest::newRow("cut inside the header") << QStringLiteral("cut") << QStringList{QStringLiteral("truncated")};
    QTest::newRow("directory") << QStringLiteral("directory") << QStringList{QStringLiteral("directory")};
    QTest::newRow("missing directory") << QStringLiteral("nodir")
                                       << QStringList{QStringLiteral("directory does not exist")};
}

void TestSnapshotWriter::openRefuses()
{
    QFETCH(QString, kind);
    QFETCH(QStringList, reason);
    QString file = path(QStringLiteral("refuse-") + kind + QStringLiteral(".lsnap"));
    if (kind == QLatin1String("text")) {
        QVERIFY(writeBytes(file, "dict 12 +3\n"));
    } else if (kind == QLatin1String("cut")) {
        QVERIFY(writeBytes(file, QByteArray("SQLite format 3\0\x10\x00", 18)));
    } else if (kind == QLatin1String("directory")) {
        QVERIFY(QDir().mkpath(file));
    } else if (kind == QLatin1String("nodir")) {
        file = path(QStringLiteral("no/such/dir/x.lsnap"));
    } else {
        const ProcessResult r = runProcess(QStringLiteral(LEAKSCOPE_PYTHON),
                                           {dataFile("make_lsnap.py"), file, kind});
        QVERIFY2(r.exitCode == 0, r.err.constData());
    }
    const FileState before = fileState(file);
    SnapshotWriter writer;
    const Status status = writer.open(file);
    QVERIFY(!status.ok());
    QVERIFY2(status.error().startsWith(file + QStringLiteral(": ")), qPrintable(status.error()));
    for (const QString &word : reason)
        QVERIFY2(status.error().contains(word), qPrintable(status.error()));
    QVERIFY(fileState(file) == before);
    QCOMPARE(sideFiles(file), QStringList());
    // And append after a refused open fails cleanly.
    TypeRegistry types;
    QVERIFY(!writer.append(Snapshot(), types).ok());
}

void TestSnapshotWriter::appendWithoutOpen()
{
    SnapshotWriter writer;
    TypeRegistry types;
    const auto id = writer.append(Snapshot(), types);
    QVERIFY(!id.ok());
    QVERIFY(id.error().contains(QLatin1String("not open")));
}

void TestSnapshotWriter::writeFileFailures_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("reason");
    QTest::newRow("directory does not exist") << QStringLiteral("nodir") << QStringLiteral("directory does not exist");
    QTest::newRow("target is a directory") << QStringLiteral("isdir") << QStringLiteral("is a directory");
    QTest::newRow("place nobody can create files in") << QStringLiteral("proc")
                                                      << QStringLiteral("cannot create the temporary file");
    QTest::newRow("snapshot with an unknown type id, old file kept") << QStringLiteral("badtype")
                                                                     << QStringLiteral("unknown type id");
    QTest::newRow("negative count, old file kept") << QStringLiteral("negative") << QStringLiteral("negative");
    QTest::newRow("empty type name, old file kept") << QStringLiteral("emptyname") << QStringLiteral("empty name");
}

void TestSnapshotWriter::writeFileFailures()
{
    QFETCH(QString, kind);
    QFETCH(QString, reason);
    TypeRegistry types;
    Snapshot good = makeSnapshot(types, 1, true);
    Snapshot bad = makeSnapshot(types, 2, true);
    QString file = path(QStringLiteral("fail-") + kind + QStringLiteral(".lsnap"));
    std::vector<const Snapshot *> snapshots{&good};
    if (kind == QLatin1String("nodir")) {
        file = path(QStringLiteral("missing-dir/out.lsnap"));
    } else if (kind == QLatin1String("isdir")) {
        QVERIFY(QDir().mkpath(file));
    } else if (kind == QLatin1String("proc")) {
        file = QStringLiteral("/proc/leakscope-test.lsnap");
    } else {
        QVERIFY(SnapshotWriter::writeFile(file, {&good}, types).ok());
        if (kind == QLatin1String("badtype"))
            bad.stats.push_back(TypeStat{types.size() + 5, 1, 0});
        else if (kind == QLatin1String("emptyname"))
            bad.stats.push_back(TypeStat{types.intern(QString()), 1, 0});
        else
            bad.stats.front().count = -1;
        snapshots = {&good, &bad};
    }
    const FileState before = fileState(file);
    const Status status = SnapshotWriter::writeFile(file, snapshots, types);
    QVERIFY(!status.ok());
    QVERIFY2(status.error().startsWith(file + QStringLiteral(": ")), qPrintable(status.error()));
    QVERIFY2(status.error().contains(reason), qPrintable(status.error()));
    QVERIFY(fileState(file) == before);
    QCOMPARE(temporaries(), QStringList());
    const QString dir = QFileInfo(file).absolutePath();
    if (QFileInfo(dir).isDir())
        QCOMPARE(QDir(dir).entryList({QStringLiteral("*.tmp-*")}, QDir::Files | QDir::Hidden), QStringList());
}

void TestSnapshotWriter::writeFileReplaces()
{
    const QString file = path(QStringLiteral("replace.lsnap"));
    QVERIFY(writeBytes(file, "an older file of any kind"));
    TypeRegistry types;
    const Snapshot a = makeSnapshot(types, 1, true);
    const Snapshot b = makeSnapshot(types, 3, true);
    QVERIFY(SnapshotWriter::writeFile(file, {&a, &b}, types).ok());
    QCOMPARE(temporaries(), QStringList());
    const auto result = SnapshotReader::read(file);
    QVERIFY2(result.ok(), qPrintable(result.error()));
    QCOMPARE(int(result.value().snapshots.size()), 2);
    QCOMPARE(result.value().snapshots[1].info.label, b.info.label);
}

void TestSnapshotWriter::oddFileNames_data()
{
    QTest::addColumn<QString>("name");
    // Characters that mean something in a SQLite URI, and non-ASCII.
    QTest::newRow("question mark") << QStringLiteral("what?mode=rw.lsnap");
    QTest::newRow("hash") << QStringLiteral("run #3.lsnap");
    QTest::newRow("percent escape") << QStringLiteral("a%20b%.lsnap");
    QTest::newRow("non-ASCII") << QStringLiteral("snapshots-äöü-日本.lsnap");
}

void TestSnapshotWriter::oddFileNames()
{
    QFETCH(QString, name);
    const QString file = path(name);
    TypeRegistry types;
    const Snapshot s = makeSnapshot(types, 1, true);
    QVERIFY(SnapshotWriter::writeFile(file, {&s}, types).ok());
    {
        SnapshotWriter writer;
        QVERIFY(writer.open(file).ok());
        QVERIFY(writer.append(s, types).ok());
    }
    const auto result = SnapshotReader::read(file);
    QVERIFY2(result.ok(), qPrintable(result.error()));
    QCOMPARE(int(result.value().snapshots.size()), 2);
    // Nothing was created under a name SQLite might have cut at '?' or '#'.
    const QString cut = name.section(QLatin1Char('?'), 0, 0).section(QLatin1Char('#'), 0, 0);
    if (cut != name)
        QVERIFY(!QFileInfo::exists(path(cut)));
    QVERIFY(QFileInfo(file).size() > 0);
    QCOMPARE(temporaries(), QStringList());
}

QTEST_GUILESS_MAIN(TestSnapshotWriter)
#include "tst_snapshotwriter.moc"
