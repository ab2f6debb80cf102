#include "cli/repaircommand.h"

#include "lsnap/lsnapformat.h"
#include "lsnap/snapshotreader.h"
#include "lsnap/sqlitedatabase.h"
#include "cli/textformat.h"
#include "cli/commandline.h"

#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>

namespace leakscope {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("RepairCommand", text);
}

// Copies from to to, replacing nothing: false when to exists or copying fails.
bool copyNew(const QString &from, const QString &to, QString *error)
{
    if (QFileInfo::exists(to)) {
        *error = tr("%1 already exists (an earlier repair's backup?); move it away first").arg(to);
        return false;
    }
    if (!QFile::copy(from, to)) {
        *error = tr("cannot copy %1 to %2").arg(from, to);
        return false;
    }
    return true;
}

// Repairs one file; appends what it did to out, or returns an error.
QString repair(const QString &path, QString *out)
{
    const QFileInfo info(path);
    if (!info.exists())
        return tr("no such file");
    if (!info.isFile())
        return tr("not a regular file");
    const QString journal = path + QStringLiteral("-journal");
    if (!SqliteDatabase::hasHotJournal(path)) {
        *out += tr("%1: no interrupted write to roll back; the file is left as it is\n")
                    .arg(TextFormat::escape(path));
        return QString();
    }
    // The raw header first: never let SQLite write to somebody else's database.
    {
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            return tr("cannot open (%1)").arg(file.errorString());
        const QByteArray head = file.read(LsnapFormat::SqliteHeaderSize);
        if (!LsnapFormat::isSqlite(head) || head.size() < LsnapFormat::SqliteHeaderSize)
            return tr("not a Leakscope file (not a SQLite database)");
        const LsnapFormat::Header header = LsnapFormat::parseHeader(head);
        if (header.applicationId != LsnapFormat::ApplicationId)
            return LsnapFormat::refusalReason(header);
    }
    const qint64 journalBytes = QFileInfo(journal).size();
    const QString backup = path + QStringLiteral(".before-repair");
    QString error;
    if (!copyNew(path, backup, &error))
        return error;
    if (!copyNew(journal, backup + QStringLiteral("-journal"), &error)) {
        QFile::remove(backup);
        return error;
    }

    // Opening read-write and reading makes SQLite roll back: it restores the
    // pages the journal holds, truncates the file to its size before the
    // interrupted transaction and deletes the journal. No SQL of the file
    // runs (triggers and views are off on every connection).
    SqliteDatabase db;
    if (!db.open(path, SqliteDatabase::ReadWriteCreate))
        return tr("cannot open for writing (%1)").arg(db.errorMessage());
    db.setBusyTimeout(5000);
    SqliteStatement probe = db.prepare("SELECT count(*) FROM sqlite_schema");
    if (!probe.isValid() || probe.step() != SqliteStatement::Row)
        return tr("rolling back failed (%1); the file as it was is in %2").arg(db.errorMessage(), backup);
    probe = SqliteStatement();
    db.close();

    const qint64 before = QFileInfo(backup).size();
    const qint64 after = QFileInfo(path).size();
    *out += tr("%1: rolled back an interrupted write (journal of %2 bytes); the file went from %3 to %4 bytes\n")
                .arg(TextFormat::escape(path))
                .arg(journalBytes)
                .arg(before)
                .arg(after);
    *out += tr("  the file and journal as they were: %1, %2\n")
                .arg(TextFormat::escape(backup), TextFormat::escape(backup + QStringLiteral("-journal")));
    const Expected<LoadedFile> check = SnapshotReader::read(path);
    if (!check)
        return tr("rolled back, but the file still does not read: %1").arg(check.error());
    *out += tr("  reads fine: %1 snapshots\n").arg(check.value().snapshots.size());
    return QString();
}

} // namespace

QString RepairCommand::usage()
{
    return tr("Usage: leakscope-cli repair FILE...\n"
              "\n"
              "Rolls back an interrupted write: a writer killed in the middle of a transaction\n"
              "(kill -9 during `record --graph`) leaves FILE-journal behind. Readers work around\n"
              "it on a private copy; repair fixes the file itself, as SQLite's next writer would,\n"
              "after keeping the file and journal as they were in FILE.before-repair and\n"
              "FILE.before-repair-journal. A file without an interrupted write is left alone.\n");
}

int RepairCommand::run(const QStringList &arguments, CliOutput &io)
{
    CommandLine line;
    if (const std::optional<int> done = line.parseFor(arguments, io, usage()))
        return *done;
    const QStringList paths = line.positional();
    if (paths.isEmpty()) {
        io.error(tr("repair needs at least one file"));
        io.err += usage();
        return 2;
    }
    int code = 0;
    for (const QString &path : paths) {
        const QString error = repair(path, &io.out);
        if (!error.isEmpty()) {
            io.error(TextFormat::escape(path) + QStringLiteral(": ") + error);
            code = 2;
        }
    }
    return code;
}

} // namespace leakscope
