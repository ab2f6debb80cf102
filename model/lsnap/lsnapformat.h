#pragma once

#include <QByteArray>
#include <QString>

namespace leakscope {

class SqliteDatabase;

// Facts about the .lsnap container shared by the reader and the writer (see
// docs/file-format.md), and the checks both run on the raw SQLite header
// before SQLite itself touches a file.
class LsnapFormat
{
public:
    static constexpr quint32 ApplicationId = 0x4C534E50; // "LSNP"
    // The version of a file without heap graphs (docs/file-format.md,
    // "Heap graphs"). GraphVersion is the first with heap graphs; from
    // TargetIdsVersion on, each graph row says in target_encoding whether its
    // edge_targets are node indices or object ids. Writing a heap graph
    // raises a file to TargetIdsVersion.
    static constexpr int Version = 1;
    static constexpr int GraphVersion = 2;
    static constexpr int TargetIdsVersion = 3;
    // The newest version this build reads.
    static constexpr int NewestVersion = TargetIdsVersion;
    static constexpr int SqliteHeaderSize = 100;

    // What the first 100 bytes of a SQLite file say about it.
    struct Header
    {
        quint32 applicationId = 0;
        qint32 userVersion = 0;
        qint64 pageSize = 0;      // 0 when the header holds an impossible value
        qint64 pageCount = 0;     // valid only when pageCountValid
        bool pageCountValid = false;
        bool wal = false;         // journal_mode=WAL
    };

    static bool isSqlite(const QByteArray &firstBytes);
    static Header parseHeader(const QByteArray &first100);

    // The reason (no file name) why a file with this header cannot be read as
    // a Leakscope file of a version this build understands, or an empty string.
    static QString refusalReason(const Header &header);
    // The reason why a file of fileSize bytes cannot be whole given its
    // header (cut pages), or an empty string. Skip when a -wal file exists.
    static QString truncationReason(const Header &header, qint64 fileSize);

    // The reason (no file name) why a file must be neither read nor written
    // because of what its schema holds: triggers (run by writes), views and
    // virtual tables (run SQL or module code from the file when queried).
    // Empty when the schema holds only tables and indexes. Sets *ok to false
    // (and returns an empty string) when the schema could not be read.
    static QString unsafeSchemaReason(SqliteDatabase &db, bool *ok);

    // The CREATE statements of one section of the schema ("base", "graph",
    // "extra"), in one string for sqlite3_exec, from the one schema source
    // the agent ships too (resources/python/leakscope_agent/schema.sql,
    // compiled in as ":/lsnap/schema.sql"). Empty for an unknown section.
    static QByteArray schemaSection(const char *name);
    // The base section: the tables every file has.
    static const char *schemaSql();
};

} // namespace leakscope
