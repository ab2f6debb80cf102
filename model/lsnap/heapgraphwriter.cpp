#include "lsnap/heapgraphstore.h"

#include "core/packedarray.h"
#include "core/textutil.h"
#include "lsnap/heapgraphblob.h"
#include "lsnap/heapgraphstore_p.h"
#include "lsnap/lsnapformat.h"
#include "lsnap/sqlitedatabase.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QLoggingCategory>
#include <QRandomGenerator>

#include <algorithm>
#include <limits>
#include <utility>

namespace leakscope {

namespace {

using namespace HeapGraphFile;
using HeapGraphBlob::deflateBlob;

constexpr quint32 s_bigSize = std::numeric_limits<quint32>::max();

// What a version 2 graph table gets when the file is raised to version 3;
// its rows then read 'index', which is what they hold.
const char *const s_addTargetEncoding =
    "ALTER TABLE graph ADD COLUMN target_encoding TEXT NOT NULL DEFAULT 'index'";

// The checks HeapGraph::fromArrays would fail on, so a writer never stores a
// graph no reader can load (duplicate ids are left to the reader).
QString checkForWriting(const HeapGraphArrays &a)
{
    const size_t n = a.ids.size();
    const size_t m = a.edgeTargets.size();
    if (n > s_maxCount || m > s_maxCount)
        return tr("too many nodes or edges (%1, %2)").arg(num(quint64(n)), num(quint64(m)));
    const auto lengthError = [](const char *name, size_t actual, size_t expected) {
        return tr("array %1 has %2 entries, expected %3")
            .arg(QLatin1String(name), num(quint64(actual)), num(quint64(expected)));
    };
    if (a.types.size() != n)
        return lengthError("types", a.types.size(), n);
    if (!a.sizes.empty() && a.sizes.size() != n)
        return lengthError("sizes", a.sizes.size(), n);
    if (!a.flags.empty() && a.flags.size() != n)
        return lengthError("flags", a.flags.size(), n);
    if (!a.nodeLabels.empty() && a.nodeLabels.size() != n)
        return lengthError("node_labels", a.nodeLabels.size(), n);
    if (a.edgeOffsets.size() != n + 1)
        return lengthError("edge_offsets", a.edgeOffsets.size(), n + 1);
    if (!a.edgeLabels.empty() && a.edgeLabels.size() != m)
        return lengthError("edge_labels", a.edgeLabels.size(), m);
    if (a.edgeOffsets[0] != 0 || a.edgeOffsets[n] != m)
        return tr("edge_offsets must start at 0 and end at the edge count %1").arg(num(quint64(m)));
    for (size_t i = 0; i < n; ++i) {
        if (a.edgeOffsets[i + 1] < a.edgeOffsets[i])
            return tr("edge_offsets[%1] decreases").arg(num(quint64(i + 1)));
    }
    for (size_t e = 0; e < m; ++e) {
        if (a.edgeTargets[e] >= n)
            return tr("edge_targets[%1] = %2 is not a node").arg(num(quint64(e)), num(quint64(a.edgeTargets[e])));
    }
    const qint64 typeCount = qint64(a.typeNames.size());
    for (size_t i = 0; i < n; ++i) {
        if (a.types[i] < 0 || a.types[i] >= typeCount)
            return tr("types[%1] = %2 is not a type").arg(num(quint64(i)), num(qint64(a.types[i])));
        if (a.typeNames[size_t(a.types[i])].isEmpty())
            return tr("type %1 has an empty name").arg(a.types[i]);
    }
    for (size_t i = 0; i < a.flags.size(); ++i) {
        if (a.flags[i] & ~quint8(HeapGraphArrays::KnownFlags))
            return tr("flags[%1] has unknown bits").arg(num(quint64(i)));
    }
    const qint64 stringCount = qint64(a.strings.size());
    for (const auto *labels : {&a.nodeLabels, &a.edgeLabels}) {
        for (size_t i = 0; i < labels->size(); ++i) {
            if ((*labels)[i] < -1 || (*labels)[i] >= stringCount)
                return tr("%1[%2] = %3 is not a label string")
                    .arg(labels == &a.nodeLabels ? QStringLiteral("node_labels") : QStringLiteral("edge_labels"),
                         num(quint64(i)), num(qint64((*labels)[i])));
        }
    }
    return QString();
}

// Writes one graph inside an open transaction; returns an error or an empty
// string. The caller commits or rolls back.
class GraphWriter
{
public:
    GraphWriter(SqliteDatabase &db, qint64 snapshotId, const HeapGraphArrays &arrays,
                HeapGraphStore::Compression compression)
        : m_db(db), m_snapshotId(snapshotId), m_a(arrays), m_zlib(compression == HeapGraphStore::Compression::Zlib)
    {
    }

    QString write();

private:
    QString sqliteError(const QString &what) const
    {
        return tr("%1 failed (%2)").arg(what, TextUtil::oneLine(m_db.errorMessage()));
    }
    QString prepareSchema();
    QString mapTypes(std::vector<qint32> *fileTypes);
    QByteArray blob(const QByteArray &raw) const { return m_zlib ? deflateBlob(raw) : raw; }

    SqliteDatabase &m_db;
    qint64 m_snapshotId;
    const HeapGraphArrays &m_a;
    bool m_zlib;
    Tables m_tables;
    qint64 m_version = 0;
};

QString GraphWriter::prepareSchema()
{
    bool ok = false;
    m_version = pragmaValue(m_db, "PRAGMA user_version", &ok);
    if (!ok)
        return sqliteError(tr("reading the format version"));
    bool schemaOk = false;
    if (const QString unsafe = LsnapFormat::unsafeSchemaReason(m_db, &schemaOk); !unsafe.isEmpty())
        return unsafe;
    if (!schemaOk || !readTables(m_db, &m_tables))
        return sqliteError(tr("reading the schema"));
    if (!m_tables.notATable.isEmpty())
        return tr("malformed (\"%1\" is not a table)").arg(m_tables.notATable);
    if (!m_tables.snapshot || !m_tables.type)
        return tr("not a Leakscope file (tables missing)");

    SqliteStatement snapshot = m_db.prepare("SELECT 1 FROM snapshot WHERE id = ?1");
    if (!snapshot.isValid())
        return sqliteError(tr("looking up the snapshot"));
    snapshot.bindInt64(1, m_snapshotId);
    const auto found = snapshot.step();
    if (found == SqliteStatement::Error)
        return sqliteError(tr("looking up the snapshot"));
    if (found == SqliteStatement::Done)
        return tr("there is no snapshot %1").arg(m_snapshotId);

    static const QByteArray graphSchema = LsnapFormat::schemaSection("graph"); // the version 3 tables
    if (!m_db.exec(graphSchema.constData()))
        return sqliteError(tr("creating the heap graph tables"));
    if (m_tables.graph) {
        // A version 2 table (checked by column rather than by version, so a
        // file whose version and schema disagree is not made worse).
        SqliteStatement column =
            m_db.prepare("SELECT count(*) FROM pragma_table_info('graph') WHERE name = 'target_encoding'");
        if (!column.isValid() || column.step() != SqliteStatement::Row)
            return sqliteError(tr("reading the graph table"));
        const bool hasColumn = column.int64(0) > 0;
        column = SqliteStatement(); // no statement open on the schema ALTER changes
        if (!hasColumn && !m_db.exec(s_addTargetEncoding))
            return sqliteError(tr("adding target_encoding to the graph table"));
    }
    SqliteStatement existing = m_db.prepare("SELECT 1 FROM graph WHERE snapshot = ?1");
    if (!existing.isValid())
        return sqliteError(tr("reading the graph table"));
    existing.bindInt64(1, m_snapshotId);
    const auto has = existing.step();
    if (has == SqliteStatement::Error)
        return sqliteError(tr("reading the graph table"));
    if (has == SqliteStatement::Row)
        return tr("snapshot %1 already has a heap graph").arg(m_snapshotId);
    return QString();
}

QString GraphWriter::mapTypes(std::vector<qint32> *fileTypes)
{
    // Only the types some node has; the first of duplicate names wins, as in
    // HeapGraph::findType.
    std::vector<qint64> fileIdOf(m_a.typeNames.size(), -1);
    QHash<QString, qint64> byName;
    SqliteStatement find = m_db.prepare("SELECT id FROM type WHERE name = ?1");
    SqliteStatement insert = m_db.prepare("INSERT INTO type(name) VALUES (?1)");
    if (!find.isValid() || !insert.isValid())
        return sqliteError(tr("preparing the type table"));
    fileTypes->resize(m_a.types.size());
    for (size_t i = 0; i < m_a.types.size(); ++i) {
        const size_t t = size_t(m_a.types[i]);
        if (fileIdOf[t] < 0) {
            const QString &name = m_a.typeNames[t];
            qint64 id = byName.value(name, -1);
            if (id < 0) {
                find.bindText(1, name);
                const auto step = find.step();
                if (step == SqliteStatement::Error)
                    return sqliteError(tr("looking up a type"));
                if (step == SqliteStatement::Row)
                    id = find.int64(0);
                find.reset();
                if (id < 0) {
                    insert.bindText(1, name);
                    if (insert.step() != SqliteStatement::Done)
                        return sqliteError(tr("writing a type"));
                    insert.reset();
                    id = m_db.lastInsertRowId();
                }
                if (id < 0 || id > std::numeric_limits<qint32>::max())
                    return tr("type id %1 of \"%2\" does not fit the graph's int32 types").arg(num(id), name);
                byName.insert(name, id);
            }
            fileIdOf[t] = id;
        }
        (*fileTypes)[i] = qint32(fileIdOf[t]);
    }
    return QString();
}

QString GraphWriter::write()
{
    if (QString error = prepareSchema(); !error.isEmpty())
        return error;
    std::vector<qint32> fileTypes;
    if (QString error = mapTypes(&fileTypes); !error.isEmpty())
        return error;

    const size_t n = m_a.ids.size();
    const size_t m = m_a.edgeTargets.size();
    std::vector<quint32> sizes(n, 0);
    for (size_t i = 0; i < m_a.sizes.size(); ++i)
        sizes[i] = m_a.sizes[i] >= s_bigSize ? s_bigSize : quint32(m_a.sizes[i]);
    std::vector<quint32> offsets(n + 1);
    for (size_t i = 0; i <= n; ++i)
        offsets[i] = quint32(m_a.edgeOffsets[i]);
    const std::vector<quint8> flags = m_a.flags.empty() ? std::vector<quint8>(n, 0) : m_a.flags;

    // Label strings: only those in use, each text once.
    std::vector<qint32> remap(m_a.strings.size(), -1);
    std::vector<const QString *> strings;
    QHash<QString, qint32> seen;
    const auto relabel = [&](const std::vector<qint32> &labels, size_t count) {
        std::vector<qint32> out(count, -1);
        for (size_t i = 0; i < labels.size(); ++i) {
            const qint32 l = labels[i];
            if (l < 0)
                continue;
            qint32 &mapped = remap[size_t(l)];
            if (mapped < 0) {
                const QString &text = m_a.strings[size_t(l)];
                const auto it = seen.constFind(text);
                if (it != seen.constEnd()) {
                    mapped = it.value();
                } else {
                    mapped = qint32(strings.size());
                    seen.insert(text, mapped);
                    strings.push_back(&text);
                }
            }
            out[i] = mapped;
        }
        return out;
    };
    const std::vector<qint32> nodeLabels = relabel(m_a.nodeLabels, n);
    const std::vector<qint32> edgeLabels = relabel(m_a.edgeLabels, m);

    SqliteStatement insertGraph = m_db.prepare(
        "INSERT INTO graph(snapshot, node_count, edge_count, compression, ids, types, sizes, flags, edge_offsets, "
        "edge_targets, target_encoding) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'index')");
    if (!insertGraph.isValid())
        return sqliteError(tr("writing the graph"));
    insertGraph.bindInt64(1, m_snapshotId);
    insertGraph.bindInt64(2, qint64(n));
    insertGraph.bindInt64(3, qint64(m));
    insertGraph.bindText(4, m_zlib ? QStringLiteral("zlib") : QStringLiteral("none"));
    const QByteArray blobs[] = {blob(PackedArray::encode(m_a.ids)),     blob(PackedArray::encode(fileTypes)),
                                blob(PackedArray::encode(sizes)),       blob(PackedArray::encode(flags)),
                                blob(PackedArray::encode(offsets)),     blob(PackedArray::encode(m_a.edgeTargets))};
    for (int i = 0; i < 6; ++i) {
        if (m_zlib && blobs[i].isNull())
            return tr("zlib could not compress the graph");
        insertGraph.bindBlob(5 + i, blobs[i]);
    }
    if (insertGraph.step() != SqliteStatement::Done)
        return sqliteError(tr("writing the graph"));

    SqliteStatement insertString = m_db.prepare("INSERT INTO graph_string(snapshot, id, text) VALUES (?1, ?2, ?3)");
    if (!insertString.isValid())
        return sqliteError(tr("writing the label strings"));
    for (size_t i = 0; i < strings.size(); ++i) {
        insertString.bindInt64(1, m_snapshotId);
        insertString.bindInt64(2, qint64(i));
        insertString.bindText(3, *strings[i]);
        if (insertString.step() != SqliteStatement::Done)
            return sqliteError(tr("writing the label strings"));
        insertString.reset();
    }

    SqliteStatement insertLabels =
        m_db.prepare("INSERT INTO graph_label(snapshot, node_labels, edge_labels) VALUES (?1, ?2, ?3)");
    if (!insertLabels.isValid())
        return sqliteError(tr("writing the labels"));
    insertLabels.bindInt64(1, m_snapshotId);
    const QByteArray nodeBlob = blob(PackedArray::encode(nodeLabels));
    const QByteArray edgeBlob = blob(PackedArray::encode(edgeLabels));
    if (m_zlib && (nodeBlob.isNull() || edgeBlob.isNull()))
        return tr("zlib could not compress the labels");
    insertLabels.bindBlob(2, nodeBlob);
    insertLabels.bindBlob(3, edgeBlob);
    if (insertLabels.step() != SqliteStatement::Done)
        return sqliteError(tr("writing the labels"));

    // The graph raises the format version in the same transaction, as the
    // schema change it goes with.
    if (m_version < LsnapFormat::TargetIdsVersion) {
        const QByteArray pragma =
            QByteArrayLiteral("PRAGMA user_version = ") + QByteArray::number(LsnapFormat::TargetIdsVersion);
        if (!m_db.exec(pragma.constData()))
            return sqliteError(tr("raising the format version"));
        if (m_tables.meta) {
            SqliteStatement meta = m_db.prepare("UPDATE meta SET value = ?1 WHERE key = 'format_version'");
            if (!meta.isValid())
                return sqliteError(tr("updating meta"));
            meta.bindText(1, QString::number(LsnapFormat::TargetIdsVersion));
            if (meta.step() != SqliteStatement::Done)
                return sqliteError(tr("updating meta"));
        }
    }
    return QString();
}

} // namespace

Status HeapGraphStore::write(const QString &path, qint64 snapshotId, const HeapGraphArrays &arrays,
                             Compression compression)
{
    const auto fail = [&](const QString &reason) { return Status::failure(path + QStringLiteral(": ") + reason); };
    if (const QString error = checkForWriting(arrays); !error.isEmpty())
        return fail(tr("heap graph for snapshot %1 not written: %2").arg(snapshotId).arg(error));

    // Decide from the raw bytes before SQLite opens the file for writing, as
    // SnapshotWriter does: a graph is only ever added to an existing file.
    const QFileInfo info(path);
    if (!info.exists())
        return fail(tr("no such file"));
    if (!info.isFile())
        return fail(tr("not a regular file"));
    {
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            return fail(file.error() == QFileDevice::PermissionsError ? tr("permission denied") : file.errorString());
        const QByteArray head = file.read(LsnapFormat::SqliteHeaderSize);
        if (!LsnapFormat::isSqlite(head))
            return fail(tr("not a Leakscope file (not a SQLite database)"));
        if (head.size() < LsnapFormat::SqliteHeaderSize)
            return fail(tr("truncated or corrupt (shorter than a SQLite header)"));
        if (const QString refusal = LsnapFormat::refusalReason(LsnapFormat::parseHeader(head)); !refusal.isEmpty())
            return fail(refusal);
    }

    SqliteDatabase db;
    if (!db.open(path, SqliteDatabase::ReadWriteCreate))
        return fail(tr("cannot open for writing (%1)").arg(TextUtil::oneLine(db.errorMessage())));
    db.setBusyTimeout(5000);
    if (!db.exec("BEGIN IMMEDIATE"))
        return fail(tr("cannot lock for writing (%1)").arg(TextUtil::oneLine(db.errorMessage())));
    // The pragmas again under the lock: another writer may have changed them.
    bool ok = false;
    LsnapFormat::Header header;
    header.applicationId = quint32(pragmaValue(db, "PRAGMA application_id", &ok));
    if (ok)
        header.userVersion = qint32(pragmaValue(db, "PRAGMA user_version", &ok));
    QString error = ok ? LsnapFormat::refusalReason(header) : tr("cannot read (%1)").arg(db.errorMessage());
    if (error.isEmpty()) {
        GraphWriter writer(db, snapshotId, arrays, compression);
        error = writer.write();
    }
    if (error.isEmpty() && !db.exec("COMMIT"))
        error = tr("committing failed (%1)").arg(TextUtil::oneLine(db.errorMessage()));
    if (!error.isEmpty()) {
        db.exec("ROLLBACK");
        return fail(error);
    }
    qCDebug(lcGraphStore) << path << "snapshot" << snapshotId << "graph written:" << arrays.ids.size() << "nodes";
    return Status();
}

} // namespace leakscope
