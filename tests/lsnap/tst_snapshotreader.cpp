#include "testutil/readertestutil.h"
#include "lsnap/snapshotreader.h"
#include "lsnap/snapshotwriter.h"
#include "lsnap/sqlitedatabase.h"

#include <QDir>
#include <QElapsedTimer>
#include <QProcess>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>

#include <sys/stat.h>

using namespace leakscope;
using namespace readertest;

class TestSnapshotReader : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void readsFileWrittenFromTheSpec();
    void readsWalFiles_data();
    void readsWalFiles();
    void agentRoundTrip();
    void badFiles_data();
    void badFiles();
    void flippedBytes_data();
    void flippedBytes();
    void progressAndCancel();
    void hotJournal();
    void appendRefusesStoredSql_data();
    void appendRefusesStoredSql();
    void readWhileAgentAppends();
    void permissionDenied();

private:
    QString path(const QString &name) const { return m_dir.filePath(name); }
    // Runs make_lsnap.py; returns what it says it wrote.
    QJsonObject makeLsnap(const QString &file, const char *kind, int snapshots = 3, int types = 5);
    static void checkInvariants(const LoadedFile &file);

    QTemporaryDir m_dir;
};

void TestSnapshotReader::initTestCase()
{
    QVERIFY(m_dir.isValid());
}

QJsonObject TestSnapshotReader::makeLsnap(const QString &file, const char *kind, int snapshots, int types)
{
    const ProcessResult r = runProcess(QStringLiteral(LEAKSCOPE_PYTHON),
                                       {dataFile("make_lsnap.py"), file, QLatin1String(kind),
                                        QString::number(snapshots), QString::number(types)});
    if (r.exitCode != 0) {
        qWarning("make_lsnap.py failed: %s", r.err.constData());
        return QJsonObject();
    }
    return QJsonDocument::fromJson(r.out).object();
}

void TestSnapshotReader::checkInvariants(const LoadedFile &file)
{
    for (const Snapshot &s : file.snapshots) {
        int previous = -1;
        for (const TypeStat &stat : s.stats) {
            QVERIFY2(stat.type > previous, "type ids sorted and unique");
            QVERIFY(stat.type < file.types.size());
            QVERIFY(stat.count >= 0);
            QVERIFY(stat.size >= 0);
            previous = stat.type;
        }
        QCOMPARE(s.info.sourceFile, file.path);
    }
}

void TestSnapshotReader::readsFileWrittenFromTheSpec()
{
    const QString file = path(QStringLiteral("spec.lsnap"));
    const QJsonObject written = makeLsnap(file, "good");
    const QJsonArray expected = written.value(QLatin1String("snapshots")).toArray();
    QCOMPARE(expected.size(), 3);

    const auto before = fileState(file);
    const auto result = SnapshotReader::read(file);
    QVERIFY2(result.ok(), qPrintable(result.error()));
    const LoadedFile &loaded = result.value();
    QCOMPARE(loaded.format, FileFormat::Lsnap);
    QCOMPARE(loaded.formatVersion, 1);
    QCOMPARE(loaded.path, file);
    QCOMPARE(loaded.fileMeta.value(QLatin1String("writer")).toString(), QStringLiteral("make_lsnap.py"));
    QCOMPARE(loaded.fileMeta.value(QLatin1String("format_version")).toString(), QStringLiteral("1"));
    QCOMPARE(int(loaded.snapshots.size()), expected.size());
    checkInvariants(loaded);

    for (int i = 0; i < expected.size(); ++i) {
        const QJsonObject e = expected.at(i).toObject();
        const SnapshotInfo &info = loaded.snapshots[size_t(i)].info;
        QCOMPARE(info.id, e.value(QLatin1String("id")).toInteger());
        QCOMPARE(info.label, e.value(QLatin1String("label")).toString());
        QCOMPARE(info.takenAt.timeSpec(), Qt::UTC);
        QCOMPARE(info.takenAt.toMSecsSinceEpoch(),
                 qint64(e.value(QLatin1String("taken_at")).toDouble() * 1000.0 + 0.5));
        QCOMPARE(info.pid, e.value(QLatin1String("pid")).toInteger());
        QCOMPARE(info.rss, e.value(QLatin1String("rss")).isNull() ? -1 : e.value(QLatin1String("rss")).toInteger());
        QCOMPARE(info.gcObjects, e.value(QLatin1String("gc_objects")).toInteger());
        QCOMPARE(info.gcGarbage, e.value(QLatin1String("gc_garbage")).toInteger());
        const QJsonObject meta = e.value(QLatin1String("meta")).toObject();
        QCOMPARE(info.meta, meta);
        QCOMPARE(info.pythonVersion, meta.value(QLatin1String("python")).toString());
        QStringList argv;
        for (const QJsonValue &v : meta.value(QLatin1String("argv")).toArray())
            argv.append(v.toString());
        QCOMPARE(info.argv, argv);
        QCOMPARE(info.origin, SnapshotOrigin::Agent);
        QVERIFY(info.hasSizes);
        QVERIFY(!info.partial);
        QCOMPARE(info.sourceFile, file);

        const QJsonObject counts = e.value(QLatin1String("counts")).toObject();
        const auto &stats = loaded.snapshots[size_t(i)].stats;
        QCOMPARE(int(stats.size()), counts.size());
        for (const TypeStat &stat : stats) {
            const QJsonArray pair = counts.value(loaded.types.name(stat.type)).toArray();
            QCOMPARE(stat.count, pair.at(0).toInteger());
            QCOMPARE(stat.size, pair.at(1).toInteger());
        }
    }
    QVERIFY(fileState(file) == before);
    QCOMPARE(sideFiles(file), QStringList());
}

void TestSnapshotReader::readsWalFiles_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<bool>("walLeftBehind");
    QTest::newRow("WAL mode, checkpointed, no -wal file") << QStringLiteral("wal") << false;
    QTest::newRow("committed data still in a leftover -wal file") << QStringLiteral("wal-leftover") << true;
}

void TestSnapshotReader::readsWalFiles()
{
    QFETCH(QString, kind);
    QFETCH(bool, walLeftBehind);
    const QString file = path(kind + QStringLiteral(".lsnap"));
    const QJsonObject written = makeLsnap(file, kind.toUtf8().constData());
    QCOMPARE(written.value(QLatin1String("snapshots")).toArray().size(), 3);
    const QStringList sideBefore = sideFiles(file);
    QCOMPARE(sideBefore.contains(file + QStringLiteral("-wal")), walLeftBehind);
    const auto before = fileState(file);

    const auto result = SnapshotReader::read(file);
    QVERIFY2(result.ok(), qPrintable(result.error()));
    QCOMPARE(int(result.value().snapshots.size()), 3);
    checkInvariants(result.value());
    QVERIFY(fileState(file) == before);
    if (!walLeftBehind)
        QCOMPARE(sideFiles(file), QStringList());
    else
        QVERIFY(fileState(file + QStringLiteral("-wal")).exists);
}

void TestSnapshotReader::agentRoundTrip()
{
    const QString file = path(QStringLiteral("agent.lsnap"));
    const QString script = QStringLiteral(
        "import os, sys\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "import leakscope_agent\n"
        "class Leaky:\n"
        "    pass\n"
        "keep = []\n"
        "leakscope_agent.snapshot(sys.argv[2], label='before')\n"
        "keep.extend(Leaky() for _ in range(500))\n"
        "leakscope_agent.snapshot(sys.argv[2], label='after')\n"
        "print(os.getpid(), '%d.%d.%d' % sys.version_info[:3])\n");
    const ProcessResult r =
        runProcess(QStringLiteral(LEAKSCOPE_PYTHON), {QStringLiteral("-c"), script, agentPath(), file});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const QList<QByteArray> printed = r.out.trimmed().split(' ');
    QCOMPARE(printed.size(), 2);

    const auto result = SnapshotReader::read(file);
    QVERIFY2(result.ok(), qPrintable(result.error()));
    const LoadedFile &loaded = result.value();
    QCOMPARE(loaded.fileMeta.value(QLatin1String("format_version")).toString(), QStringLiteral("1"));
    QVERIFY(loaded.fileMeta.value(QLatin1String("writer")).toString().startsWith(QLatin1String("leakscope_agent")));
    QCOMPARE(int(loaded.snapshots.size()), 2);
    checkInvariants(loaded);
    const Snapshot &before = loaded.snapshots[0];
    const Snapshot &after = loaded.snapshots[1];
    QCOMPARE(before.info.label, QStringLiteral("before"));
    QCOMPARE(after.info.label, QStringLiteral("after"));
    for (const Snapshot *s : {&before, &after}) {
        QCOMPARE(s->info.pid, printed.at(0).toLongLong());
        QCOMPARE(s->info.pythonVersion, QString::fromLatin1(printed.at(1)));
        QCOMPARE(s->info.origin, SnapshotOrigin::Agent);
        QVERIFY(s->info.hasSizes);
        QVERIFY(s->info.takenAt.isValid());
        QVERIFY(qAbs(s->info.takenAt.secsTo(QDateTime::currentDateTimeUtc())) < 600);
        QVERIFY(s->info.gcObjects > 0);
        QVERIFY(!s->info.argv.isEmpty());
        QVERIFY(s->totalObjects() > 100);
        QVERIFY(s->totalSize() > 0);
    }
    QVERIFY(before.info.takenAt <= after.info.takenAt);

    const int leaky = loaded.types.find(QStringLiteral("__main__.Leaky"));
    QVERIFY(leaky >= 0);
    auto countOf = [&](const Snapshot &s) {
        for (const TypeStat &stat : s.stats) {
            if (stat.type == leaky)
                return stat.count;
        }
        return qint64(0);
    };
    QCOMPARE(countOf(after) - countOf(before), qint64(500));
    QCOMPARE(sideFiles(file), QStringList());
}

void TestSnapshotReader::badFiles_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QStringList>("reason");
    const QStringList corrupt{QStringLiteral("truncated or corrupt")};
    const QStringList malformed{QStringLiteral("malformed")};
    const QStringList notOurs{QStringLiteral("not a Leakscope or objgraph file")};
    const QStringList foreign{QStringLiteral("not a Leakscope file"), QStringLiteral("another application")};
    const QStringList badJson{QStringLiteral("malformed objgraph typestats JSON")};

    QTest::newRow("missing file") << QStringLiteral("missing") << QStringList{QStringLiteral("no such file")};
    QTest::newRow("empty file") << QStringLiteral("empty") << QStringList{QStringLiteral("empty file")};
    QTest::newRow("directory") << QStringLiteral("directory") << QStringList{QStringLiteral("directory")};
    QTest::newRow("named pipe (must not block)")
        << QStringLiteral("fifo") << QStringList{QStringLiteral("not a regular file")};
    QTest::newRow("garbage bytes") << QStringLiteral("garbage-bytes") << notOurs;
    QTest::newRow("text garbage") << QStringLiteral("text-garbage") << notOurs;
    QTest::newRow("json array, not an object") << QStringLiteral("json-array") << notOurs;
    QTest::newRow("sqlite magic only (50 bytes)") << QStringLiteral("cut-50") << corrupt;
    QTest::newRow("truncated to 100 bytes") << QStringLiteral("cut-100") << corrupt;
    QTest::newRow("truncated to half") << QStringLiteral("cut-half") << corrupt;
    QTest::newRow("last page cut short") << QStringLiteral("cut-last-page-part") << corrupt;
    QTest::newRow("last page missing") << QStringLiteral("cut-last-page") << corrupt;
    // Pages that no table uses: the data reads fine, only the check finds it,
    // inline for a small file and on the parallel connection for a big one.
    QTest::newRow("orphan page, small file") << QStringLiteral("orphan-small") << corrupt;
    QTest::newRow("orphan page, big file") << QStringLiteral("orphan-big") << corrupt;
    QTest::newRow("foreign application_id") << QStringLiteral("foreign") << foreign;
    QTest::newRow("plain sqlite without pragmas") << QStringLiteral("plain") << foreign;
    QTest::newRow("future user_version 99")
        << QStringLiteral("future")
        << QStringList{QStringLiteral("written by a newer Leakscope"), QStringLiteral("format 99")};
    QTest::newRow("our application_id, user_version 0")
        << QStringLiteral("version0") << QStringList{QStringLiteral("not a Leakscope file")};
    QTest::newRow("no snapshot table")
        << QStringLiteral("no-snapshot-table") << QStringList{QStringLiteral("not a Leakscope file")};
    // SQL stored in the file is refused, never run (issue 12, item 9).
    const QStringList storedSql{QStringLiteral("contains SQL that Leakscope never runs")};
    QTest::newRow("snapshot is a view") << QStringLiteral("view-snapshot") << (storedSql + QStringList{QStringLiteral("view \"snapshot\"")});
    QTest::newRow("a trigger") << QStringLiteral("trigger") << (storedSql + QStringList{QStringLiteral("trigger \"grow\"")});
    QTest::newRow("an extra view, escape in its name") << QStringLiteral("extra-view") << (storedSql + QStringList{QStringLiteral("view \"ev?[31mil\"")});
    QTest::newRow("a virtual table") << QStringLiteral("virtual-table") << (storedSql + QStringList{QStringLiteral("virtual table \"vt\"")});
    QTest::newRow("negative count") << QStringLiteral("negative-count") << malformed;
    QTest::newRow("negative size") << QStringLiteral("negative-size") << malformed;
    QTest::newRow("count of 2^62 (sums would overflow)") << QStringLiteral("huge-count") << malformed;
    QTest::newRow("count stored as text") << QStringLiteral("count-as-text") << malformed;
    QTest::newRow("count refers to a missing type") << QStringLiteral("dangling-type") << malformed;
    QTest::newRow("count refers to a missing snapshot") << QStringLiteral("dangling-snapshot") << malformed;
    QTest::newRow("meta_json not JSON") << QStringLiteral("bad-meta-json") << malformed;
    QTest::newRow("meta_json an array") << QStringLiteral("meta-json-array") << malformed;
    QTest::newRow("taken_at is text") << QStringLiteral("text-taken-at") << malformed;
    QTest::newRow("negative pid") << QStringLiteral("negative-pid") << malformed;
    QTest::newRow("type name twice") << QStringLiteral("duplicate-type-name") << malformed;
    QTest::newRow("typestats: negative count") << QStringLiteral("json-negative") << badJson;
    QTest::newRow("typestats: string count") << QStringLiteral("json-string") << badJson;
    QTest::newRow("typestats: fractional count") << QStringLiteral("json-fraction") << badJson;
    QTest::newRow("typestats: cut off") << QStringLiteral("json-cut") << badJson;
    QTest::newRow("typestats: count of 2^62") << QStringLiteral("json-huge") << badJson;
}

void TestSnapshotReader::badFiles()
{
    QFETCH(QString, kind);
    QFETCH(QStringList, reason);
    const QString file = path(QStringLiteral("bad-") + kind + QStringLiteral(".lsnap"));

    auto cutGoodFile = [&](auto newSize) {
        const QString good = path(QStringLiteral("good-for-cut.lsnap"));
        if (!QFileInfo::exists(good))
            makeLsnap(good, "good", 40, 300);
        const QByteArray bytes = readBytes(good);
        QVERIFY(bytes.size() > 8 * 4096);
        QVERIFY(writeBytes(file, bytes.left(newSize(bytes.size()))));
    };
    if (kind == QLatin1String("missing")) {
        // nothing to create
    } else if (kind == QLatin1String("empty")) {
        QVERIFY(writeBytes(file, QByteArray()));
    } else if (kind == QLatin1String("directory")) {
        QVERIFY(QDir().mkpath(file));
    } else if (kind == QLatin1String("fifo")) {
        QCOMPARE(::mkfifo(QFile::encodeName(file).constData(), 0600), 0);
    } else if (kind == QLatin1String("garbage-bytes")) {
        QByteArray bytes;
        for (int i = 0; i < 10000; ++i)
            bytes.append(char((i * 7919 + 13) % 256));
        QVERIFY(writeBytes(file, bytes));
    } else if (kind == QLatin1String("text-garbage")) {
        QVERIFY(writeBytes(file, "Lorem ipsum dolor sit amet\nconsectetur 12 adipiscing\n\n+5 -3 7\n"));
    } else if (kind == QLatin1String("json-array")) {
        QVERIFY(writeBytes(file, "[[\"dict\", 12], [\"list\", 3]]\n"));
    } else if (kind == QLatin1String("json-negative")) {
        QVERIFY(writeBytes(file, "{\"dict\": 12, \"list\": -3}"));
    } else if (kind == QLatin1String("json-string")) {
        QVERIFY(writeBytes(file, "{\"dict\": \"12\"}"));
    } else if (kind == QLatin1String("json-fraction")) {
        QVERIFY(writeBytes(file, "{\"dict\": 12.5}"));
    } else if (kind == QLatin1String("json-huge")) {
        QVERIFY(writeBytes(file, "{\"dict\": 4611686018427387904}"));
    } else if (kind == QLatin1String("json-cut")) {
        QVERIFY(writeBytes(file, "{\"dict\": 12, \"li"));
    } else if (kind == QLatin1String("cut-50")) {
        cutGoodFile([](qsizetype) { return 50; });
    } else if (kind == QLatin1String("cut-100")) {
        cutGoodFile([](qsizetype) { return 100; });
    } else if (kind == QLatin1String("cut-half")) {
        cutGoodFile([](qsizetype n) { return n / 2; });
    } else if (kind == QLatin1String("cut-last-page-part")) {
        cutGoodFile([](qsizetype n) { return n - 100; });
    } else if (kind == QLatin1String("cut-last-page")) {
        cutGoodFile([](qsizetype n) { return n - 4096; });
    } else if (kind.startsWith(QLatin1String("orphan"))) {
        const bool big = kind == QLatin1String("orphan-big");
        const QString good = path(kind + QStringLiteral("-good.lsnap"));
        QVERIFY(!makeLsnap(good, "good", big ? 60 : 3, big ? 300 : 5).isEmpty());
        QByteArray bytes = readBytes(good);
        QVERIFY(big ? bytes.size() > 256 * 1024 : bytes.size() < 256 * 1024);
        QVERIFY(SnapshotReader::read(good).ok());
        // One more zeroed page, counted in the header (offset 28, big-endian).
        bytes.append(QByteArray(4096, '\0'));
        const quint32 pages = quint32(bytes.size() / 4096);
        for (int i = 0; i < 4; ++i)
            bytes[28 + i] = char((pages >> (24 - 8 * i)) & 0xff);
        QVERIFY(writeBytes(file, bytes));
    } else {
        QVERIFY(!makeLsnap(file, kind.toUtf8().constData()).isEmpty() || QFileInfo::exists(file));
    }

    const FileState before = fileState(file);
    const auto result = SnapshotReader::read(file);
    QVERIFY2(!result.ok(), "a bad file must not read as good");
    const QString error = result.error();
    QVERIFY2(error.startsWith(file + QStringLiteral(": ")), qPrintable(error));
    QVERIFY2(!error.contains(QLatin1Char('\n')), qPrintable(error));
    for (const QString &word : reason)
        QVERIFY2(error.contains(word), qPrintable(error + QStringLiteral(" lacks ") + word));
    QVERIFY(fileState(file) == before);
    QCOMPARE(sideFiles(file), QStringList());
}

void TestSnapshotReader::flippedBytes_data()
{
    QTest::addColumn<QString>("where");
    QTest::addColumn<int>("seed");
    // Offsets are resolved against the file in flippedBytes(): "header+N",
    // "page2+N", "middle+N", "end-N".
    const char *rows[][2] = {
        {"magic byte", "header+3"},          {"page size", "header+16"},
        {"page count", "header+31"},         {"text encoding", "header+56"},
        {"user_version", "header+63"},       {"application_id", "header+71"},
        {"page 1 b-tree header", "header+100"}, {"schema text on page 1", "header+3900"},
        {"page 2 type byte", "page2+0"},     {"page 2 cell count", "page2+4"},
        {"page 2 cell pointer", "page2+9"},  {"page 2 content end", "page2+4000"},
        {"middle page header", "middle+0"},  {"middle of a middle page", "middle+2048"},
        {"last page header", "last+0"},      {"last byte", "end-1"},
    };
    for (const auto &row : rows)
        QTest::newRow(row[0]) << QString::fromLatin1(row[1]) << 0;
    for (int seed = 1; seed <= 12; ++seed)
        QTest::newRow(qPrintable(QStringLiteral("16 random bytes, seed %1").arg(seed))) << QString() << seed;
}

void TestSnapshotReader::flippedBytes()
{
    QFETCH(QString, where);
    QFETCH(int, seed);
    const QString good = path(QStringLiteral("good-for-flip.lsnap"));
    if (!QFileInfo::exists(good))
        QVERIFY(!makeLsnap(good, "good", 40, 300).isEmpty());
    QByteArray bytes = readBytes(good);
    const qsizetype pageSize = 4096;
    QVERIFY(bytes.size() > 8 * pageSize);
    QCOMPARE(bytes.size() % pageSize, 0);

    if (seed == 0) {
        const qsizetype pages = bytes.size() / pageSize;
        const qsizetype sign = where.indexOf(QLatin1Char('+')) >= 0 ? where.indexOf(QLatin1Char('+'))
                                                                     : where.indexOf(QLatin1Char('-'));
        const QString base = where.left(sign);
        const qsizetype delta = where.mid(sign).toLongLong();
        qsizetype offset = 0;
        if (base == QLatin1String("page2"))
            offset = pageSize;
        else if (base == QLatin1String("middle"))
            offset = (pages / 2) * pageSize;
        else if (base == QLatin1String("last"))
            offset = (pages - 1) * pageSize;
        else if (base == QLatin1String("end"))
            offset = bytes.size();
        offset += delta;
        QVERIFY(offset >= 0 && offset < bytes.size());
        bytes[offset] = char(bytes.at(offset) ^ 0xA5);
    } else {
        quint32 state = quint32(seed) * 2654435761u;
        for (int i = 0; i < 16; ++i) {
            state = state * 1664525u + 1013904223u;
            const qsizetype offset = qsizetype(state % quint32(bytes.size()));
            bytes[offset] = char(bytes.at(offset) ^ char(1 + (state >> 24) % 255));
        }
    }
    const QString file = path(QStringLiteral("flipped.lsnap"));
    QVERIFY(writeBytes(file, bytes));

    const FileState before = fileState(file);
    const auto result = SnapshotReader::read(file);
    if (result.ok()) {
        // The flip hit unused space or a value that is still valid.
        checkInvariants(result.value());
    } else {
        QVERIFY2(result.error().startsWith(file + QStringLiteral(": ")), qPrintable(result.error()));
        QVERIFY(!result.error().contains(QLatin1Char('\n')));
    }
    QVERIFY(fileState(file) == before);
    QCOMPARE(sideFiles(file), QStringList());
}

void TestSnapshotReader::progressAndCancel()
{
    const QString file = path(QStringLiteral("progress.lsnap"));
    // Big enough (> 256 KiB) for the integrity check to run in parallel.
    QVERIFY(!makeLsnap(file, "good", 60, 300).isEmpty());
    QVERIFY(QFileInfo(file).size() > 256 * 1024);

    std::vector<std::pair<qint64, qint64>> calls;
    const auto result = SnapshotReader::read(file, [&](qint64 done, qint64 total) { calls.emplace_back(done, total); });
    QVERIFY2(result.ok(), qPrintable(result.error()));
    QVERIFY(calls.size() >= 2);
    QCOMPARE(calls.front().first, qint64(0));
    QCOMPARE(calls.back(), std::make_pair(qint64(60), qint64(60)));
    for (size_t i = 1; i < calls.size(); ++i) {
        QVERIFY(calls[i].first >= calls[i - 1].first);
        QCOMPARE(calls[i].second, qint64(60));
    }

    // Cancelled from the first progress call, as a UI would from another thread.
    std::atomic_bool cancel{false};
    const auto cancelled = SnapshotReader::read(
        file, [&](qint64, qint64) { cancel = true; }, &cancel);
    QVERIFY(!cancelled.ok());
    QCOMPARE(cancelled.error(), file + QStringLiteral(": cancelled"));

    // Cancelled before it starts, for the text formats too.
    const QString text = path(QStringLiteral("typestats.json"));
    QVERIFY(writeBytes(text, "{\"dict\": 3}"));
    for (const QString &f : {file, text}) {
        const auto early = SnapshotReader::read(f, {}, &cancel);
        QVERIFY(!early.ok());
        QCOMPARE(early.error(), f + QStringLiteral(": cancelled"));
    }
}

void TestSnapshotReader::hotJournal()
{
    const QString file = path(QStringLiteral("hot.lsnap"));
    QVERIFY(!makeLsnap(file, "hot-journal", 3, 50).isEmpty());
    const QString journal = file + QStringLiteral("-journal");
    QVERIFY(QFileInfo(journal).size() > 0);
    const FileState before = fileState(file);
    const FileState journalBefore = fileState(journal);

    // Read through a private copy in which SQLite rolls the journal back
    // (issue 12, item 8): the committed snapshots, not the half-written one,
    // and the user's file and journal are left exactly as they were.
    const auto result = SnapshotReader::read(file);
    QVERIFY2(result.ok(), qPrintable(result.error()));
    QCOMPARE(int(result.value().snapshots.size()), 3);
    for (const Snapshot &s : result.value().snapshots)
        QVERIFY(s.info.id != 1000);
    QCOMPARE(result.value().types.find(QStringLiteral("junk0")), -1);
    QVERIFY(fileState(file) == before);
    QVERIFY(fileState(journal) == journalBefore);
    QCOMPARE(sideFiles(file), QStringList{journal});
    QVERIFY(SqliteDatabase::hasHotJournal(file));
}

void TestSnapshotReader::appendRefusesStoredSql_data()
{
    QTest::addColumn<QString>("kind");
    QTest::newRow("trigger") << QStringLiteral("trigger");
    QTest::newRow("view") << QStringLiteral("extra-view");
}

void TestSnapshotReader::appendRefusesStoredSql()
{
    // The trigger of make_lsnap.py's "trigger" file would add a megabyte per
    // snapshot to the file on every append (issue 12, item 9): the writer
    // refuses before writing anything, and the file stays as it was.
    QFETCH(QString, kind);
    const QString file = path(QStringLiteral("stored-sql-%1.lsnap").arg(kind));
    QVERIFY(!makeLsnap(file, kind.toUtf8().constData()).isEmpty() || QFileInfo::exists(file));
    const FileState before = fileState(file);
    SnapshotWriter writer;
    const Status opened = writer.open(file);
    QVERIFY(!opened.ok());
    QVERIFY2(opened.error().contains(QStringLiteral("contains SQL that Leakscope never runs")), qPrintable(opened.error()));
    QVERIFY(fileState(file) == before);

    // A trigger added after open() is found under the write lock of append().
    const QString late = path(QStringLiteral("stored-sql-late-%1.lsnap").arg(kind));
    QVERIFY(!makeLsnap(late, "good").isEmpty());
    QVERIFY(writer.open(late).ok());
    const ProcessResult r = runProcess(
        QStringLiteral(LEAKSCOPE_PYTHON),
        {QStringLiteral("-c"),
         QStringLiteral("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('CREATE TABLE junk(x)');"
                        "c.execute(sys.argv[2]); c.commit(); c.close()"),
         late,
         kind == QLatin1String("trigger")
             ? QStringLiteral("CREATE TRIGGER grow AFTER INSERT ON snapshot BEGIN INSERT INTO junk VALUES "
                              "(randomblob(1000000)); END")
             : QStringLiteral("CREATE VIEW grow AS SELECT * FROM junk")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const FileState lateBefore = fileState(late);
    TypeRegistry types;
    Snapshot s;
    s.info.pid = 1;
    s.stats.push_back(TypeStat{types.intern(QStringLiteral("dict")), 1, 64});
    const Expected<qint64> appended = writer.append(s, types);
    QVERIFY(!appended.ok());
    QVERIFY2(appended.error().contains(QStringLiteral("\"grow\"")), qPrintable(appended.error()));
    writer.close();
    QVERIFY(fileState(late) == lateBefore);
}

void TestSnapshotReader::readWhileAgentAppends()
{
    // A live recording: the agent appends snapshots while the file is read
    // again and again. Every read sees whole snapshots only.
    const QString file = path(QStringLiteral("recording.lsnap"));
    const QString script = QStringLiteral(
        "import sys\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "import leakscope_agent\n"
        "class Leaky:\n"
        "    pass\n"
        "keep = []\n"
        "for i in range(60):\n"
        "    keep.extend(Leaky() for _ in range(10))\n"
        "    leakscope_agent.snapshot(sys.argv[2], label=str(i), collect=False)\n");
    QProcess agent;
    agent.start(QStringLiteral(LEAKSCOPE_PYTHON), {QStringLiteral("-c"), script, agentPath(), file});
    QVERIFY(agent.waitForStarted());
    int reads = 0;
    qint64 lastCount = 0;
    QElapsedTimer timer;
    timer.start();
    // QProcess learns of the exit only inside waitFor*(); 1 ms keeps reading
    // back to back.
    while (!agent.waitForFinished(1) && timer.elapsed() < 60000) {
        if (!QFileInfo::exists(file))
            continue;
        const auto result = SnapshotReader::read(file);
        if (!result.ok()) {
            // Only the instant of creation may show an empty or schema-less file.
            QVERIFY2(result.error().contains(QLatin1String("empty file"))
                         || result.error().contains(QLatin1String("not a Leakscope file"))
                         || result.error().contains(QLatin1String("locked")),
                     qPrintable(result.error()));
            continue;
        }
        ++reads;
        const LoadedFile &loaded = result.value();
        checkInvariants(loaded);
        const int leaky = loaded.types.find(QStringLiteral("__main__.Leaky"));
        for (size_t k = 0; k < loaded.snapshots.size(); ++k) {
            QCOMPARE(loaded.snapshots[k].info.label, QString::number(k));
            qint64 count = 0;
            for (const TypeStat &s : loaded.snapshots[k].stats) {
                if (s.type == leaky)
                    count = s.count;
            }
            QCOMPARE(count, qint64(10 * (k + 1)));
        }
        QVERIFY(qint64(loaded.snapshots.size()) >= lastCount);
        lastCount = qint64(loaded.snapshots.size());
    }
    QCOMPARE(agent.exitCode(), 0);
    const auto final = SnapshotReader::read(file);
    QVERIFY2(final.ok(), qPrintable(final.error()));
    QCOMPARE(int(final.value().snapshots.size()), 60);
    QVERIFY(reads > 1);
}

void TestSnapshotReader::permissionDenied()
{
    if (runningAsRoot())
        QSKIP("root reads files whatever their mode");
    const QString file = path(QStringLiteral("unreadable.lsnap"));
    QVERIFY(!makeLsnap(file, "good").isEmpty());
    QVERIFY(QFile::setPermissions(file, QFileDevice::WriteOwner));
    const auto result = SnapshotReader::read(file);
    QVERIFY(!result.ok());
    QCOMPARE(result.error(), file + QStringLiteral(": permission denied"));
}

QTEST_GUILESS_MAIN(TestSnapshotReader)
#include "tst_snapshotreader.moc"
