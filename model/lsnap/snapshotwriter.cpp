#include "lsnap/snapshotwriter.h"

#include "lsnap/containertables.h"

#include "lsnap/lsnapformat.h"
#include "lsnap/sqlitedatabase.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace leakscope {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("SnapshotWriter", text);
}

QString originString(SnapshotOrigin origin)
{
    switch (origin) {
    case SnapshotOrigin::Agent:
        return QStringLiteral("agent");
    case SnapshotOrigin::ObjgraphTypestats:
        return QStringLiteral("objgraph-typestats");
    case SnapshotOrigin::ObjgraphGrowthLog:
        return QStringLiteral("objgraph-growth-log");
    case SnapshotOrigin::Live:
        return QStringLiteral("live");
    }
    return QStringLiteral("agent");
}

// fsync a file or directory by path; false when it could not be synced.
bool syncPath(const QString &path, bool directory)
{
    const QByteArray native = QFile::encodeName(path);
    const int fd = ::open(native.constData(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
    if (fd < 0)
        return false;
    const bool ok = ::fsync(fd) == 0;
    ::close(fd);
    return ok;
}

} // namespace

struct SnapshotWriter::Private
{
    QString path;
    // Declared first so that the statements below are finalized before it closes.
    SqliteDatabase db;
    QHash<QString, qint64> typeIds; // committed name -> id in the file
    SqliteStatement findType;
    SqliteStatement insertType;
    SqliteStatement insertSnapshot;
    SqliteStatement insertCount;

    Status fail(const QString &reason) const { return Status::failure(path + QStringLiteral(": ") + reason); }
    QString sqliteError() const { return db.errorMessage(); }
    Status create();
    Status verifyExisting();
    Status prepareStatements();
    void releaseStatements()
    {
        findType = SqliteStatement();
        insertType = SqliteStatement();
        insertSnapshot = SqliteStatement();
        insertCount = SqliteStatement();
    }
};

Status SnapshotWriter::Private::create()
{
    const QByteArray meta = QStringLiteral("INSERT INTO meta(key, value) VALUES "
                                           "('format_version', '%1'), ('writer', 'leakscope %2'), "
                                           "('created_at', '%3'), ('byte_order', 'little');")
                                .arg(LsnapFormat::Version)
                                .arg(QStringLiteral("0.1.0"))
                                .arg(QDateTime::currentDateTimeUtc().toString(Qt::ISODate))
                                .toUtf8();
    const QByteArray pragmas = QByteArrayLiteral("PRAGMA application_id = ")
        + QByteArray::number(LsnapFormat::ApplicationId) + QByteArrayLiteral("; PRAGMA user_version = ")
        + QByteArray::number(LsnapFormat::Version) + ';';
    // The optional tables of issue 14 too, as the agent creates them.
    if (!db.exec(pragmas.constData()) || !db.exec(LsnapFormat::schemaSql()) || !db.exec(meta.constData())
        || !db.exec(ContainerTables::schemaSql()))
        return fail(tr("cannot create the schema (%1)").arg(sqliteError()));
    return Status();
}

Status SnapshotWriter::Private::verifyExisting()
{
    LsnapFormat::Header header;
    SqliteStatement pragma = db.prepare("PRAGMA application_id");
    if (!pragma.isValid() || pragma.step() != SqliteStatement::Row)
        return fail(tr("cannot read (%1)").arg(sqliteError()));
    header.applicationId = quint32(pragma.int64(0));
    pragma = db.prepare("PRAGMA user_version");
    if (!pragma.isValid() || pragma.step() != SqliteStatement::Row)
        return fail(tr("cannot read (%1)").arg(sqliteError()));
    header.userVersion = qint32(pragma.int64(0));
    const QString refusal = LsnapFormat::refusalReason(header);
    if (!refusal.isEmpty())
        return fail(refusal);
    bool schemaOk = false;
    if (const QString unsafe = LsnapFormat::unsafeSchemaReason(db, &schemaOk); !unsafe.isEmpty())
        return fail(unsafe);
    if (!schemaOk)
        return fail(tr("cannot read (%1)").arg(sqliteError()));
    SqliteStatement tables = db.prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table' "
                                        "AND name IN ('meta', 'snapshot', 'type', 'type_count')");
    if (!tables.isValid() || tables.step() != SqliteStatement::Row)
        return fail(tr("cannot read (%1)").arg(sqliteError()));
    if (tables.int64(0) != 4)
        return fail(tr("not a Leakscope file (tables missing)"));
    return Status();
}

Status SnapshotWriter::Private::prepareStatements()
{
    findType = db.prepare("SELECT id FROM type WHERE name = ?1");
    insertType = db.prepare("INSERT INTO type(name) VALUES (?1)");
    insertSnapshot = db.prepare("INSERT INTO snapshot(label, taken_at, pid, rss, gc_objects, gc_garbage, meta_json) "
                                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    insertCount = db.prepare("INSERT INTO type_count(snapshot, type, count, size) VALUES (?1, ?2, ?3, ?4)");
    if (!findType.isValid() || !insertType.isValid() || !insertSnapshot.isValid() || !insertCount.isValid())
        return fail(tr("malformed (%1)").arg(sqliteError()));

    SqliteStatement types = db.prepare("SELECT id, name FROM type");
    if (!types.isValid())
        return fail(tr("malformed (%1)").arg(sqliteError()));
    SqliteStatement::StepResult step;
    while ((step = types.step()) == SqliteStatement::Row)
        typeIds.insert(types.text(1), types.int64(0));
    if (step == SqliteStatement::Error)
        return fail(tr("cannot read the types (%1)").arg(sqliteError()));
    return Status();
}

SnapshotWriter::SnapshotWriter() : d(std::make_unique<Private>()) {}

SnapshotWriter::~SnapshotWriter()
{
    close();
}

Status SnapshotWriter::open(const QString &path)
{
    close();
    d->path = path;

    // Decide from the raw bytes before SQLite opens the file for writing:
    // opening could roll back a journal of somebody else's database.
    const QFileInfo info(path);
    bool isNew = !info.exists();
    if (!isNew) {
        if (info.isDir())
            return d->fail(tr("is a directory"));
        if (!info.isFile())
            return d->fail(tr("not a regular file"));
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            return d->fail(file.error() == QFileDevice::PermissionsError ? tr("permission denied")
                                                                          : file.errorString());
        const QByteArray head = file.read(LsnapFormat::SqliteHeaderSize);
        isNew = head.isEmpty();
        if (!isNew) {
            if (!LsnapFormat::isSqlite(head))
                return d->fail(tr("not a Leakscope file (not a SQLite database)"));
            if (head.size() < LsnapFormat::SqliteHeaderSize)
                return d->fail(tr("truncated or corrupt (shorter than a SQLite header)"));
            const QString refusal = LsnapFormat::refusalReason(LsnapFormat::parseHeader(head));
            if (!refusal.isEmpty())
                return d->fail(refusal);
        }
    } else if (!info.absoluteDir().exists()) {
        return d->fail(tr("directory does not exist"));
    }

    if (!d->db.open(path, SqliteDatabase::ReadWriteCreate))
        return d->fail(tr("cannot open for writing (%1)").arg(d->db.errorMessage()));
    d->db.setBusyTimeout(5000);

    // Another process may create the same file at the same moment: decide
    // under the write lock whether it is still empty.
    if (!d->db.exec("BEGIN IMMEDIATE")) {
        const Status s = d->fail(tr("cannot lock for writing (%1)").arg(d->sqliteError()));
        close();
        return s;
    }
    Status status;
    SqliteStatement count = d->db.prepare("SELECT count(*) FROM sqlite_schema");
    if (!count.isValid() || count.step() != SqliteStatement::Row) {
        status = d->fail(tr("cannot read (%1)").arg(d->sqliteError()));
    } else {
        const bool empty = count.int64(0) == 0;
        count = SqliteStatement();
        if (empty && isNew)
            status = d->create();
        else
            status = d->verifyExisting();
    }
    if (status && !d->db.exec("COMMIT"))
        status = d->fail(tr("cannot commit (%1)").arg(d->sqliteError()));
    if (!status) {
        d->db.exec("ROLLBACK");
        close();
        d->path = path;
        return status;
    }
    status = d->prepareStatements();
    if (!status) {
        close();
        d->path = path;
    }
    return status;
}

Expected<qint64> SnapshotWriter::append(const Snapshot &snapshot, const TypeRegistry &types)
{
    auto failure = [&](const QString &reason) {
        return Expected<qint64>::failure(d->path + QStringLiteral(": ") + reason);
    };
    if (!d->db.isOpen())
        return failure(tr("not open for writing"));
    for (const TypeStat &stat : snapshot.stats) {
        if (stat.type < 0 || stat.type >= types.size())
            return failure(tr("snapshot refers to an unknown type id %1").arg(stat.type));
        // The reader's limits, so that a written file always reads back.
        if (stat.count < 0 || stat.size < 0 || stat.count > (qint64(1) << 40) || stat.size > (qint64(1) << 46))
            return failure(tr("negative or impossible count or size for \"%1\"").arg(types.name(stat.type)));
        if (types.name(stat.type).isEmpty())
            return failure(tr("a type has an empty name")); // readers refuse those
    }

    const SnapshotInfo &info = snapshot.info;
    QJsonObject meta = info.meta;
    if (!info.argv.isEmpty())
        meta.insert(QStringLiteral("argv"), QJsonArray::fromStringList(info.argv));
    if (!info.pythonVersion.isEmpty())
        meta.insert(QStringLiteral("python"), info.pythonVersion);
    meta.insert(QStringLiteral("origin"), originString(info.origin));
    meta.insert(QStringLiteral("has_sizes"), info.hasSizes);
    meta.insert(QStringLiteral("partial"), info.partial);
    const QString metaJson = QString::fromUtf8(QJsonDocument(meta).toJson(QJsonDocument::Compact));

    if (!d->db.exec("BEGIN IMMEDIATE"))
        return failure(tr("cannot lock for writing (%1)").arg(d->sqliteError()));
    // Another writer may have changed the schema since open(): checked again
    // under the write lock, before anything is written.
    {
        bool schemaOk = false;
        const QString unsafe = LsnapFormat::unsafeSchemaReason(d->db, &schemaOk);
        if (!schemaOk || !unsafe.isEmpty()) {
            const QString reason = schemaOk ? unsafe : tr("cannot read the schema (%1)").arg(d->sqliteError());
            d->db.exec("ROLLBACK");
            return failure(reason);
        }
    }

    QHash<QString, qint64> added; // only merged into the cache after COMMIT
    auto rollback = [&](const QString &what) {
        const QString message = d->sqliteError();
        d->findType.reset();
        d->insertType.reset();
        d->insertSnapshot.reset();
        d->insertCount.reset();
        d->db.exec("ROLLBACK");
        return failure(tr("%1 failed (%2)").arg(what, message));
    };

    SqliteStatement &ins = d->insertSnapshot;
    if (info.label.isEmpty())
        ins.bindNull(1);
    else
        ins.bindText(1, info.label);
    // 0 stands for "no time" (objgraph imports), see docs/file-format.md.
    ins.bindDouble(2, info.takenAt.isValid() ? double(info.takenAt.toMSecsSinceEpoch()) / 1000.0 : 0.0);
    ins.bindInt64(3, qMax<qint64>(0, info.pid));
    if (info.rss < 0)
        ins.bindNull(4);
    else
        ins.bindInt64(4, info.rss);
    ins.bindInt64(5, qMax<qint64>(-1, info.gcObjects));
    ins.bindInt64(6, qMax<qint64>(-1, info.gcGarbage));
    ins.bindText(7, metaJson);
    if (ins.step() != SqliteStatement::Done)
        return rollback(tr("writing the snapshot"));
    ins.reset();
    const qint64 snapshotId = d->db.lastInsertRowId();

    for (const TypeStat &stat : snapshot.stats) {
        if (stat.count == 0)
            continue; // zero counts are not stored
        const QString &name = types.name(stat.type);
        qint64 typeId = d->typeIds.value(name, -1);
        if (typeId < 0)
            typeId = added.value(name, -1);
        if (typeId < 0) {
            // Another writer (the agent) may have added it since we cached.
            d->findType.bindText(1, name);
            const auto found = d->findType.step();
            if (found == SqliteStatement::Row)
                typeId = d->findType.int64(0);
            d->findType.reset();
            if (found == SqliteStatement::Error)
                return rollback(tr("looking up a type"));
            if (typeId < 0) {
                d->insertType.bindText(1, name);
                if (d->insertType.step() != SqliteStatement::Done)
                    return rollback(tr("writing a type"));
                d->insertType.reset();
                typeId = d->db.lastInsertRowId();
            }
            added.insert(name, typeId);
        }
        SqliteStatement &cnt = d->insertCount;
        cnt.bindInt64(1, snapshotId);
        cnt.bindInt64(2, typeId);
        cnt.bindInt64(3, stat.count);
        cnt.bindInt64(4, stat.size);
        if (cnt.step() != SqliteStatement::Done)
            return rollback(tr("writing the counts"));
        cnt.reset();
    }
    if (!snapshot.containers.empty() || snapshot.allocations) {
        // Containers and allocations keep their types in the type table.
        auto typeIdOf = [&](const QString &name) -> qint64 {
            qint64 id = d->typeIds.value(name, added.value(name, -1));
            if (id >= 0)
                return id;
            d->findType.bindText(1, name);
            const auto found = d->findType.step();
            if (found == SqliteStatement::Row)
                id = d->findType.int64(0);
            d->findType.reset();
            if (found == SqliteStatement::Error)
                return -1;
            if (id < 0) {
                d->insertType.bindText(1, name);
                if (d->insertType.step() != SqliteStatement::Done)
                    return -1;
                d->insertType.reset();
                id = d->db.lastInsertRowId();
            }
            added.insert(name, id);
            return id;
        };
        QString error;
        if (!d->db.exec(ContainerTables::schemaSql())
            || !ContainerTables::write(d->db, snapshotId, snapshot, types, typeIdOf, &error))
            return rollback(tr("writing containers and allocations"));
    }
    if (!d->db.exec("COMMIT"))
        return rollback(tr("committing"));
    for (auto it = added.constBegin(); it != added.constEnd(); ++it)
        d->typeIds.insert(it.key(), it.value());
    return snapshotId;
}

void SnapshotWriter::close()
{
    d->releaseStatements();
    d->typeIds.clear();
    d->db.close();
}

QString SnapshotWriter::path() const
{
    return d->path;
}

Status SnapshotWriter::writeFile(const QString &path, const std::vector<const Snapshot *> &snapshots,
                                 const TypeRegistry &types, const Finish &finish)
{
    auto failure = [&](const QString &reason) { return Status::failure(path + QStringLiteral(": ") + reason); };
    const QFileInfo target(path);
    if (!target.absoluteDir().exists())
        return failure(tr("directory does not exist"));
    if (target.isDir())
        return failure(tr("is a directory"));

    const QString temporary =
        target.absoluteFilePath() + QStringLiteral(".tmp-") + QString::number(QCoreApplication::applicationPid());
    QFile::remove(temporary); // a leftover of a crashed earlier run of this pid
    auto discard = [&](const QString &reason) {
        QFile::remove(temporary);
        QFile::remove(temporary + QStringLiteral("-journal"));
        return failure(reason);
    };

    {
        SnapshotWriter writer;
        Status status = writer.open(temporary);
        if (!status)
            return discard(tr("cannot create the temporary file (%1)").arg(status.error().mid(temporary.size() + 2)));
        // Nobody else sees the temporary file and it is discarded on any
        // failure, so no journal and no per-transaction sync; one fsync below.
        if (!writer.d->db.exec("PRAGMA journal_mode = MEMORY") || !writer.d->db.exec("PRAGMA synchronous = OFF"))
            return discard(writer.d->db.errorMessage());
        std::vector<qint64> ids;
        ids.reserve(snapshots.size());
        for (const Snapshot *snapshot : snapshots) {
            if (!snapshot) {
                ids.push_back(-1);
                continue;
            }
            const Expected<qint64> id = writer.append(*snapshot, types);
            if (!id)
                return discard(id.error().mid(temporary.size() + 2));
            ids.push_back(id.value());
        }
        writer.d->releaseStatements();
        if (!writer.d->db.close())
            return discard(tr("cannot close the temporary file (%1)").arg(writer.d->db.errorMessage()));
        if (finish) {
            const Status finished = finish(temporary, ids);
            if (!finished)
                return discard(finished.error());
        }
    }
    if (!syncPath(temporary, false))
        return discard(tr("cannot flush the temporary file to disk"));
    if (std::rename(QFile::encodeName(temporary).constData(), QFile::encodeName(target.absoluteFilePath()).constData())
        != 0)
        return discard(tr("cannot replace the file (%1)").arg(QString::fromLocal8Bit(std::strerror(errno))));
    syncPath(target.absolutePath(), true); // best effort: makes the rename durable
    return Status();
}

} // namespace leakscope
