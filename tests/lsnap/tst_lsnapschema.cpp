// One .lsnap schema source (issue 13): resources/python/leakscope_agent/schema.sql
// is what the agent creates (its package data) and what Leakscope compiles in
// (":/lsnap/schema.sql"). The real agent writes a file with every feature
// (census, heap graph with labels, metadata, containers, allocation and
// object-traceback tables); every table and column the C++ side expects is
// there with the declared type, constraints and rows, and nothing else.
#include "lsnap/containertables.h"
#include "lsnap/lsnapformat.h"
#include "lsnap/snapshotreader.h"
#include "lsnap/sqlitedatabase.h"

#include <QFile>
#include <QMap>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace leakscope;

namespace {

// name, declared type, not null, primary-key position, default: one
// PRAGMA table_info row.
using Columns = QStringList;

QMap<QString, Columns> tablesOf(SqliteDatabase &db)
{
    QMap<QString, Columns> out;
    QStringList names;
    SqliteStatement list = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
    while (list.step() == SqliteStatement::Row)
        names << list.text(0);
    for (const QString &name : names) {
        SqliteStatement info = db.prepare(QByteArray("PRAGMA table_info(\"" + name.toUtf8() + "\")").constData());
        Columns columns;
        while (info.step() == SqliteStatement::Row)
            columns << QStringLiteral("%1 %2 notnull=%3 pk=%4 default=%5")
                           .arg(info.text(1), info.text(2))
                           .arg(info.int64(3))
                           .arg(info.int64(5))
                           .arg(info.columnType(4) == SqliteStatement::Null ? QStringLiteral("-") : info.text(4));
        out.insert(name, columns);
    }
    return out;
}

qint64 rowsOf(SqliteDatabase &db, const QString &table)
{
    SqliteStatement count = db.prepare(QByteArray("SELECT count(*) FROM \"" + table.toUtf8() + "\"").constData());
    return count.step() == SqliteStatement::Row ? count.int64(0) : -1;
}

// A program with a growing list, a class with many instances, tracemalloc on.
const char s_program[] = R"PY(
import sys
import leakscope_agent
from leakscope_agent import _trace

_trace.start(8)

class Holder:
    def __init__(self, n):
        self.n = n

KEEP = []
for round in range(3):
    for i in range(400):
        KEEP.append(Holder(i))
    leakscope_agent.snapshot(sys.argv[1], label="round %d" % round, graph=True)
)PY";

} // namespace

class TestLsnapSchema : public QObject
{
    Q_OBJECT
private slots:
    void schemaIsCompiledIn();
    void agentFileHasEveryTableAndColumn();
};

void TestLsnapSchema::schemaIsCompiledIn()
{
    for (const char *section : {"base", "graph", "extra"}) {
        const QByteArray sql = LsnapFormat::schemaSection(section);
        QVERIFY2(sql.contains("CREATE TABLE"), section);
        QVERIFY2(!sql.contains("-- ["), section); // one section only
    }
    QVERIFY(LsnapFormat::schemaSection("no such section").isEmpty());
    QCOMPARE(QByteArray(LsnapFormat::schemaSql()), LsnapFormat::schemaSection("base"));
    QCOMPARE(QByteArray(ContainerTables::schemaSql()), LsnapFormat::schemaSection("extra"));
    // The file the agent ships is the one compiled in.
    QFile shipped(QStringLiteral(LEAKSCOPE_SOURCE_DIR "/resources/python/leakscope_agent/schema.sql"));
    QVERIFY(shipped.open(QIODevice::ReadOnly));
    QFile compiled(QStringLiteral(":/lsnap/schema.sql"));
    QVERIFY(compiled.open(QIODevice::ReadOnly));
    QCOMPARE(compiled.readAll(), shipped.readAll());
}

void TestLsnapSchema::agentFileHasEveryTableAndColumn()
{
    QTemporaryDir dir;
    const QString file = dir.filePath(QStringLiteral("every.lsnap"));
    QProcess python;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("PYTHONPATH"), QStringLiteral(LEAKSCOPE_SOURCE_DIR "/resources/python"));
    python.setProcessEnvironment(env);
    python.start(QStringLiteral(LEAKSCOPE_PYTHON), {QStringLiteral("-c"), QString::fromLatin1(s_program), file});
    QVERIFY(python.waitForFinished(180000));
    QVERIFY2(python.exitCode() == 0, python.readAllStandardError().constData());

    // What the C++ side expects: the three sections, created in memory.
    SqliteDatabase expected;
    QVERIFY(expected.open(QStringLiteral(":memory:"), SqliteDatabase::ReadWriteCreate));
    for (const char *section : {"base", "graph", "extra"})
        QVERIFY2(expected.exec(LsnapFormat::schemaSection(section).constData()), section);
    const QMap<QString, Columns> want = tablesOf(expected);
    QCOMPARE(want.size(), 12);

    SqliteDatabase written;
    QVERIFY(written.open(file, SqliteDatabase::ReadOnly));
    const QMap<QString, Columns> have = tablesOf(written);
    QCOMPARE(have.keys(), want.keys());
    for (auto it = want.cbegin(); it != want.cend(); ++it) {
        QCOMPARE(have.value(it.key()), it.value());
        // Every feature wrote rows into every table.
        QVERIFY2(rowsOf(written, it.key()) > 0, qPrintable(it.key()));
    }

    // And the reader reads it all: version 3, graphs, labels, containers.
    const Expected<LoadedFile> read = SnapshotReader::read(file);
    QVERIFY2(read, qPrintable(read.error()));
    QCOMPARE(read.value().formatVersion, 3);
    QCOMPARE(read.value().snapshots.size(), size_t(3));
    QVERIFY(read.value().hasContainerTables);
    for (const Snapshot &s : read.value().snapshots) {
        QVERIFY(s.info.hasGraph);
        QVERIFY(s.info.label.startsWith(QStringLiteral("round ")));
        QVERIFY(s.info.meta.contains(QStringLiteral("tracemalloc")));
    }
}

QTEST_GUILESS_MAIN(TestLsnapSchema)
#include "tst_lsnapschema.moc"
