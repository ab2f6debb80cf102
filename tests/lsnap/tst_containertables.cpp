// The optional tables of issue 14 (container, alloc_frame, alloc_traceback,
// alloc_stat, object_traceback) read from files our writer made and SQL then
// filled in as docs/file-format.md describes them: good rows arrive mapped
// and resolved, and every hostile value is a clear "malformed" error.
#include "lsnap/snapshotreader.h"
#include "lsnap/snapshotwriter.h"
#include "lsnap/sqlitedatabase.h"

#include <QTemporaryDir>
#include <QTest>

using namespace leakscope;

namespace {

const char s_tables[] = R"SQL(
CREATE TABLE IF NOT EXISTS container(snapshot INTEGER NOT NULL, object_id INTEGER NOT NULL, type INTEGER NOT NULL,
    kind TEXT NOT NULL, items INTEGER NOT NULL, size INTEGER NOT NULL, payload_bytes INTEGER,
    payload_estimated INTEGER NOT NULL, previous_items INTEGER, held_by TEXT, holder_kind TEXT,
    holder_type TEXT, PRIMARY KEY(snapshot, object_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS alloc_frame(snapshot INTEGER NOT NULL, id INTEGER NOT NULL, filename TEXT NOT NULL,
    lineno INTEGER NOT NULL, function TEXT, PRIMARY KEY(snapshot, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS alloc_traceback(snapshot INTEGER NOT NULL, id INTEGER NOT NULL, depth INTEGER NOT NULL,
    frame INTEGER NOT NULL, PRIMARY KEY(snapshot, id, depth)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS alloc_stat(snapshot INTEGER NOT NULL, rank INTEGER NOT NULL, traceback INTEGER NOT NULL,
    size INTEGER NOT NULL, count INTEGER NOT NULL, PRIMARY KEY(snapshot, rank)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS object_traceback(snapshot INTEGER NOT NULL, subject_kind TEXT NOT NULL, subject TEXT NOT NULL,
    rank INTEGER NOT NULL, object_id INTEGER NOT NULL, object_type INTEGER NOT NULL, traceback INTEGER,
    PRIMARY KEY(snapshot, subject_kind, subject, rank)) WITHOUT ROWID;
UPDATE snapshot SET meta_json = '{"containers": {}, "tracemalloc": {"frames": 4}}' WHERE id = 2;
INSERT INTO container VALUES (2, 1000, (SELECT id FROM type WHERE name = 'list'), 'container', 5000, 40056,
    123456, 0, 4000, '__main__.LOG', 'module_global', NULL);
INSERT INTO container VALUES (2, 2000, (SELECT id FROM type WHERE name = 'dict'), 'container', 1200, 36960,
    NULL, 1, NULL, NULL, NULL, NULL);
INSERT INTO container VALUES (2, 3000, (SELECT id FROM type WHERE name = 'dict'), 'future-kind', 1, 1, 1, 0,
    NULL, NULL, NULL, NULL);
INSERT INTO alloc_frame VALUES (2, 0, 'app.py', 12, 'handle'), (2, 1, 'app.py', 30, NULL);
INSERT INTO alloc_traceback VALUES (2, 0, 0, 0), (2, 0, 1, 1), (2, 1, 0, 1);
INSERT INTO alloc_stat VALUES (2, 0, 0, 100000, 50), (2, 1, 1, 2000, 3);
INSERT INTO object_traceback VALUES (2, 'container', '1000', 0, 77, (SELECT id FROM type WHERE name = 'list'), 0),
    (2, 'type', 'dict', 0, 78, (SELECT id FROM type WHERE name = 'dict'), NULL),
    (2, 'someday', 'x', 0, 79, (SELECT id FROM type WHERE name = 'dict'), NULL);
)SQL";

} // namespace

class TestContainerTables : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void goodRowsAreReadAndResolved();
    void fileWithoutTablesPredatesThem();
    void writerKeepsThem();
    void hostileValuesAreMalformed_data();
    void hostileValuesAreMalformed();

private:
    QString makeFile(const QString &name, bool tables, const QByteArray &extraSql = QByteArray());

    QTemporaryDir m_dir;
};

QString TestContainerTables::makeFile(const QString &name, bool tables, const QByteArray &extraSql)
{
    const QString path = m_dir.filePath(name);
    {
        TypeRegistry types;
        SnapshotWriter writer;
        if (!writer.open(path))
            return QString();
        for (int i = 0; i < 3; ++i) {
            Snapshot s;
            s.info.label = QStringLiteral("s%1").arg(i);
            s.info.takenAt = QDateTime::fromSecsSinceEpoch(1700000000 + i, Qt::UTC);
            s.stats = {TypeStat{types.intern(QStringLiteral("dict")), 10 + i, 1000},
                       TypeStat{types.intern(QStringLiteral("list")), 5, 500}};
            if (!writer.append(s, types))
                return QString();
        }
    }
    SqliteDatabase db;
    if (!tables) {
        // What an older writer made: no optional tables (ours creates them).
        if (!db.open(path, SqliteDatabase::ReadWriteCreate)
            || !db.exec("DROP TABLE container; DROP TABLE alloc_frame; DROP TABLE alloc_traceback; "
                        "DROP TABLE alloc_stat; DROP TABLE object_traceback;"))
            return QString();
        db.close();
        return path;
    }
    if (!db.open(path, SqliteDatabase::ReadWriteCreate) || !db.exec(s_tables)
        || (!extraSql.isEmpty() && !db.exec(extraSql.constData()))) {
        qWarning() << db.errorMessage();
        return QString();
    }
    db.close();
    return path;
}

void TestContainerTables::initTestCase()
{
    QVERIFY(m_dir.isValid());
}

void TestContainerTables::goodRowsAreReadAndResolved()
{
    const QString path = makeFile(QStringLiteral("good.lsnap"), true);
    QVERIFY(!path.isEmpty());
    const Expected<LoadedFile> file = SnapshotReader::read(path);
    QVERIFY2(file, qPrintable(file.error()));
    const LoadedFile &f = file.value();
    QVERIFY(f.hasContainerTables);
    QCOMPARE(f.snapshots.size(), size_t(3));
    QVERIFY(!f.snapshots[0].info.hasContainerPass);
    QVERIFY(f.snapshots[1].info.hasContainerPass);
    QVERIFY(f.snapshots[0].containers.empty());
    // The unknown kind is skipped; the others arrive in id order.
    const std::vector<ContainerStat> &c = f.snapshots[1].containers;
    QCOMPARE(c.size(), size_t(2));
    QCOMPARE(c[0].objectId, 1000);
    QCOMPARE(f.types.name(c[0].type), QStringLiteral("list"));
    QCOMPARE(c[0].items, 5000);
    QCOMPARE(c[0].payloadBytes, 123456);
    QCOMPARE(c[0].previousItems, 4000);
    QCOMPARE(c[0].heldBy, QStringLiteral("__main__.LOG"));
    QCOMPARE(c[0].holderKind, QStringLiteral("module_global"));
    QCOMPARE(c[1].payloadBytes, -1); // NULL: not measured
    QVERIFY(c[1].payloadEstimated);
    QCOMPARE(c[1].previousItems, -1);

    QVERIFY(f.snapshots[1].info.traced);
    QVERIFY(f.snapshots[1].allocations);
    QVERIFY(!f.snapshots[0].allocations);
    const AllocationData &a = *f.snapshots[1].allocations;
    QCOMPARE(a.frames.size(), size_t(2));
    QCOMPARE(a.tracebacks.size(), size_t(2));
    QCOMPARE(a.tracebacks[0], (std::vector<int>{0, 1}));
    QCOMPARE(a.stats.size(), size_t(2));
    QCOMPARE(a.stats[0].size, 100000);
    QCOMPARE(a.objects.size(), size_t(2)); // 'someday' skipped
    QVERIFY(a.objects[0].container);
    QCOMPARE(a.objects[0].traceback, 0);
    QCOMPARE(a.objects[1].traceback, -1);
    QCOMPARE(f.types.name(a.objects[1].objectType), QStringLiteral("dict"));
}

void TestContainerTables::fileWithoutTablesPredatesThem()
{
    const QString path = makeFile(QStringLiteral("old.lsnap"), false);
    const Expected<LoadedFile> file = SnapshotReader::read(path);
    QVERIFY2(file, qPrintable(file.error()));
    QVERIFY(!file.value().hasContainerTables);
    for (const Snapshot &s : file.value().snapshots) {
        QVERIFY(!s.info.hasContainerPass && !s.info.traced && s.containers.empty() && !s.allocations);
        QCOMPARE(s.totalObjects(), qint64(15) + (s.info.label.back().digitValue()));
    }
}

void TestContainerTables::writerKeepsThem()
{
    // Save Session As: what was read is written again and reads back equal.
    const Expected<LoadedFile> file = SnapshotReader::read(makeFile(QStringLiteral("keep.lsnap"), true));
    QVERIFY2(file, qPrintable(file.error()));
    std::vector<const Snapshot *> all;
    for (const Snapshot &s : file.value().snapshots)
        all.push_back(&s);
    const QString copy = m_dir.filePath(QStringLiteral("copy.lsnap"));
    const Status written = SnapshotWriter::writeFile(copy, all, file.value().types);
    QVERIFY2(written.ok(), qPrintable(written.error()));
    const Expected<LoadedFile> again = SnapshotReader::read(copy);
    QVERIFY2(again, qPrintable(again.error()));
    QVERIFY(again.value().hasContainerTables);
    const Snapshot &a = file.value().snapshots[1], &b = again.value().snapshots[1];
    QVERIFY(b.info.hasContainerPass && b.info.traced && b.allocations);
    QCOMPARE(b.containers.size(), a.containers.size());
    for (size_t i = 0; i < a.containers.size(); ++i) {
        QCOMPARE(b.containers[i].objectId, a.containers[i].objectId);
        QCOMPARE(again.value().types.name(b.containers[i].type), file.value().types.name(a.containers[i].type));
        QCOMPARE(b.containers[i].items, a.containers[i].items);
        QCOMPARE(b.containers[i].payloadBytes, a.containers[i].payloadBytes);
        QCOMPARE(b.containers[i].previousItems, a.containers[i].previousItems);
        QCOMPARE(b.containers[i].heldBy, a.containers[i].heldBy);
    }
    QCOMPARE(b.allocations->tracebacks, a.allocations->tracebacks);
    QCOMPARE(b.allocations->stats.size(), a.allocations->stats.size());
    QCOMPARE(b.allocations->objects.size(), a.allocations->objects.size());
    QCOMPARE(b.allocations->frames[0].function, QStringLiteral("handle"));
    QCOMPARE(b.allocations->frames[1].function, QString());
}

void TestContainerTables::hostileValuesAreMalformed_data()
{
    QTest::addColumn<QByteArray>("sql");
    QTest::addColumn<QString>("message");
    QTest::newRow("negative items") << QByteArray("UPDATE container SET items = -1 WHERE object_id = 1000")
                                    << QStringLiteral("impossible length or size");
    QTest::newRow("huge size") << QByteArray("UPDATE container SET size = 9000000000000000000 WHERE object_id = 1000")
                               << QStringLiteral("impossible length or size");
    QTest::newRow("negative payload") << QByteArray("UPDATE container SET payload_bytes = -5 WHERE object_id = 1000")
                                      << QStringLiteral("impossible length or size");
    QTest::newRow("text payload") << QByteArray("UPDATE container SET payload_bytes = 'many' WHERE object_id = 1000")
                                  << QStringLiteral("payload or previous length");
    QTest::newRow("unknown type") << QByteArray("UPDATE container SET type = 999 WHERE object_id = 1000")
                                  << QStringLiteral("refers to type 999");
    QTest::newRow("unknown snapshot") << QByteArray("UPDATE container SET snapshot = 42 WHERE object_id = 1000")
                                      << QStringLiteral("snapshot 42, which does not exist");
    QTest::newRow("kind not text") << QByteArray("UPDATE container SET kind = X'41' WHERE object_id = 1000")
                                   << QStringLiteral("kind or holder that is not text");
    QTest::newRow("frame out of range") << QByteArray("UPDATE alloc_traceback SET frame = 5 WHERE id = 1")
                                        << QStringLiteral("refers to frame 5");
    QTest::newRow("depth gap") << QByteArray("UPDATE alloc_traceback SET depth = 3 WHERE id = 0 AND depth = 1")
                               << QStringLiteral("depths that are not 0, 1, 2");
    QTest::newRow("frame ids gap") << QByteArray("UPDATE alloc_frame SET id = 9 WHERE id = 1")
                                   << QStringLiteral("alloc_frame ids are not 0, 1, 2");
    QTest::newRow("negative line") << QByteArray("UPDATE alloc_frame SET lineno = -3 WHERE id = 1")
                                   << QStringLiteral("has line -3");
    QTest::newRow("stat traceback") << QByteArray("UPDATE alloc_stat SET traceback = 8 WHERE rank = 1")
                                    << QStringLiteral("refers to traceback 8");
    QTest::newRow("stat size") << QByteArray("UPDATE alloc_stat SET size = -1 WHERE rank = 1")
                               << QStringLiteral("impossible size or count");
    QTest::newRow("object traceback") << QByteArray("UPDATE object_traceback SET traceback = 12 WHERE object_id = 77")
                                      << QStringLiteral("refers to traceback 12");
    QTest::newRow("object type") << QByteArray("UPDATE object_traceback SET object_type = 555 WHERE object_id = 77")
                                 << QStringLiteral("refers to type 555");
    // More rows than the agent ever writes: a bounded read, not a memory hog.
    QTest::newRow("too many containers")
        << QByteArray("WITH RECURSIVE n(i) AS (SELECT 10000 UNION ALL SELECT i + 1 FROM n WHERE i < 210000) "
                      "INSERT INTO container SELECT 2, i, (SELECT id FROM type WHERE name = 'list'), 'container', "
                      "1, 64, 0, 0, NULL, NULL, NULL, NULL FROM n")
        << QStringLiteral("more than 200000 containers");
}

void TestContainerTables::hostileValuesAreMalformed()
{
    QFETCH(QByteArray, sql);
    QFETCH(QString, message);
    const QString path = makeFile(QStringLiteral("bad-%1.lsnap").arg(QString::fromUtf8(QTest::currentDataTag())).replace(QLatin1Char(' '), QLatin1Char('-')), true, sql);
    QVERIFY(!path.isEmpty());
    const Expected<LoadedFile> file = SnapshotReader::read(path);
    QVERIFY(!file);
    QVERIFY2(file.error().contains(QStringLiteral("malformed")), qPrintable(file.error()));
    QVERIFY2(file.error().contains(message), qPrintable(file.error()));
}

QTEST_MAIN(TestContainerTables)
#include "tst_containertables.moc"
