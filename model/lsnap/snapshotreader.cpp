#include "lsnap/snapshotreader.h"

#include "core/checkedint.h"
#include "lsnap/containertables.h"
#include "lsnap/lsnapformat.h"
#include "lsnap/objgraphreader.h"
#include "lsnap/sqlitedatabase.h"

#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QLoggingCategory>
#include <QStringDecoder>

#include <algorithm>
#include <cmath>
#include <system_error>
#include <thread>
#include <vector>

namespace leakscope {

namespace {

Q_LOGGING_CATEGORY(lcReader, "leakscope.model.reader", QtInfoMsg)

// Text imports are read whole; a bigger file is not an objgraph log anyone wrote.
constexpr qint64 s_maxTextSize = qint64(512) * 1024 * 1024;
// Up to this size integrity_check (which also cross-checks indexes) runs
// first and costs little. Past it, quick_check runs on a second connection
// while the first one reads, which keeps big files at about the cost of one
// scan; the reader checks duplicate type names itself.
constexpr qint64 s_integrityCheckLimit = qint64(256) * 1024;
// No real heap comes near these; beyond them, sums over all types in a
// snapshot could overflow.
constexpr qint64 s_maxCount = qint64(1) << 40;
constexpr qint64 s_maxSize = qint64(1) << 46;

QString tr(const char *text)
{
    return QCoreApplication::translate("SnapshotReader", text);
}

Expected<LoadedFile> fail(const QString &path, const QString &reason)
{
    // One line, whatever SQLite or a file put into the reason.
    QString line = reason;
    line.replace(QLatin1Char('\n'), QLatin1Char(' ')).replace(QLatin1Char('\r'), QLatin1Char(' '));
    return Expected<LoadedFile>::failure(path + QStringLiteral(": ") + line);
}

bool cancelled(const std::atomic_bool *cancel)
{
    return cancel && cancel->load(std::memory_order_relaxed);
}

SnapshotOrigin originFromString(const QString &origin)
{
    if (origin == QLatin1String("objgraph-typestats"))
        return SnapshotOrigin::ObjgraphTypestats;
    if (origin == QLatin1String("objgraph-growth-log"))
        return SnapshotOrigin::ObjgraphGrowthLog;
    if (origin == QLatin1String("live"))
        return SnapshotOrigin::Live;
    return SnapshotOrigin::Agent;
}

// Reads one .lsnap file; every method returns false after setting m_error.
class LsnapReader
{
public:
    LsnapReader(const QString &path, const SnapshotReader::Progress &progress, const std::atomic_bool *cancel,
                SnapshotReader::Content content)
        : m_path(path), m_progress(progress), m_cancel(cancel), m_totalsOnly(!content.typeRows),
          m_keepMeta(content.meta)
    {
    }

    Expected<LoadedFile> read(const LsnapFormat::Header &header, qint64 fileSize);

private:
    bool sqliteFailed(const char *what);
    bool malformed(const QString &why);
    bool checkIntegrity(qint64 fileSize);
    QString runParallelCheck(SqliteDatabase::OpenMode mode, const std::atomic_bool *abort);
    bool checkSchema();
    bool readMeta();
    bool readTypes();
    bool readSnapshots();
    bool readCounts();
    bool readGraphFlags();
    int typeIndex(qint64 fileTypeId) const;

    QString m_path;
    const SnapshotReader::Progress &m_progress;
    const std::atomic_bool *m_cancel;
    bool m_totalsOnly;
    bool m_keepMeta;
    qint64 m_fileSize = 0;
    SqliteDatabase m_db;
    LoadedFile m_file;
    QString m_error;
    bool m_hasMetaTable = false;
    bool m_walExists = false;
    bool m_checkInParallel = false;
    // File type ids, ascending; registry id i belongs to m_typeIds[i].
    std::vector<qint64> m_typeIds;
    // Direct lookup file id -> registry id when the ids are dense enough.
    std::vector<int> m_typeLookup;
    qint64 m_typeLookupBase = 0;
};

// The reason for a failed SQLite call on db, without the file name.
QString sqliteFailureReason(const SqliteDatabase &db, const QString &path, const char *what)
{
    const QString message = db.errorMessage();
    switch (db.errorClass()) {
    case SqliteDatabase::Interrupted:
        return tr("cancelled");
    case SqliteDatabase::Corrupt:
    case SqliteDatabase::NotADatabase:
    case SqliteDatabase::IoError:
        return tr("truncated or corrupt (%1)").arg(message);
    case SqliteDatabase::Busy:
        return tr("locked by another process (%1)").arg(message);
    case SqliteDatabase::HotJournal:
        // Only when no private copy could be made to roll it back in.
        return tr("interrupted write: run `leakscope-cli repair %1`").arg(path);
    case SqliteDatabase::ReadOnlyError:
        return tr("cannot be read (%1)").arg(message);
    default:
        return tr("malformed (%1 failed: %2)").arg(QLatin1String(what), message);
    }
}

// Runs PRAGMA integrity_check or quick_check on db; the reason it failed, or
// an empty string. The reason stays one line.
QString integrityProblems(SqliteDatabase &db, bool quick, const QString &path)
{
    SqliteStatement check = db.prepare(quick ? "PRAGMA quick_check(10)" : "PRAGMA integrity_check(10)");
    if (!check.isValid())
        return sqliteFailureReason(db, path, "integrity check");
    // "ok", or problems: rows that may each hold several lines under a
    // "*** in database main ***" heading.
    QStringList problems;
    SqliteStatement::StepResult step;
    while ((step = check.step()) == SqliteStatement::Row) {
        const QString row = check.text(0);
        if (row == QLatin1String("ok"))
            continue;
        for (const QString &line : row.split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
            if (!line.startsWith(QLatin1String("***")))
                problems.append(line.simplified());
        }
    }
    if (step == SqliteStatement::Error)
        return sqliteFailureReason(db, path, "integrity check");
    if (problems.isEmpty())
        return QString();
    return problems.size() == 1
        ? tr("truncated or corrupt (%1)").arg(problems.first().left(200))
        : tr("truncated or corrupt (%1; %2 more problems)").arg(problems.first().left(200)).arg(problems.size() - 1);
}

bool LsnapReader::sqliteFailed(const char *what)
{
    m_error = sqliteFailureReason(m_db, m_path, what);
    return false;
}

bool LsnapReader::malformed(const QString &why)
{
    m_error = tr("malformed (%1)").arg(why);
    return false;
}

Expected<LoadedFile> LsnapReader::read(const LsnapFormat::Header &header, qint64 fileSize)
{
    // A read-only connection never writes the database or creates a journal,
    // but on a WAL database it would create -wal and -shm files unless told
    // the file is immutable. A WAL file that already exists holds committed
    // data, so then SQLite must see it.
    m_fileSize = fileSize;
    m_walExists = QFileInfo(m_path + QStringLiteral("-wal")).size() > 0;
    const auto mode = header.wal && !m_walExists ? SqliteDatabase::ReadOnlyImmutable : SqliteDatabase::ReadOnly;
    if (!m_db.openForReading(m_path, mode)) {
        sqliteFailed("open");
        return fail(m_path, m_error);
    }
    if (m_db.rolledBackPrivately())
        qCInfo(lcReader) << m_path << "has a hot journal (an interrupted write); read through a rolled-back private copy";
    m_db.setBusyTimeout(5000);
    if (m_cancel)
        m_db.setInterruptCheck([cancel = m_cancel] { return cancel->load(std::memory_order_relaxed); });

    m_file.path = m_path;
    m_file.format = FileFormat::Lsnap;
    m_file.formatVersion = header.userVersion;

    // One read transaction for all statements: a writer appending meanwhile
    // (the agent recording) cannot commit between reading the snapshot rows
    // and their counts.
    if (!m_db.exec("BEGIN")) {
        sqliteFailed("BEGIN");
        return fail(m_path, m_error);
    }
    bool ok = checkIntegrity(fileSize);
    std::atomic_bool abortCheck{false};
    QString checkError;
    std::thread checker;
    if (ok && m_checkInParallel) {
        try {
            checker = std::thread([&] { checkError = runParallelCheck(mode, &abortCheck); });
        } catch (const std::system_error &) {
            // No thread to be had: check on this connection first instead.
            m_error = integrityProblems(m_db, true, m_path);
            ok = m_error.isEmpty();
        }
    }
    ok = ok && checkSchema() && readMeta() && readTypes() && readSnapshots() && readCounts() && readGraphFlags()
        && ContainerTables::read(m_db, m_file, [this](qint64 id) { return typeIndex(id); }, &m_error);
    m_db.exec("COMMIT");
    if (checker.joinable()) {
        if (!ok)
            abortCheck = true; // the first error is enough
        checker.join();
        if (ok && !checkError.isEmpty()) {
            m_error = checkError;
            ok = false;
        }
    }
    if (!ok) {
        if (cancelled(m_cancel))
            m_error = tr("cancelled");
        qCDebug(lcReader) << m_path << m_error;
        return fail(m_path, m_error);
    }
    return std::move(m_file);
}

bool LsnapReader::checkIntegrity(qint64 fileSize)
{
    // The pragmas again, through SQLite: a WAL may hold a newer page 1.
    SqliteStatement pragma = m_db.prepare("PRAGMA application_id");
    if (!pragma.isValid() || pragma.step() != SqliteStatement::Row)
        return sqliteFailed("PRAGMA application_id");
    LsnapFormat::Header header;
    header.applicationId = quint32(pragma.int64(0));
    pragma = m_db.prepare("PRAGMA user_version");
    if (!pragma.isValid() || pragma.step() != SqliteStatement::Row)
        return sqliteFailed("PRAGMA user_version");
    header.userVersion = qint32(pragma.int64(0));
    const QString refusal = LsnapFormat::refusalReason(header);
    if (!refusal.isEmpty()) {
        m_error = refusal;
        return false;
    }
    m_file.formatVersion = header.userVersion;

    // Only now, with SQLite's shared lock held, is the file at rest: a
    // writer committing in between could otherwise look like a cut file.
    // The page size and count come through SQLite and the size from stat():
    // opening and closing another descriptor on the file would drop this
    // process's POSIX locks, SQLite's shared lock among them, and let a
    // writer commit in the middle of the read.
    if (!m_walExists) {
        SqliteStatement pageSize = m_db.prepare("PRAGMA page_size");
        SqliteStatement pageCount = m_db.prepare("PRAGMA page_count");
        if (!pageSize.isValid() || pageSize.step() != SqliteStatement::Row)
            return sqliteFailed("PRAGMA page_size");
        if (!pageCount.isValid() || pageCount.step() != SqliteStatement::Row)
            return sqliteFailed("PRAGMA page_count");
        LsnapFormat::Header pages;
        pages.pageSize = pageSize.int64(0);
        pages.pageCount = pageCount.int64(0);
        pages.pageCountValid = true;
        fileSize = QFileInfo(m_db.path()).size();
        const QString truncation = LsnapFormat::truncationReason(pages, fileSize);
        if (!truncation.isEmpty()) {
            m_error = truncation;
            return false;
        }
    }

    // Big files are checked on a second connection while this one reads.
    if (fileSize > s_integrityCheckLimit) {
        m_checkInParallel = true;
        return true;
    }
    m_error = integrityProblems(m_db, false, m_path);
    return m_error.isEmpty();
}

QString LsnapReader::runParallelCheck(SqliteDatabase::OpenMode mode, const std::atomic_bool *abort)
{
    // The file the first connection reads: a private copy after a rollback.
    SqliteDatabase db;
    if (!db.open(m_db.path(), mode))
        return sqliteFailureReason(db, m_path, "open");
    db.setBusyTimeout(5000);
    const std::atomic_bool *cancel = m_cancel;
    db.setInterruptCheck([cancel, abort] {
        return abort->load(std::memory_order_relaxed) || (cancel && cancel->load(std::memory_order_relaxed));
    });
    if (!db.exec("BEGIN"))
        return sqliteFailureReason(db, m_path, "BEGIN");
    const QString problems = integrityProblems(db, true, m_path);
    db.exec("COMMIT");
    return problems;
}

bool LsnapReader::checkSchema()
{
    bool schemaOk = false;
    const QString unsafe = LsnapFormat::unsafeSchemaReason(m_db, &schemaOk);
    if (!schemaOk)
        return sqliteFailed("reading the schema");
    if (!unsafe.isEmpty()) {
        m_error = unsafe;
        return false;
    }
    // Tables only: a view or virtual table of the same name could run
    // arbitrary SQL from the file.
    SqliteStatement stmt = m_db.prepare("SELECT name, type FROM sqlite_schema "
                                        "WHERE name IN ('meta', 'snapshot', 'type', 'type_count')");
    if (!stmt.isValid())
        return sqliteFailed("reading the schema");
    QStringList tables;
    SqliteStatement::StepResult step;
    while ((step = stmt.step()) == SqliteStatement::Row) {
        const QString name = stmt.text(0);
        if (stmt.text(1) != QLatin1String("table"))
            return malformed(tr("\"%1\" is not a table").arg(name));
        tables.append(name);
    }
    if (step == SqliteStatement::Error)
        return sqliteFailed("reading the schema");
    if (!tables.contains(QLatin1String("snapshot"))) {
        m_error = tr("not a Leakscope file (no snapshot table)");
        return false;
    }
    for (const char *required : {"type", "type_count"}) {
        if (!tables.contains(QLatin1String(required)))
            return malformed(tr("no %1 table").arg(QLatin1String(required)));
    }
    m_hasMetaTable = tables.contains(QLatin1String("meta"));
    return true;
}

bool LsnapReader::readMeta()
{
    if (!m_hasMetaTable)
        return true; // only informative; tolerated when missing
    SqliteStatement stmt = m_db.prepare("SELECT key, value FROM meta");
    if (!stmt.isValid())
        return sqliteFailed("reading meta");
    SqliteStatement::StepResult step;
    while ((step = stmt.step()) == SqliteStatement::Row) {
        if (stmt.columnType(0) == SqliteStatement::Null || stmt.columnType(1) == SqliteStatement::Null)
            continue;
        m_file.fileMeta.insert(stmt.text(0), stmt.text(1));
    }
    return step == SqliteStatement::Done || sqliteFailed("reading meta");
}

bool LsnapReader::readTypes()
{
    SqliteStatement stmt = m_db.prepare("SELECT id, name FROM type ORDER BY id");
    if (!stmt.isValid())
        return sqliteFailed("reading types");
    SqliteStatement::StepResult step;
    while ((step = stmt.step()) == SqliteStatement::Row) {
        if (stmt.columnType(0) != SqliteStatement::Integer || stmt.columnType(1) != SqliteStatement::Text)
            return malformed(tr("type row %1 is not an integer id and a name").arg(m_typeIds.size() + 1));
        const qint64 id = stmt.int64(0);
        const QString name = stmt.text(1);
        if (name.isEmpty())
            return malformed(tr("type %1 has an empty name").arg(id));
        if (!m_typeIds.empty() && id <= m_typeIds.back())
            return malformed(tr("type id %1 repeats").arg(id));
        const int before = m_file.types.size();
        if (m_file.types.intern(name) != before)
            return malformed(tr("type name \"%1\" appears twice").arg(name));
        m_typeIds.push_back(id);
    }
    if (step == SqliteStatement::Error)
        return sqliteFailed("reading types");

    if (!m_typeIds.empty()) {
        // Ids may span the whole int64 range: the distance is taken unsigned
        // (ascending ids make it exact), never as an int64 difference.
        const quint64 span = checked::span(m_typeIds.front(), m_typeIds.back());
        if (span < quint64(m_typeIds.size()) * 4 + 1024) {
            m_typeLookupBase = m_typeIds.front();
            m_typeLookup.assign(size_t(span) + 1, -1);
            for (size_t i = 0; i < m_typeIds.size(); ++i)
                m_typeLookup[size_t(checked::span(m_typeLookupBase, m_typeIds[i]))] = int(i);
        }
    }
    return true;
}

int LsnapReader::typeIndex(qint64 fileTypeId) const
{
    if (!m_typeLookup.empty()) {
        // Unsigned compare catches ids below the base as well.
        const quint64 offset = quint64(fileTypeId) - quint64(m_typeLookupBase);
        return offset < m_typeLookup.size() ? m_typeLookup[size_t(offset)] : -1;
    }
    const auto it = std::lower_bound(m_typeIds.begin(), m_typeIds.end(), fileTypeId);
    return it != m_typeIds.end() && *it == fileTypeId ? int(it - m_typeIds.begin()) : -1;
}

bool LsnapReader::readSnapshots()
{
    // Room for all snapshots at once (no copies while the vector grows),
    // trusting the file's largest id only as far as its size allows: a
    // snapshot row takes well over 16 bytes.
    SqliteStatement last = m_db.prepare("SELECT max(id) FROM snapshot");
    if (last.isValid() && last.step() == SqliteStatement::Row && last.columnType(0) == SqliteStatement::Integer) {
        const qint64 maxId = last.int64(0);
        if (maxId > 0)
            m_file.snapshots.reserve(size_t(std::min(maxId, std::max<qint64>(m_fileSize, 0) / 16)));
    }
    last = SqliteStatement();
    SqliteStatement stmt = m_db.prepare(
        "SELECT id, label, taken_at, pid, rss, gc_objects, gc_garbage, meta_json FROM snapshot ORDER BY id");
    if (!stmt.isValid())
        return sqliteFailed("reading snapshots");
    SqliteStatement::StepResult step;
    while ((step = stmt.step()) == SqliteStatement::Row) {
        using T = SqliteStatement;
        const qint64 id = stmt.int64(0);
        const QString where = QStringLiteral("snapshot ") + QString::number(id); // only for errors
        if (stmt.columnType(0) != T::Integer || id < 1)
            return malformed(tr("snapshot id %1 is not a positive integer").arg(stmt.text(0)));
        const T::ColumnType labelType = stmt.columnType(1);
        if (labelType != T::Text && labelType != T::Null)
            return malformed(tr("%1: label is not text").arg(where));
        const T::ColumnType timeType = stmt.columnType(2);
        const double takenAt = stmt.real(2);
        // Beyond 1e12 s (year ~33,000) the millisecond value would not fit.
        if ((timeType != T::Float && timeType != T::Integer) || !std::isfinite(takenAt)
            || std::fabs(takenAt) > 1e12)
            return malformed(tr("%1: taken_at is not a time").arg(where));
        for (int column : {3, 5, 6}) {
            // -1 in gc_objects/gc_garbage: unknown (snapshots imported from objgraph).
            const qint64 minimum = column == 3 ? 0 : -1;
            if (stmt.columnType(column) != T::Integer || stmt.int64(column) < minimum)
                return malformed(tr("%1: pid, gc_objects or gc_garbage is not a valid integer").arg(where));
        }
        const T::ColumnType rssType = stmt.columnType(4);
        if (rssType != T::Null && (rssType != T::Integer || stmt.int64(4) < 0))
            return malformed(tr("%1: rss is not a size").arg(where));
        if (stmt.columnType(7) != T::Text)
            return malformed(tr("%1: meta_json is not text").arg(where));
        QJsonParseError jsonError;
        const QJsonDocument meta = QJsonDocument::fromJson(stmt.utf8(7), &jsonError);
        if (jsonError.error != QJsonParseError::NoError || !meta.isObject())
            return malformed(tr("%1: meta_json is not a JSON object").arg(where));

        Snapshot snapshot;
        SnapshotInfo &info = snapshot.info;
        info.id = id;
        info.label = stmt.text(1);
        // 0 means "no time" (imports from objgraph, which records none).
        if (takenAt != 0)
            info.takenAt = QDateTime::fromMSecsSinceEpoch(qint64(std::llround(takenAt * 1000.0)), Qt::UTC);
        info.pid = stmt.int64(3);
        info.rss = rssType == T::Null ? -1 : stmt.int64(4);
        info.gcObjects = stmt.int64(5);
        info.gcGarbage = stmt.int64(6);
        const QJsonObject object = meta.object();
        info.pythonVersion = object.value(QLatin1String("python")).toString();
        const QJsonValue argv = object.value(QLatin1String("argv"));
        if (argv.isArray()) {
            for (const QJsonValue &arg : argv.toArray()) {
                if (arg.isString())
                    info.argv.append(arg.toString());
            }
        }
        info.origin = originFromString(object.value(QLatin1String("origin")).toString());
        info.hasSizes = object.value(QLatin1String("has_sizes")).toBool(true);
        info.partial = object.value(QLatin1String("partial")).toBool(false);
        // Issue 14: the container pass ran; tracemalloc traced the process.
        info.hasContainerPass = object.contains(QLatin1String("containers"));
        const QJsonValue trace = object.value(QLatin1String("tracemalloc"));
        info.traced = trace.isObject();
        info.objectTracebacks = trace.toObject().value(QLatin1String("object_tracebacks")).toBool(true);
        // Issue 17: which passes the agent ran ("native" or "python").
        info.censusImpl = object.value(QLatin1String("census_impl")).toString();
        info.graphImpl = object.value(QLatin1String("graph_impl")).toString();
        if (m_keepMeta)
            info.meta = object;
        // Snapshots of one process repeat these: share one copy.
        if (!m_file.snapshots.empty()) {
            const SnapshotInfo &before = m_file.snapshots.back().info;
            if (before.argv == info.argv)
                info.argv = before.argv;
            if (before.pythonVersion == info.pythonVersion)
                info.pythonVersion = before.pythonVersion;
            if (before.label == info.label && !info.label.isNull())
                info.label = before.label;
        }
        info.sourceFile = m_path;
        m_file.snapshots.push_back(std::move(snapshot));
    }
    return step == SqliteStatement::Done || sqliteFailed("reading snapshots");
}

bool LsnapReader::readCounts()
{
    // One pass in primary-key order: no sort, rows arrive grouped by snapshot
    // and by ascending type id, which is registry order.
    SqliteStatement stmt =
        m_db.prepare("SELECT snapshot, type, count, size FROM type_count ORDER BY snapshot, type");
    if (!stmt.isValid())
        return sqliteFailed("reading type counts");

    std::vector<Snapshot> &snapshots = m_file.snapshots;
    const qint64 total = qint64(snapshots.size());
    if (m_progress)
        m_progress(0, total);
    size_t current = 0; // index of the snapshot the rows belong to
    bool currentStarted = false;
    size_t reserveHint = 0;
    qint64 rows = 0;
    qint64 countSum = 0;
    qint64 sizeSum = 0;
    // The last type id of the current snapshot and how many it listed.
    int lastType = -1;
    qint64 listed = 0;
    auto closeSnapshot = [&] {
        if (currentStarted) {
            snapshots[current].info.listedTypes = listed;
            snapshots[current].info.listedObjects = countSum;
        }
    };
    SqliteStatement::StepResult step;
    while ((step = stmt.step()) == SqliteStatement::Row) {
        if ((++rows & 8191) == 0 && cancelled(m_cancel)) {
            m_error = tr("cancelled");
            return false;
        }
        if (stmt.columnType(0) != SqliteStatement::Integer || stmt.columnType(1) != SqliteStatement::Integer
            || stmt.columnType(2) != SqliteStatement::Integer || stmt.columnType(3) != SqliteStatement::Integer)
            return malformed(tr("a type_count row is not four integers"));
        const qint64 snapshotId = stmt.int64(0);
        const qint64 fileType = stmt.int64(1);
        const qint64 count = stmt.int64(2);
        const qint64 size = stmt.int64(3);

        if (current >= snapshots.size() || snapshots[current].info.id != snapshotId) {
            while (current < snapshots.size() && snapshots[current].info.id < snapshotId) {
                closeSnapshot();
                if (currentStarted && m_progress)
                    m_progress(qint64(current) + 1, total);
                reserveHint = qMax(reserveHint, snapshots[current].stats.size());
                currentStarted = false;
                ++current;
            }
            if (current >= snapshots.size() || snapshots[current].info.id != snapshotId)
                return malformed(tr("type counts refer to snapshot %1, which does not exist").arg(snapshotId));
        }
        std::vector<TypeStat> &stats = snapshots[current].stats;
        if (!currentStarted) {
            if (!m_totalsOnly)
                stats.reserve(reserveHint);
            currentStarted = true;
            lastType = -1;
            listed = 0;
            countSum = 0;
            sizeSum = 0;
        }
        const int type = typeIndex(fileType);
        if (type < 0)
            return malformed(tr("snapshot %1 refers to type %2, which does not exist").arg(snapshotId).arg(fileType));
        if (count < 0 || size < 0 || count > s_maxCount || size > s_maxSize)
            return malformed(tr("snapshot %1 has an impossible count or size for \"%2\"")
                                 .arg(snapshotId)
                                 .arg(m_file.types.name(type)));
        if (lastType >= type)
            return malformed(tr("snapshot %1 lists type %2 twice").arg(snapshotId).arg(fileType));
        lastType = type;
        ++listed;
        // Sums over a snapshot's types must stay in int64 (totals, charts).
        const std::optional<qint64> newCount = checked::add(countSum, count);
        const std::optional<qint64> newSize = checked::add(sizeSum, size);
        if (!newCount || !newSize)
            return malformed(tr("snapshot %1: its counts or sizes add up past 2^63").arg(snapshotId));
        countSum = *newCount;
        sizeSum = *newSize;
        if (!m_totalsOnly)
            stats.push_back(TypeStat{type, count, size});
    }
    if (step == SqliteStatement::Error)
        return sqliteFailed("reading type counts");
    if (current < snapshots.size())
        closeSnapshot();
    // Snapshots without rows list nothing.
    for (Snapshot &s : snapshots) {
        if (s.info.listedTypes < 0) {
            s.info.listedTypes = 0;
            s.info.listedObjects = 0;
        }
    }
    if (m_progress)
        m_progress(total, total);
    return true;
}

bool LsnapReader::readGraphFlags()
{
    // Only marks which snapshots have a heap graph; HeapGraphStore loads and
    // checks one on demand. A damaged graph table never costs the counts.
    if (m_file.formatVersion < LsnapFormat::GraphVersion)
        return true;
    SqliteStatement table = m_db.prepare("SELECT type FROM sqlite_schema WHERE name = 'graph'");
    if (!table.isValid() || table.step() != SqliteStatement::Row || table.text(0) != QLatin1String("table"))
        return true;
    table = SqliteStatement();
    SqliteStatement stmt = m_db.prepare("SELECT snapshot FROM graph ORDER BY snapshot");
    if (!stmt.isValid()) {
        qCWarning(lcReader) << m_path << "graph table unreadable:" << m_db.errorMessage();
        return true;
    }
    std::vector<Snapshot> &snapshots = m_file.snapshots;
    SqliteStatement::StepResult step;
    while ((step = stmt.step()) == SqliteStatement::Row) {
        const qint64 id = stmt.int64(0);
        const auto it = std::lower_bound(snapshots.begin(), snapshots.end(), id,
                                         [](const Snapshot &s, qint64 value) { return s.info.id < value; });
        if (it != snapshots.end() && it->info.id == id)
            it->info.hasGraph = true;
    }
    if (step == SqliteStatement::Error && cancelled(m_cancel)) {
        m_error = tr("cancelled");
        return false;
    }
    return true;
}

Expected<LoadedFile> readText(QFile &file, const QString &path, qint64 size, const SnapshotReader::Progress &progress,
                              const std::atomic_bool *cancel)
{
    const QString notOurs = tr("not a Leakscope or objgraph file");
    if (size > s_maxTextSize)
        return fail(path, notOurs);
    // Binary data is not worth reading whole: a NUL early on settles it.
    // UTF-16 text (what PowerShell's ">" captures) is the exception.
    const QByteArray head = file.peek(4096);
    const bool utf16 = head.startsWith("\xFF\xFE") || head.startsWith("\xFE\xFF");
    if (head.contains('\0') && !utf16)
        return fail(path, notOurs);
    QByteArray text = file.readAll();
    if (file.error() != QFileDevice::NoError)
        return fail(path, tr("read error (%1)").arg(file.errorString()));
    if (utf16) {
        auto decoder = QStringDecoder(text.startsWith("\xFF\xFE") ? QStringDecoder::Utf16LE : QStringDecoder::Utf16BE,
                                      QStringDecoder::Flag::Stateless);
        const QString decoded = decoder.decode(text.mid(2));
        text = decoded.toUtf8();
    }
    if (text.contains('\0'))
        return fail(path, notOurs);
    if (cancelled(cancel))
        return fail(path, tr("cancelled"));

    QString jsonError;
    if (ObjgraphReader::looksLikeJsonObject(text)) {
        auto typestats = ObjgraphReader::parseTypestats(text, path, QFileInfo(file).lastModified());
        if (typestats)
            return typestats;
        jsonError = typestats.error();
    }
    auto log = ObjgraphReader::parseGrowthLog(text, path, progress, cancel);
    if (!log)
        return log;
    if (log.value().snapshots.empty()) {
        // Text that opens like JSON is most likely a damaged typestats dump.
        if (!jsonError.isEmpty())
            return Expected<LoadedFile>::failure(jsonError);
        return fail(path, notOurs);
    }
    return log;
}

} // namespace

Expected<LoadedFile> SnapshotReader::read(const QString &path, const Progress &progress,
                                          const std::atomic_bool *cancel)
{
    return read(path, progress, cancel, Content());
}

Expected<LoadedFile> SnapshotReader::read(const QString &path, const Progress &progress,
                                          const std::atomic_bool *cancel, Content content)
{
    const QFileInfo info(path);
    if (!info.exists())
        return fail(path, tr("no such file"));
    if (info.isDir())
        return fail(path, tr("is a directory"));
    if (!info.isFile())
        return fail(path, tr("not a regular file"));

    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        if (file.error() == QFileDevice::PermissionsError || !info.isReadable())
            return fail(path, tr("permission denied"));
        return fail(path, tr("cannot open (%1)").arg(file.errorString()));
    }
    const qint64 size = file.size();
    if (size == 0)
        return fail(path, tr("empty file"));
    if (cancelled(cancel))
        return fail(path, tr("cancelled"));

    const QByteArray head = file.peek(LsnapFormat::SqliteHeaderSize);
    if (LsnapFormat::isSqlite(head)) {
        file.close();
        if (head.size() < LsnapFormat::SqliteHeaderSize)
            return fail(path, tr("truncated or corrupt (shorter than a SQLite header)"));
        // The raw header settles foreign and newer files before SQLite parses anything.
        // With a -wal file beside it, page 1 may be newer there; SQLite's
        // pragmas decide then.
        const LsnapFormat::Header header = LsnapFormat::parseHeader(head);
        const QString refusal = LsnapFormat::refusalReason(header);
        if (!refusal.isEmpty() && QFileInfo(path + QStringLiteral("-wal")).size() <= 0)
            return fail(path, refusal);
        LsnapReader reader(path, progress, cancel, content);
        return reader.read(header, size);
    }
    return readText(file, path, size, progress, cancel);
}

} // namespace leakscope
