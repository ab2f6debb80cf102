#pragma once

#include <QByteArray>
#include <QString>

#include <functional>
#include <memory>

class QTemporaryDir;

// SQLite's own types stay opaque here; only model/*.cpp files include sqlite3.h.
struct sqlite3;
struct sqlite3_stmt;

namespace leakscope {

// A prepared statement, finalized on destruction. Move-only.
class SqliteStatement
{
public:
    enum StepResult { Row, Done, Error };
    enum ColumnType { Integer, Float, Text, Blob, Null };

    SqliteStatement() = default;
    ~SqliteStatement();
    SqliteStatement(SqliteStatement &&other) noexcept;
    SqliteStatement &operator=(SqliteStatement &&other) noexcept;
    SqliteStatement(const SqliteStatement &) = delete;
    SqliteStatement &operator=(const SqliteStatement &) = delete;

    bool isValid() const { return m_stmt != nullptr; }
    StepResult step();
    void reset();

    void bindInt64(int index, qint64 value);
    void bindDouble(int index, double value);
    void bindText(int index, const QString &value);
    void bindNull(int index);
    void bindBlob(int index, const QByteArray &value); // copied by SQLite

    ColumnType columnType(int column) const;
    qint64 int64(int column) const;
    double real(int column) const;
    QByteArray utf8(int column) const; // raw text bytes, empty for NULL
    QString text(int column) const;
    QByteArray blob(int column) const; // a deep copy, empty for NULL

private:
    friend class SqliteDatabase;
    explicit SqliteStatement(sqlite3_stmt *stmt) : m_stmt(stmt) {}
    sqlite3_stmt *m_stmt = nullptr;
};

// One SQLite connection, closed on destruction. Errors are returned as text
// (SQLite's message); callers prefix the file name.
class SqliteDatabase
{
public:
    enum OpenMode {
        ReadOnly,          // SQLITE_OPEN_READONLY, never creates or writes anything
        ReadOnlyImmutable, // ... and assumes nobody else changes the file (no locks, no -shm)
        ReadWriteCreate,
    };
    // Broad classes of failure the reader reports differently.
    enum ErrorClass {
        NoError,
        Corrupt,
        NotADatabase,
        IoError,
        Busy,
        ReadOnlyError,
        HotJournal, // an interrupted write that a read-only connection cannot roll back
        Interrupted,
        OtherError
    };

    SqliteDatabase();
    ~SqliteDatabase();
    SqliteDatabase(const SqliteDatabase &) = delete;
    SqliteDatabase &operator=(const SqliteDatabase &) = delete;

    bool open(const QString &path, OpenMode mode);
    // Opens a file for reading (ReadOnly or ReadOnlyImmutable) and makes sure
    // it can be read: when an interrupted write left a hot journal, which a
    // read-only connection cannot roll back, the file and its journal are
    // copied to a private temporary directory and SQLite rolls back there.
    // The user's file and journal are never modified; path() then names the
    // copy (removed on close) and rolledBackPrivately() is true. Any other
    // failure of the first read is left for the caller's first statement.
    bool openForReading(const QString &path, OpenMode mode);
    // The file this connection reads (the private copy after a rollback).
    QString path() const { return m_path; }
    bool rolledBackPrivately() const { return m_privateCopy != nullptr; }
    // True when the file has a hot journal: an interrupted write that the
    // next writer (or `leakscope-cli repair`) must roll back.
    static bool hasHotJournal(const QString &path);
    // False when SQLite could not close cleanly (a statement still alive, or
    // an I/O error); the handle is released either way.
    bool close();
    bool isOpen() const { return m_db != nullptr; }

    SqliteStatement prepare(const char *sql); // invalid statement on error
    bool exec(const char *sql);
    qint64 lastInsertRowId() const;
    void setBusyTimeout(int milliseconds);
    // Called every few thousand virtual machine steps; returning true interrupts
    // the running statement (used for cancel during long scans and checks).
    void setInterruptCheck(std::function<bool()> check);

    // Error of the last failed call (open, prepare, exec or a statement step).
    QString errorMessage() const;
    ErrorClass errorClass() const;
    int errorCode() const; // extended result code

    static QString libraryVersion();

private:
    static int progressCallback(void *self);

    bool probe();

    sqlite3 *m_db = nullptr;
    QString m_path;
    std::unique_ptr<QTemporaryDir> m_privateCopy;
    QString m_openError;
    int m_openErrorCode = 0;
    std::function<bool()> m_interruptCheck;
};

} // namespace leakscope
