#include "lsnap/sqlitedatabase.h"

#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QUrl>

#include <sqlite3.h>

#include <utility>

namespace leakscope {

SqliteStatement::~SqliteStatement()
{
    sqlite3_finalize(m_stmt);
}

SqliteStatement::SqliteStatement(SqliteStatement &&other) noexcept : m_stmt(std::exchange(other.m_stmt, nullptr)) {}

SqliteStatement &SqliteStatement::operator=(SqliteStatement &&other) noexcept
{
    if (this != &other) {
        sqlite3_finalize(m_stmt);
        m_stmt = std::exchange(other.m_stmt, nullptr);
    }
    return *this;
}

SqliteStatement::StepResult SqliteStatement::step()
{
    if (!m_stmt)
        return Error;
    switch (sqlite3_step(m_stmt)) {
    case SQLITE_ROW:
        return Row;
    case SQLITE_DONE:
        return Done;
    default:
        return Error;
    }
}

void SqliteStatement::reset()
{
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
}

void SqliteStatement::bindInt64(int index, qint64 value)
{
    sqlite3_bind_int64(m_stmt, index, value);
}

void SqliteStatement::bindDouble(int index, double value)
{
    sqlite3_bind_double(m_stmt, index, value);
}

void SqliteStatement::bindText(int index, const QString &value)
{
    const QByteArray utf8 = value.toUtf8();
    sqlite3_bind_text64(m_stmt, index, utf8.constData(), sqlite3_uint64(utf8.size()), SQLITE_TRANSIENT, SQLITE_UTF8);
}

void SqliteStatement::bindNull(int index)
{
    sqlite3_bind_null(m_stmt, index);
}

void SqliteStatement::bindBlob(int index, const QByteArray &value)
{
    // A zero-length BLOB, not NULL, for an empty array.
    sqlite3_bind_blob64(m_stmt, index, value.isEmpty() ? "" : value.constData(), sqlite3_uint64(value.size()),
                        SQLITE_TRANSIENT);
}

SqliteStatement::ColumnType SqliteStatement::columnType(int column) const
{
    switch (sqlite3_column_type(m_stmt, column)) {
    case SQLITE_INTEGER:
        return Integer;
    case SQLITE_FLOAT:
        return Float;
    case SQLITE_TEXT:
        return Text;
    case SQLITE_BLOB:
        return Blob;
    default:
        return Null;
    }
}

qint64 SqliteStatement::int64(int column) const
{
    return sqlite3_column_int64(m_stmt, column);
}

double SqliteStatement::real(int column) const
{
    return sqlite3_column_double(m_stmt, column);
}

QByteArray SqliteStatement::utf8(int column) const
{
    const auto *data = reinterpret_cast<const char *>(sqlite3_column_text(m_stmt, column));
    if (!data)
        return QByteArray();
    return QByteArray(data, sqlite3_column_bytes(m_stmt, column));
}

QString SqliteStatement::text(int column) const
{
    const auto *data = reinterpret_cast<const char *>(sqlite3_column_text(m_stmt, column));
    if (!data)
        return QString();
    return QString::fromUtf8(data, sqlite3_column_bytes(m_stmt, column));
}

QByteArray SqliteStatement::blob(int column) const
{
    const void *data = sqlite3_column_blob(m_stmt, column);
    if (!data)
        return QByteArray();
    return QByteArray(static_cast<const char *>(data), sqlite3_column_bytes(m_stmt, column));
}

SqliteDatabase::SqliteDatabase() = default;

SqliteDatabase::~SqliteDatabase()
{
    close();
}

bool SqliteDatabase::open(const QString &path, OpenMode mode)
{
    close();
    m_openError.clear();
    m_openErrorCode = 0;

    // A URI so that '?' or '#' in a file name cannot be read as parameters and
    // so that mode=ro / immutable=1 can be passed.
    QByteArray uri = "file:" + QUrl::toPercentEncoding(QFileInfo(path).absoluteFilePath(), "/");
    int flags = SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    switch (mode) {
    case ReadOnly:
        uri += "?mode=ro";
        flags |= SQLITE_OPEN_READONLY;
        break;
    case ReadOnlyImmutable:
        uri += "?mode=ro&immutable=1";
        flags |= SQLITE_OPEN_READONLY;
        break;
    case ReadWriteCreate:
        flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
        break;
    }

    sqlite3 *db = nullptr;
    const int rc = sqlite3_open_v2(uri.constData(), &db, flags, nullptr);
    if (rc != SQLITE_OK) {
        m_openErrorCode = db ? sqlite3_extended_errcode(db) : rc;
        m_openError = db ? QString::fromUtf8(sqlite3_errmsg(db)) : QString::fromUtf8(sqlite3_errstr(rc));
        sqlite3_close(db);
        return false;
    }
    m_db = db;
    m_path = path;
    // Files come from anywhere: no schema-defined functions with side effects,
    // no writes to sqlite_schema, and cell sizes checked while reading pages.
    // Triggers and views are SQL stored in the file: none of it ever runs
    // (readers and writers also refuse files that hold any, see LsnapFormat).
    sqlite3_db_config(m_db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
    sqlite3_db_config(m_db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
    sqlite3_db_config(m_db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, nullptr);
    sqlite3_db_config(m_db, SQLITE_DBCONFIG_ENABLE_VIEW, 0, nullptr);
    sqlite3_exec(m_db, "PRAGMA cell_size_check=ON", nullptr, nullptr, nullptr);
    return true;
}

bool SqliteDatabase::probe()
{
    // The first read takes the shared lock, which is when SQLite looks for a
    // hot journal.
    SqliteStatement stmt = prepare("SELECT count(*) FROM sqlite_schema");
    return stmt.isValid() && stmt.step() == SqliteStatement::Row;
}

bool SqliteDatabase::hasHotJournal(const QString &path)
{
    if (QFileInfo(path + QStringLiteral("-journal")).size() <= 0)
        return false;
    SqliteDatabase db;
    if (!db.open(path, ReadOnly))
        return false;
    return !db.probe() && db.errorCode() == SQLITE_READONLY_ROLLBACK;
}

bool SqliteDatabase::openForReading(const QString &path, OpenMode mode)
{
    if (!open(path, mode))
        return false;
    if (probe() || errorCode() != SQLITE_READONLY_ROLLBACK)
        return true;

    // A hot journal: roll it back in a private copy of the file and journal.
    const QString journal = path + QStringLiteral("-journal");
    close();
    auto dir = std::make_unique<QTemporaryDir>();
    const QString copy = dir->isValid() ? dir->filePath(QStringLiteral("rollback.lsnap")) : QString();
    if (copy.isEmpty() || !QFile::copy(path, copy) || !QFile::copy(journal, copy + QStringLiteral("-journal"))) {
        m_openError = QStringLiteral("an interrupted write left %1 behind and no private copy could be made "
                                     "to roll it back; run `leakscope-cli repair FILE`")
                          .arg(QFileInfo(journal).fileName());
        m_openErrorCode = SQLITE_READONLY_ROLLBACK;
        return false;
    }
    QFile::setPermissions(copy, QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    if (!open(copy, ReadWriteCreate))
        return false;
    if (!probe()) {
        const QString message = errorMessage();
        const int code = errorCode();
        close();
        m_openError = message;
        m_openErrorCode = code;
        return false;
    }
    // From here on this connection only reads.
    exec("PRAGMA query_only = ON");
    m_privateCopy = std::move(dir);
    return true;
}

bool SqliteDatabase::close()
{
    if (!m_db) {
        m_privateCopy.reset();
        return true;
    }
    const int rc = sqlite3_close(m_db);
    if (rc != SQLITE_OK) {
        m_openError = QString::fromUtf8(sqlite3_errmsg(m_db));
        m_openErrorCode = rc;
        // A statement is still alive: let SQLite close once it is finalized
        // instead of leaking the connection.
        sqlite3_close_v2(m_db);
    }
    m_db = nullptr;
    m_privateCopy.reset();
    return rc == SQLITE_OK;
}

SqliteStatement SqliteDatabase::prepare(const char *sql)
{
    sqlite3_stmt *stmt = nullptr;
    if (!m_db || sqlite3_prepare_v2(m_db, sql, -1, &stmt, nullptr) != SQLITE_OK) {
        sqlite3_finalize(stmt);
        return SqliteStatement();
    }
    return SqliteStatement(stmt);
}

bool SqliteDatabase::exec(const char *sql)
{
    return m_db && sqlite3_exec(m_db, sql, nullptr, nullptr, nullptr) == SQLITE_OK;
}

qint64 SqliteDatabase::lastInsertRowId() const
{
    return m_db ? sqlite3_last_insert_rowid(m_db) : 0;
}

void SqliteDatabase::setBusyTimeout(int milliseconds)
{
    if (m_db)
        sqlite3_busy_timeout(m_db, milliseconds);
}

void SqliteDatabase::setInterruptCheck(std::function<bool()> check)
{
    m_interruptCheck = std::move(check);
    if (!m_db)
        return;
    if (m_interruptCheck)
        sqlite3_progress_handler(m_db, 10000, &SqliteDatabase::progressCallback, this);
    else
        sqlite3_progress_handler(m_db, 0, nullptr, nullptr);
}

int SqliteDatabase::progressCallback(void *self)
{
    const auto *db = static_cast<SqliteDatabase *>(self);
    return db->m_interruptCheck && db->m_interruptCheck() ? 1 : 0;
}

QString SqliteDatabase::errorMessage() const
{
    if (!m_db)
        return m_openError.isEmpty() ? QStringLiteral("database is not open") : m_openError;
    return QString::fromUtf8(sqlite3_errmsg(m_db));
}

int SqliteDatabase::errorCode() const
{
    return m_db ? sqlite3_extended_errcode(m_db) : m_openErrorCode;
}

SqliteDatabase::ErrorClass SqliteDatabase::errorClass() const
{
    const int code = errorCode();
    if (code == SQLITE_READONLY_ROLLBACK)
        return HotJournal;
    switch (code & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
        return NoError;
    case SQLITE_CORRUPT:
        return Corrupt;
    case SQLITE_NOTADB:
        return NotADatabase;
    case SQLITE_IOERR:
    case SQLITE_FULL:
        return IoError;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return Busy;
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
        return ReadOnlyError;
    case SQLITE_INTERRUPT:
        return Interrupted;
    default:
        return OtherError;
    }
}

QString SqliteDatabase::libraryVersion()
{
    return QString::fromLatin1(sqlite3_libversion());
}

} // namespace leakscope
