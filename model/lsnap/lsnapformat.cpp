#include "lsnap/lsnapformat.h"

#include <QFile>

#include "lsnap/sqlitedatabase.h"

#include <QCoreApplication>
#include <QStringList>

namespace leakscope {

namespace {

quint32 bigEndian32(const QByteArray &bytes, int offset)
{
    const auto *p = reinterpret_cast<const unsigned char *>(bytes.constData()) + offset;
    return (quint32(p[0]) << 24) | (quint32(p[1]) << 16) | (quint32(p[2]) << 8) | quint32(p[3]);
}

quint32 bigEndian16(const QByteArray &bytes, int offset)
{
    const auto *p = reinterpret_cast<const unsigned char *>(bytes.constData()) + offset;
    return (quint32(p[0]) << 8) | quint32(p[1]);
}

} // namespace

bool LsnapFormat::isSqlite(const QByteArray &firstBytes)
{
    static const QByteArray magic("SQLite format 3\0", 16);
    return firstBytes.startsWith(magic);
}

LsnapFormat::Header LsnapFormat::parseHeader(const QByteArray &first100)
{
    // Offsets from https://www.sqlite.org/fileformat.html, section 1.3.
    Header h;
    if (first100.size() < SqliteHeaderSize)
        return h;
    const quint32 pageSize = bigEndian16(first100, 16);
    const qint64 effective = pageSize == 1 ? 65536 : qint64(pageSize);
    if (effective >= 512 && effective <= 65536 && (effective & (effective - 1)) == 0)
        h.pageSize = effective;
    h.wal = first100.at(18) == 2 || first100.at(19) == 2;
    // The page count in the header is only trustworthy when the change
    // counter matches "version-valid-for" (writers older than 3.7.0 did not keep it).
    h.pageCount = bigEndian32(first100, 28);
    h.pageCountValid = h.pageCount > 0 && bigEndian32(first100, 24) == bigEndian32(first100, 92);
    h.userVersion = qint32(bigEndian32(first100, 60));
    h.applicationId = bigEndian32(first100, 68);
    return h;
}

QString LsnapFormat::refusalReason(const Header &header)
{
    if (header.applicationId != ApplicationId)
        return QCoreApplication::translate("LsnapFormat",
                                           "not a Leakscope file (SQLite database of another application)");
    if (header.userVersion > NewestVersion)
        return QCoreApplication::translate("LsnapFormat",
                                           "written by a newer Leakscope (format %1; this build reads up to %2)")
            .arg(header.userVersion)
            .arg(NewestVersion);
    if (header.userVersion < 1)
        return QCoreApplication::translate("LsnapFormat", "not a Leakscope file (format version %1)")
            .arg(header.userVersion);
    return QString();
}

QString LsnapFormat::truncationReason(const Header &header, qint64 fileSize)
{
    if (header.pageSize == 0)
        return QCoreApplication::translate("LsnapFormat", "truncated or corrupt (invalid page size in the header)");
    if (fileSize % header.pageSize != 0)
        return QCoreApplication::translate("LsnapFormat",
                                           "truncated or corrupt (%1 bytes is not a whole number of %2-byte pages)")
            .arg(fileSize)
            .arg(header.pageSize);
    if (header.pageCountValid && fileSize < header.pageCount * header.pageSize)
        return QCoreApplication::translate("LsnapFormat",
                                           "truncated or corrupt (file has %1 bytes, its header says %2)")
            .arg(fileSize)
            .arg(header.pageCount * header.pageSize);
    return QString();
}

QString LsnapFormat::unsafeSchemaReason(SqliteDatabase &db, bool *ok)
{
    // A virtual table is a 'table' row with no b-tree of its own (rootpage 0).
    SqliteStatement stmt = db.prepare("SELECT type, name FROM sqlite_schema "
                                      "WHERE type IN ('trigger', 'view') OR (type = 'table' AND rootpage = 0) "
                                      "ORDER BY type, name");
    *ok = stmt.isValid();
    if (!*ok)
        return QString();
    QStringList found;
    SqliteStatement::StepResult step;
    int count = 0;
    while ((step = stmt.step()) == SqliteStatement::Row) {
        if (++count > 3)
            continue;
        QString kind = stmt.text(0);
        if (kind == QLatin1String("table"))
            kind = QStringLiteral("virtual table");
        // The name is the file's text: quoted, and only printable characters.
        QString name = stmt.text(1).left(60);
        for (QChar &c : name) {
            if (!c.isPrint())
                c = QLatin1Char('?');
        }
        found << kind + QStringLiteral(" \"") + name + QLatin1Char('"');
    }
    *ok = step == SqliteStatement::Done;
    if (!*ok || found.isEmpty())
        return QString();
    if (count > 3)
        found << QCoreApplication::translate("LsnapFormat", "%1 more").arg(count - 3);
    return QCoreApplication::translate("LsnapFormat",
                                       "refused: the file contains SQL that Leakscope never runs (%1); "
                                       "a .lsnap file holds only tables")
        .arg(found.join(QStringLiteral(", ")));
}

QByteArray LsnapFormat::schemaSection(const char *name)
{
    QFile file(QStringLiteral(":/lsnap/schema.sql"));
    if (!file.open(QIODevice::ReadOnly))
        return QByteArray();
    const QByteArray marker = QByteArray("-- [") + name + ']';
    QByteArray out;
    bool inside = false;
    for (const QByteArray &line : file.readAll().split('\n')) {
        if (line.startsWith("-- [")) {
            inside = line.startsWith(marker);
            continue;
        }
        if (inside && !line.startsWith("--"))
            out += line + '\n';
    }
    return out.trimmed();
}

const char *LsnapFormat::schemaSql()
{
    static const QByteArray sql = schemaSection("base");
    return sql.constData();
}

} // namespace leakscope
