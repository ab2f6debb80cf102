// Mutation fuzzing of the .lsnap readers (issue 12): a real file recorded by
// the real agent with a heap graph, cut at many lengths, with bytes flipped
// at many offsets (fixed seeds), and changed at the SQLite level (int64
// extremes and other odd values in every column, huge and negative counts,
// swapped and cut BLOBs, triggers, views, decompression bombs). Every mutant
// must either load or fail with one clean line naming the file; the process
// must survive all of them (run it under the asan preset too). Prints, per
// category: tried / crashed / hung / unclean / loaded / clean error.

#include "heapgraph/heapgraph.h"
#include "lsnap/heapgraphstore.h"
#include "testutil/readertestutil.h"
#include "lsnap/snapshotreader.h"
#include "lsnap/sqlitedatabase.h"

#include <QElapsedTimer>
#include <QFile>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

#include <limits>

using namespace leakscope;
using namespace readertest;

namespace {

struct Tally
{
    int tried = 0;
    int loaded = 0;
    int cleanError = 0;
    int unclean = 0;
    int slow = 0; // over 20 s: counted as hung
    QStringList uncleanExamples;
};

} // namespace

class TestLsnapFuzz : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void truncations();
    void byteFlips();
    void columnValues();
    void blobMutations();
    void storedSql();
    void bombs();
    void cleanupTestCase();

private:
    // Reads a mutant with both readers and tallies the outcome.
    // `mustLoad`: the snapshot whose graph counts for "loaded" (default:
    // the recorded graph).
    void tryFile(const QString &path, Tally &tally, qint64 mustLoad = -1);
    QString mutantPath() { return m_dir.filePath(QStringLiteral("mutant-%1.lsnap").arg(++m_mutants)); }
    bool copyOriginal(const QString &to);
    void report(const char *category, const Tally &tally);

    QTemporaryDir m_dir;
    QString m_original;
    QByteArray m_bytes;
    qint64 m_graphSnapshot = -1;
    int m_mutants = 0;
    QStringList m_summary;
};

void TestLsnapFuzz::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_original = m_dir.filePath(QStringLiteral("recorded.lsnap"));
    // A real recording: two snapshots, the second with its heap graph, taken
    // by the real agent in a real Python process.
    const QString program = QStringLiteral(
        "import sys\n"
        "sys.path.insert(0, sys.argv[2])\n"
        "import leakscope_agent\n"
        "class Leaky:\n"
        "    def __init__(self, i): self.i = i; self.d = {'k': [i]}\n"
        "keep = [Leaky(i) for i in range(300)]\n"
        "leakscope_agent.snapshot(sys.argv[1], label='counts only')\n"
        "keep += [Leaky(i) for i in range(300)]\n"
        "leakscope_agent.snapshot(sys.argv[1], label='with graph \\x1b[31m', graph=True)\n");
    const ProcessResult r = runProcess(QStringLiteral(LEAKSCOPE_PYTHON),
                                       {QStringLiteral("-c"), program, m_original, agentPath()});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const Expected<LoadedFile> file = SnapshotReader::read(m_original);
    QVERIFY2(file.ok(), qPrintable(file.error()));
    for (const Snapshot &s : file.value().snapshots) {
        if (s.info.hasGraph)
            m_graphSnapshot = s.info.id;
    }
    QVERIFY(m_graphSnapshot > 0);
    QVERIFY(HeapGraph::read(HeapGraphStore::readArrays, m_original, m_graphSnapshot).ok());
    m_bytes = readBytes(m_original);
    QVERIFY(m_bytes.size() > 8192);
}

void TestLsnapFuzz::tryFile(const QString &path, Tally &tally, qint64 mustLoad)
{
    if (mustLoad < 0)
        mustLoad = m_graphSnapshot;
    ++tally.tried;
    QElapsedTimer timer;
    timer.start();
    const auto clean = [&](const QString &error) {
        // "<file>: reason" or "<file>, snapshot <id>: heap graph: reason".
        return (error.startsWith(path + QStringLiteral(": ")) || error.startsWith(path + QStringLiteral(", snapshot ")))
            && !error.contains(QLatin1Char('\n'))
            && error.size() > path.size() + 3 && error.size() < 2000;
    };
    bool ok = true;
    QString bad;
    const Expected<LoadedFile> file = SnapshotReader::read(path);
    if (!file.ok()) {
        ok = false;
        if (!clean(file.error()))
            bad = file.error();
    }
    // The graph is read even when the counts are refused: chain and
    // retained open it directly.
    for (qint64 id : {m_graphSnapshot, qint64(1)}) {
        const Expected<HeapGraph> graph = HeapGraph::read(HeapGraphStore::readArrays, path, id);
        if (!graph.ok()) {
            if (id == mustLoad)
                ok = false;
            if (!clean(graph.error()) && bad.isEmpty())
                bad = graph.error();
        }
    }
    if (timer.elapsed() > 20000)
        ++tally.slow;
    if (!bad.isEmpty()) {
        ++tally.unclean;
        if (tally.uncleanExamples.size() < 5)
            tally.uncleanExamples << bad.left(300);
    } else if (ok) {
        ++tally.loaded;
    } else {
        ++tally.cleanError;
    }
    QFile::remove(path);
    for (const QString &side : sideFiles(path))
        QFile::remove(side);
}

bool TestLsnapFuzz::copyOriginal(const QString &to)
{
    return writeBytes(to, m_bytes);
}

void TestLsnapFuzz::report(const char *category, const Tally &t)
{
    const QString line = QStringLiteral("%1: tried %2 / crashed 0 / hung %3 / unclean %4 / loaded %5 / clean error %6")
                             .arg(QLatin1String(category))
                             .arg(t.tried)
                             .arg(t.slow)
                             .arg(t.unclean)
                             .arg(t.loaded)
                             .arg(t.cleanError);
    m_summary << line;
    qInfo("%s", qPrintable(line));
    QVERIFY2(t.unclean == 0, qPrintable(t.uncleanExamples.join(QStringLiteral(" | "))));
    QCOMPARE(t.slow, 0);
}

void TestLsnapFuzz::truncations()
{
    Tally tally;
    const qsizetype size = m_bytes.size();
    QList<qsizetype> lengths{0, 1, 15, 16, 99, 100, 101, 511, 512, 1023, 1024, 4095, 4096, 4097, size - 1};
    // Around every third page boundary, and on every eighth.
    for (qsizetype page = 4096; page < size; page += 4096) {
        if (page % (4096 * 3) == 0)
            lengths << page - 1 << page + 1;
        if (page % (4096 * 8) == 0)
            lengths << page;
    }
    QRandomGenerator random(12);
    for (int i = 0; i < 40; ++i)
        lengths << qsizetype(random.bounded(quint32(size)));
    for (qsizetype length : lengths) {
        const QString path = mutantPath();
        QVERIFY(writeBytes(path, m_bytes.left(length)));
        tryFile(path, tally);
    }
    report("truncations", tally);
}

void TestLsnapFuzz::byteFlips()
{
    Tally tally;
    QRandomGenerator random(1212);
    const quint32 size = quint32(m_bytes.size());
    for (int i = 0; i < 300; ++i) {
        QByteArray bytes = m_bytes;
        // A quarter in the header and the first pages, where damage matters most.
        const quint32 offset = i % 4 == 0 ? random.bounded(quint32(8192)) : random.bounded(size);
        const int flips = 1 + int(random.bounded(3));
        for (int f = 0; f < flips; ++f) {
            const quint32 at = f == 0 ? offset : random.bounded(size);
            bytes[at] = char(bytes[at] ^ char(1 + random.bounded(255)));
        }
        const QString path = mutantPath();
        QVERIFY(writeBytes(path, bytes));
        tryFile(path, tally);
    }
    report("byte flips", tally);
}

void TestLsnapFuzz::columnValues()
{
    // Every column of every table, all rows at once, set to each value.
    SqliteDatabase db;
    QVERIFY(db.open(m_original, SqliteDatabase::ReadOnly));
    QList<QPair<QString, QString>> columns;
    {
        SqliteStatement s = db.prepare("SELECT m.name, p.name FROM sqlite_schema m, pragma_table_info(m.name) p "
                                       "WHERE m.type = 'table' ORDER BY m.name, p.cid");
        QVERIFY(s.isValid());
        while (s.step() == SqliteStatement::Row)
            columns << qMakePair(s.text(0), s.text(1));
    }
    db.close();
    QVERIFY(columns.size() > 20);
    const QStringList values{QStringLiteral("-9223372036854775808"), QStringLiteral("9223372036854775807"),
                             QStringLiteral("-1"), QStringLiteral("0"), QStringLiteral("4294967295"),
                             QStringLiteral("4294967294"), QStringLiteral("2147483648"), QStringLiteral("NULL"),
                             QStringLiteral("'x'"), QStringLiteral("X'00'"), QStringLiteral("1e308")};
    Tally tally;
    for (const auto &[table, column] : columns) {
        for (const QString &value : values) {
            const QString path = mutantPath();
            QVERIFY(copyOriginal(path));
            SqliteDatabase w;
            QVERIFY(w.open(path, SqliteDatabase::ReadWriteCreate));
            w.exec("PRAGMA synchronous = OFF");
            const QByteArray sql =
                QStringLiteral("UPDATE OR IGNORE \"%1\" SET \"%2\" = %3").arg(table, column, value).toUtf8();
            w.exec(sql.constData()); // NOT NULL and key conflicts leave the file as it was
            w.close();
            tryFile(path, tally);
        }
    }
    report("column values", tally);
}

void TestLsnapFuzz::blobMutations()
{
    const QStringList arrays{QStringLiteral("ids"), QStringLiteral("types"), QStringLiteral("sizes"),
                             QStringLiteral("flags"), QStringLiteral("edge_offsets"), QStringLiteral("edge_targets")};
    QStringList statements;
    for (const QString &a : arrays) {
        for (const QString &b : arrays) {
            if (a != b)
                statements << QStringLiteral("UPDATE graph SET %1 = %2").arg(a, b);
        }
        statements << QStringLiteral("UPDATE graph SET %1 = substr(%1, 1, length(%1) / 2)").arg(a)
                   << QStringLiteral("UPDATE graph SET %1 = substr(%1, 2)").arg(a)
                   << QStringLiteral("UPDATE graph SET %1 = %1 || X'00'").arg(a)
                   << QStringLiteral("UPDATE graph SET %1 = zeroblob(length(%1))").arg(a)
                   << QStringLiteral("UPDATE graph SET %1 = randomblob(length(%1))").arg(a)
                   << QStringLiteral("UPDATE graph SET %1 = X''").arg(a)
                   << QStringLiteral("UPDATE graph SET compression = 'none', %1 = zeroblob(length(%1))").arg(a);
    }
    for (const char *labels : {"node_labels", "edge_labels"}) {
        const QString l = QLatin1String(labels);
        statements << QStringLiteral("UPDATE graph_label SET %1 = substr(%1, 1, length(%1) / 2)").arg(l)
                   << QStringLiteral("UPDATE graph_label SET %1 = randomblob(length(%1))").arg(l)
                   << QStringLiteral("UPDATE graph_label SET node_labels = edge_labels, edge_labels = node_labels");
    }
    for (const char *count : {"node_count", "edge_count"}) {
        for (const char *value : {"-1", "0", "1", "4294967294", "4294967295", "1099511627776",
                                  "-9223372036854775808", "9223372036854775807", "node_count + edge_count"})
            statements << QStringLiteral("UPDATE graph SET %1 = %2").arg(QLatin1String(count), QLatin1String(value));
    }
    statements << QStringLiteral("UPDATE graph SET target_encoding = 'id'")
               << QStringLiteral("UPDATE graph_string SET id = id + 1000000")
               << QStringLiteral("UPDATE graph_string SET id = -id - 1")
               << QStringLiteral("DELETE FROM graph_string")
               << QStringLiteral("DELETE FROM type")
               << QStringLiteral("UPDATE type SET id = -9223372036854775808 + id")
               << QStringLiteral("UPDATE type SET id = 9223372036854775807 - id")
               << QStringLiteral("UPDATE type SET name = name || char(27) || '[2J' || char(10)")
               << QStringLiteral("UPDATE snapshot SET meta_json = '{\"argv\": [' || replace(hex(zeroblob(2000)), '00', '[') || ']}'")
               << QStringLiteral("UPDATE type_count SET count = 1099511627776, size = 70368744177664")
               << QStringLiteral("PRAGMA user_version = 2")
               << QStringLiteral("PRAGMA user_version = 1")
               << QStringLiteral("PRAGMA user_version = -1")
               << QStringLiteral("PRAGMA application_id = 0")
               << QStringLiteral("DROP TABLE graph_label")
               << QStringLiteral("DROP TABLE graph_string")
               << QStringLiteral("DROP TABLE type_count")
               << QStringLiteral("ALTER TABLE graph DROP COLUMN target_encoding");
    Tally tally;
    for (const QString &statement : statements) {
        const QString path = mutantPath();
        QVERIFY(copyOriginal(path));
        SqliteDatabase w;
        QVERIFY(w.open(path, SqliteDatabase::ReadWriteCreate));
        w.exec("PRAGMA synchronous = OFF");
        const QByteArray sql = statement.toUtf8();
        QVERIFY2(w.exec(sql.constData()), qPrintable(statement + QStringLiteral(": ") + w.errorMessage()));
        w.close();
        tryFile(path, tally);
    }
    report("BLOBs, counts, tables", tally);
}

void TestLsnapFuzz::storedSql()
{
    // SQL stored in the file: refused (never run) by both readers.
    const QStringList statements{
        QStringLiteral("CREATE TABLE junk(x); CREATE TRIGGER t AFTER INSERT ON snapshot BEGIN "
                       "INSERT INTO junk VALUES (randomblob(1000000)); END"),
        QStringLiteral("CREATE TRIGGER t BEFORE DELETE ON type BEGIN SELECT RAISE(ABORT, 'no'); END"),
        QStringLiteral("CREATE VIEW v AS SELECT * FROM snapshot"),
        QStringLiteral("CREATE VIEW \"v\x1b[31m\" AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
                       "SELECT x FROM c"),
        QStringLiteral("ALTER TABLE graph RENAME TO graph_old; CREATE VIEW graph AS SELECT * FROM graph_old"),
        QStringLiteral("ALTER TABLE type RENAME TO type_old; CREATE VIEW type AS SELECT * FROM type_old"),
    };
    Tally tally;
    for (const QString &statement : statements) {
        const QString path = mutantPath();
        QVERIFY(copyOriginal(path));
        SqliteDatabase w;
        QVERIFY(w.open(path, SqliteDatabase::ReadWriteCreate));
        w.exec("PRAGMA legacy_alter_table = ON");
        const QByteArray sql = statement.toUtf8();
        QVERIFY2(w.exec(sql.constData()), qPrintable(statement + QStringLiteral(": ") + w.errorMessage()));
        w.close();
        const Expected<LoadedFile> file = SnapshotReader::read(path);
        QVERIFY2(!file.ok() && file.error().contains(QStringLiteral("contains SQL that Leakscope never runs")),
                 qPrintable(file.ok() ? QStringLiteral("loaded") : file.error()));
        const Expected<HeapGraph> graph = HeapGraph::read(HeapGraphStore::readArrays, path, m_graphSnapshot);
        QVERIFY2(!graph.ok() && graph.error().contains(QStringLiteral("contains SQL that Leakscope never runs")),
                 qPrintable(graph.ok() ? QStringLiteral("loaded") : graph.error()));
        tryFile(path, tally);
    }
    QCOMPARE(tally.loaded, 0);
    report("triggers and views", tally);
}

void TestLsnapFuzz::bombs()
{
    // Valid zlib streams of zeros claiming many nodes or edges.
    Tally tally;
    const QList<QPair<QString, QString>> bombs{{QStringLiteral("nodes"), QStringLiteral("20000000")},
                                               {QStringLiteral("nodes"), QStringLiteral("100000000")},
                                               {QStringLiteral("edges"), QStringLiteral("1000000")},
                                               {QStringLiteral("edges"), QStringLiteral("5000000")},
                                               {QStringLiteral("edges"), QStringLiteral("300000000")}};
    for (const auto &[kind, count] : bombs) {
        const QString path = mutantPath();
        QVERIFY(copyOriginal(path));
        const ProcessResult r = runProcess(QStringLiteral(LEAKSCOPE_PYTHON),
                                           {dataFile("make_graph_bomb.py"), path, kind, count});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        tryFile(path, tally, 1);
    }
    QCOMPARE(tally.loaded, 0);
    report("decompression bombs", tally);
}

void TestLsnapFuzz::cleanupTestCase()
{
    for (const QString &line : std::as_const(m_summary))
        qInfo("%s", qPrintable(line));
}

QTEST_GUILESS_MAIN(TestLsnapFuzz)
#include "tst_lsnapfuzz.moc"
