#include "lsnap/containertables.h"

#include "lsnap/lsnapformat.h"

#include "lsnap/sqlitedatabase.h"

#include <QCoreApplication>
#include <QHash>
#include <QJsonObject>

#include <algorithm>
#include <limits>
#include <map>
#include <memory>

namespace leakscope {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("SnapshotReader", text);
}

// Sizes past 2^46 (64 TiB) and counts past 2^40 are no real heap's.
constexpr qint64 s_maxSize = qint64(1) << 46;
constexpr qint64 s_maxCount = qint64(1) << 40;

using T = SqliteStatement;

class TableReader
{
public:
    TableReader(SqliteDatabase &db, LoadedFile &file, const std::function<int(qint64)> &typeIndex, QString *error)
        : m_db(db), m_file(file), m_typeIndex(typeIndex), m_error(error)
    {
    }

    bool run();

private:
    bool fail(const QString &why)
    {
        *m_error = tr("malformed (%1)").arg(why);
        return false;
    }
    bool sqliteFail(const char *what)
    {
        *m_error = tr("malformed (%1 failed: %2)").arg(QLatin1String(what), m_db.errorMessage());
        return false;
    }
    bool hasTable(const char *name);
    Snapshot *snapshotById(qint64 id);
    AllocationData &allocations(qint64 snapshotId);
    static QString clipped(const QString &text) { return text.size() > ContainerTables::MaxText ? text.left(ContainerTables::MaxText) : text; }
    bool readContainers();
    bool readFrames();
    bool readTracebacks();
    bool readStats();
    bool readObjectTracebacks();

    SqliteDatabase &m_db;
    LoadedFile &m_file;
    const std::function<int(qint64)> &m_typeIndex;
    QString *m_error;
    // Built here, then handed to the snapshots as const.
    std::map<qint64, std::shared_ptr<AllocationData>> m_allocations;
};

bool TableReader::hasTable(const char *name)
{
    SqliteStatement stmt = m_db.prepare("SELECT type FROM sqlite_schema WHERE name = ?1");
    if (!stmt.isValid())
        return false;
    stmt.bindText(1, QLatin1String(name));
    return stmt.step() == T::Row && stmt.text(0) == QLatin1String("table");
}

Snapshot *TableReader::snapshotById(qint64 id)
{
    std::vector<Snapshot> &snapshots = m_file.snapshots;
    const auto it = std::lower_bound(snapshots.begin(), snapshots.end(), id,
                                     [](const Snapshot &s, qint64 value) { return s.info.id < value; });
    return it != snapshots.end() && it->info.id == id ? &*it : nullptr;
}

AllocationData &TableReader::allocations(qint64 snapshotId)
{
    std::shared_ptr<AllocationData> &data = m_allocations[snapshotId];
    if (!data)
        data = std::make_shared<AllocationData>();
    return *data;
}

bool TableReader::run()
{
    // hasContainerPass, traced and objectTracebacks come from meta_json,
    // set by SnapshotReader whether or not it keeps the whole object.
    if (!hasTable("container")) {
        // Predates the container pass: whatever the meta says, nothing to read.
        for (Snapshot &s : m_file.snapshots)
            s.info.hasContainerPass = false;
        m_file.hasContainerTables = false;
        return true;
    }
    m_file.hasContainerTables = true;
    if (!readContainers())
        return false;
    const bool alloc = hasTable("alloc_frame") && hasTable("alloc_traceback") && hasTable("alloc_stat");
    if (alloc && !(readFrames() && readTracebacks() && readStats()))
        return false;
    if (alloc && hasTable("object_traceback") && !readObjectTracebacks())
        return false;
    for (auto &[id, data] : m_allocations) {
        if (Snapshot *s = snapshotById(id)) {
            s->info.traced = true;
            s->allocations = std::move(data);
        }
    }
    return true;
}

bool TableReader::readContainers()
{
    SqliteStatement stmt = m_db.prepare(
        "SELECT snapshot, object_id, type, kind, items, size, payload_bytes, payload_estimated, previous_items, "
        "held_by, holder_kind, holder_type FROM container ORDER BY snapshot, object_id");
    if (!stmt.isValid())
        return sqliteFail("reading containers");
    Snapshot *current = nullptr;
    T::StepResult step;
    while ((step = stmt.step()) == T::Row) {
        for (int column : {0, 1, 2, 4, 5, 7}) {
            if (stmt.columnType(column) != T::Integer)
                return fail(tr("a container row has a non-integer snapshot, id, type, length, size or flag"));
        }
        for (int column : {6, 8}) {
            if (stmt.columnType(column) != T::Integer && stmt.columnType(column) != T::Null)
                return fail(tr("a container row has a payload or previous length that is not an integer"));
        }
        for (int column : {3, 9, 10, 11}) {
            if (stmt.columnType(column) != T::Text && !(column != 3 && stmt.columnType(column) == T::Null))
                return fail(tr("a container row has a kind or holder that is not text"));
        }
        const qint64 snapshotId = stmt.int64(0);
        if (!current || current->info.id != snapshotId) {
            current = snapshotById(snapshotId);
            if (!current)
                return fail(tr("containers refer to snapshot %1, which does not exist").arg(snapshotId));
        }
        const QString kind = stmt.text(3);
        if (kind != QLatin1String("container") && kind != QLatin1String("value"))
            continue; // a later kind this reader does not know
        ContainerStat c;
        c.objectId = stmt.int64(1);
        c.type = m_typeIndex(stmt.int64(2));
        if (c.type < 0)
            return fail(tr("snapshot %1: a container refers to type %2, which does not exist")
                            .arg(snapshotId)
                            .arg(stmt.int64(2)));
        c.value = kind == QLatin1String("value");
        c.items = stmt.int64(4);
        c.size = stmt.int64(5);
        c.payloadBytes = stmt.columnType(6) == T::Null ? -1 : stmt.int64(6);
        c.payloadEstimated = stmt.int64(7) != 0;
        c.previousItems = stmt.columnType(8) == T::Null ? -1 : stmt.int64(8);
        if (c.items < 0 || c.items > s_maxCount || c.size < 0 || c.size > s_maxSize
            || (stmt.columnType(6) != T::Null && (c.payloadBytes < 0 || c.payloadBytes > s_maxSize))
            || (stmt.columnType(8) != T::Null && (c.previousItems < 0 || c.previousItems > s_maxCount)))
            return fail(tr("snapshot %1: container %2 has an impossible length or size").arg(snapshotId).arg(c.objectId));
        c.heldBy = clipped(stmt.text(9));
        c.holderKind = clipped(stmt.text(10));
        c.holderType = clipped(stmt.text(11));
        if (qint64(current->containers.size()) >= ContainerTables::MaxContainers)
            return fail(tr("snapshot %1 has more than %2 containers").arg(snapshotId).arg(ContainerTables::MaxContainers));
        if (!current->containers.empty() && current->containers.back().objectId == c.objectId)
            return fail(tr("snapshot %1 lists container %2 twice").arg(snapshotId).arg(c.objectId));
        current->containers.push_back(std::move(c));
    }
    return step == T::Done || sqliteFail("reading containers");
}

bool TableReader::readFrames()
{
    SqliteStatement stmt =
        m_db.prepare("SELECT snapshot, id, filename, lineno, function FROM alloc_frame ORDER BY snapshot, id");
    if (!stmt.isValid())
        return sqliteFail("reading alloc_frame");
    T::StepResult step;
    while ((step = stmt.step()) == T::Row) {
        if (stmt.columnType(0) != T::Integer || stmt.columnType(1) != T::Integer || stmt.columnType(2) != T::Text
            || stmt.columnType(3) != T::Integer || (stmt.columnType(4) != T::Text && stmt.columnType(4) != T::Null))
            return fail(tr("an alloc_frame row is not (snapshot, id, file name, line, function)"));
        const qint64 snapshotId = stmt.int64(0);
        if (!snapshotById(snapshotId))
            return fail(tr("alloc_frame refers to snapshot %1, which does not exist").arg(snapshotId));
        AllocationData &data = allocations(snapshotId);
        // Ids are 0, 1, 2 ... so a row's id is its index.
        if (stmt.int64(1) != qint64(data.frames.size()))
            return fail(tr("snapshot %1: alloc_frame ids are not 0, 1, 2, ...").arg(snapshotId));
        if (qint64(data.frames.size()) >= ContainerTables::MaxFrames)
            return fail(tr("snapshot %1 has more than %2 allocation frames").arg(snapshotId).arg(ContainerTables::MaxFrames));
        const qint64 line = stmt.int64(3);
        if (line < 0 || line > std::numeric_limits<int>::max())
            return fail(tr("snapshot %1: alloc_frame %2 has line %3").arg(snapshotId).arg(stmt.int64(1)).arg(line));
        data.frames.push_back(AllocFrame{clipped(stmt.text(2)), int(line), clipped(stmt.text(4))});
    }
    return step == T::Done || sqliteFail("reading alloc_frame");
}

bool TableReader::readTracebacks()
{
    SqliteStatement stmt =
        m_db.prepare("SELECT snapshot, id, depth, frame FROM alloc_traceback ORDER BY snapshot, id, depth");
    if (!stmt.isValid())
        return sqliteFail("reading alloc_traceback");
    T::StepResult step;
    qint64 lastSnapshot = 0;
    qint64 rows = 0;
    while ((step = stmt.step()) == T::Row) {
        for (int column = 0; column < 4; ++column) {
            if (stmt.columnType(column) != T::Integer)
                return fail(tr("an alloc_traceback row is not four integers"));
        }
        const qint64 snapshotId = stmt.int64(0), id = stmt.int64(1), depth = stmt.int64(2), frame = stmt.int64(3);
        if (!snapshotById(snapshotId))
            return fail(tr("alloc_traceback refers to snapshot %1, which does not exist").arg(snapshotId));
        rows = snapshotId == lastSnapshot ? rows + 1 : 1;
        lastSnapshot = snapshotId;
        if (rows > ContainerTables::MaxTracebackRows)
            return fail(tr("snapshot %1 has too many traceback frames").arg(snapshotId));
        AllocationData &data = allocations(snapshotId);
        if (frame < 0 || frame >= qint64(data.frames.size()))
            return fail(tr("snapshot %1: traceback %2 refers to frame %3, which does not exist").arg(snapshotId).arg(id).arg(frame));
        if (depth == 0) {
            if (id != qint64(data.tracebacks.size()))
                return fail(tr("snapshot %1: traceback ids are not 0, 1, 2, ...").arg(snapshotId));
            data.tracebacks.emplace_back();
        } else if (data.tracebacks.empty() || id != qint64(data.tracebacks.size()) - 1
                   || depth != qint64(data.tracebacks.back().size()) || depth >= ContainerTables::MaxDepth) {
            return fail(tr("snapshot %1: traceback %2 has depths that are not 0, 1, 2, ...").arg(snapshotId).arg(id));
        }
        data.tracebacks.back().push_back(int(frame));
    }
    return step == T::Done || sqliteFail("reading alloc_traceback");
}

bool TableReader::readStats()
{
    SqliteStatement stmt =
        m_db.prepare("SELECT snapshot, rank, traceback, size, count FROM alloc_stat ORDER BY snapshot, rank");
    if (!stmt.isValid())
        return sqliteFail("reading alloc_stat");
    T::StepResult step;
    while ((step = stmt.step()) == T::Row) {
        for (int column = 0; column < 5; ++column) {
            if (stmt.columnType(column) != T::Integer)
                return fail(tr("an alloc_stat row is not five integers"));
        }
        const qint64 snapshotId = stmt.int64(0);
        if (!snapshotById(snapshotId))
            return fail(tr("alloc_stat refers to snapshot %1, which does not exist").arg(snapshotId));
        AllocationData &data = allocations(snapshotId);
        const qint64 traceback = stmt.int64(2), size = stmt.int64(3), count = stmt.int64(4);
        if (qint64(data.stats.size()) >= ContainerTables::MaxStats)
            return fail(tr("snapshot %1 has more than %2 allocation statistics").arg(snapshotId).arg(ContainerTables::MaxStats));
        if (traceback < 0 || traceback >= qint64(data.tracebacks.size()))
            return fail(tr("snapshot %1: an allocation statistic refers to traceback %2, which does not exist")
                            .arg(snapshotId)
                            .arg(traceback));
        if (size < 0 || size > s_maxSize || count < 0 || count > s_maxCount)
            return fail(tr("snapshot %1: an allocation statistic has an impossible size or count").arg(snapshotId));
        data.stats.push_back(AllocStat{int(traceback), size, count});
    }
    return step == T::Done || sqliteFail("reading alloc_stat");
}

bool TableReader::readObjectTracebacks()
{
    SqliteStatement stmt = m_db.prepare("SELECT snapshot, subject_kind, subject, rank, object_id, object_type, "
                                        "traceback FROM object_traceback ORDER BY snapshot, subject_kind, subject, rank");
    if (!stmt.isValid())
        return sqliteFail("reading object_traceback");
    T::StepResult step;
    while ((step = stmt.step()) == T::Row) {
        if (stmt.columnType(0) != T::Integer || stmt.columnType(1) != T::Text || stmt.columnType(2) != T::Text
            || stmt.columnType(3) != T::Integer || stmt.columnType(4) != T::Integer || stmt.columnType(5) != T::Integer
            || (stmt.columnType(6) != T::Integer && stmt.columnType(6) != T::Null))
            return fail(tr("an object_traceback row has a value of the wrong type"));
        const qint64 snapshotId = stmt.int64(0);
        if (!snapshotById(snapshotId))
            return fail(tr("object_traceback refers to snapshot %1, which does not exist").arg(snapshotId));
        const QString kind = stmt.text(1);
        if (kind != QLatin1String("type") && kind != QLatin1String("container"))
            continue;
        AllocationData &data = allocations(snapshotId);
        if (qint64(data.objects.size()) >= ContainerTables::MaxObjectTracebacks)
            return fail(tr("snapshot %1 has too many object tracebacks").arg(snapshotId));
        ObjectTraceback o;
        o.container = kind == QLatin1String("container");
        o.subject = clipped(stmt.text(2));
        const qint64 rank = stmt.int64(3);
        if (rank < 0 || rank > ContainerTables::MaxObjectTracebacks)
            return fail(tr("snapshot %1: an object traceback has rank %2").arg(snapshotId).arg(rank));
        o.rank = int(rank);
        o.objectId = stmt.int64(4);
        o.objectType = m_typeIndex(stmt.int64(5));
        if (o.objectType < 0)
            return fail(tr("snapshot %1: an object traceback refers to type %2, which does not exist")
                            .arg(snapshotId)
                            .arg(stmt.int64(5)));
        if (stmt.columnType(6) == T::Integer) {
            const qint64 traceback = stmt.int64(6);
            if (traceback < 0 || traceback >= qint64(data.tracebacks.size()))
                return fail(tr("snapshot %1: an object traceback refers to traceback %2, which does not exist")
                                .arg(snapshotId)
                                .arg(traceback));
            o.traceback = int(traceback);
        }
        data.objects.push_back(std::move(o));
    }
    return step == T::Done || sqliteFail("reading object_traceback");
}

} // namespace

const char *ContainerTables::schemaSql()
{
    static const QByteArray sql = LsnapFormat::schemaSection("extra");
    return sql.constData();
}

bool ContainerTables::write(SqliteDatabase &db, qint64 snapshotId, const Snapshot &snapshot,
                            const TypeRegistry &types, const std::function<qint64(const QString &)> &typeId,
                            QString *error)
{
    auto failed = [&](const char *what) {
        *error = QStringLiteral("%1 (%2)").arg(QLatin1String(what), db.errorMessage());
        return false;
    };
    auto text = [](SqliteStatement &s, int i, const QString &v) {
        if (v.isEmpty())
            s.bindNull(i);
        else
            s.bindText(i, v);
    };
    if (!snapshot.containers.empty()) {
        SqliteStatement ins = db.prepare("INSERT INTO container VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
        if (!ins.isValid())
            return failed("writing containers");
        for (const ContainerStat &c : snapshot.containers) {
            const qint64 type = c.type >= 0 && c.type < types.size() ? typeId(types.name(c.type)) : -1;
            if (type < 0)
                return failed("writing a container's type");
            ins.bindInt64(1, snapshotId);
            ins.bindInt64(2, c.objectId);
            ins.bindInt64(3, type);
            ins.bindText(4, c.value ? QStringLiteral("value") : QStringLiteral("container"));
            ins.bindInt64(5, c.items);
            ins.bindInt64(6, c.size);
            if (c.payloadBytes < 0)
                ins.bindNull(7);
            else
                ins.bindInt64(7, c.payloadBytes);
            ins.bindInt64(8, c.payloadEstimated ? 1 : 0);
            if (c.previousItems < 0)
                ins.bindNull(9);
            else
                ins.bindInt64(9, c.previousItems);
            text(ins, 10, c.heldBy);
            text(ins, 11, c.holderKind);
            text(ins, 12, c.holderType);
            if (ins.step() != SqliteStatement::Done)
                return failed("writing a container");
            ins.reset();
        }
    }
    if (!snapshot.allocations)
        return true;
    const AllocationData &a = *snapshot.allocations;
    SqliteStatement frame = db.prepare("INSERT INTO alloc_frame VALUES (?1, ?2, ?3, ?4, ?5)");
    SqliteStatement trace = db.prepare("INSERT INTO alloc_traceback VALUES (?1, ?2, ?3, ?4)");
    SqliteStatement stat = db.prepare("INSERT INTO alloc_stat VALUES (?1, ?2, ?3, ?4, ?5)");
    SqliteStatement object = db.prepare("INSERT INTO object_traceback VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (!frame.isValid() || !trace.isValid() || !stat.isValid() || !object.isValid())
        return failed("writing allocations");
    for (size_t i = 0; i < a.frames.size(); ++i) {
        frame.bindInt64(1, snapshotId);
        frame.bindInt64(2, qint64(i));
        frame.bindText(3, a.frames[i].filename);
        frame.bindInt64(4, a.frames[i].lineno);
        text(frame, 5, a.frames[i].function);
        if (frame.step() != SqliteStatement::Done)
            return failed("writing a frame");
        frame.reset();
    }
    for (size_t i = 0; i < a.tracebacks.size(); ++i) {
        for (size_t d = 0; d < a.tracebacks[i].size(); ++d) {
            trace.bindInt64(1, snapshotId);
            trace.bindInt64(2, qint64(i));
            trace.bindInt64(3, qint64(d));
            trace.bindInt64(4, a.tracebacks[i][d]);
            if (trace.step() != SqliteStatement::Done)
                return failed("writing a traceback");
            trace.reset();
        }
    }
    for (size_t i = 0; i < a.stats.size(); ++i) {
        stat.bindInt64(1, snapshotId);
        stat.bindInt64(2, qint64(i));
        stat.bindInt64(3, a.stats[i].traceback);
        stat.bindInt64(4, a.stats[i].size);
        stat.bindInt64(5, a.stats[i].count);
        if (stat.step() != SqliteStatement::Done)
            return failed("writing an allocation statistic");
        stat.reset();
    }
    for (const ObjectTraceback &o : a.objects) {
        const qint64 type = o.objectType >= 0 && o.objectType < types.size() ? typeId(types.name(o.objectType)) : -1;
        if (type < 0)
            return failed("writing an object traceback's type");
        object.bindInt64(1, snapshotId);
        object.bindText(2, o.container ? QStringLiteral("container") : QStringLiteral("type"));
        object.bindText(3, o.subject);
        object.bindInt64(4, o.rank);
        object.bindInt64(5, o.objectId);
        object.bindInt64(6, type);
        if (o.traceback < 0)
            object.bindNull(7);
        else
            object.bindInt64(7, o.traceback);
        if (object.step() != SqliteStatement::Done)
            return failed("writing an object traceback");
        object.reset();
    }
    return true;
}

bool ContainerTables::read(SqliteDatabase &db, LoadedFile &file, const std::function<int(qint64)> &typeIndex,
                           QString *error)
{
    TableReader reader(db, file, typeIndex, error);
    return reader.run();
}

} // namespace leakscope
