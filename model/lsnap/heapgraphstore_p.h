#pragma once

// What the heap-graph reader (heapgraphreader.cpp), the writer
// (heapgraphwriter.cpp) and the compressed-blob helpers (heapgraphblob.cpp)
// share. Private to model/lsnap.

#include "lsnap/sqlitedatabase.h"

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QString>

#include <limits>

namespace leakscope {

Q_DECLARE_LOGGING_CATEGORY(lcGraphStore)

namespace HeapGraphFile {

inline QString tr(const char *text)
{
    return QCoreApplication::translate("leakscope::HeapGraphStore", text);
}

inline QString num(quint64 v) { return QString::number(v); }
inline QString num(qint64 v) { return QString::number(v); }

// HeapGraph keeps node and edge indices in uint32 and reserves the largest.
constexpr quint64 s_maxCount = std::numeric_limits<quint32>::max() - 1;

// Which of the named tables exist, and whether each is a real table (a view
// of the same name could run arbitrary SQL from the file).
struct Tables
{
    bool graph = false;
    bool graphString = false;
    bool graphLabel = false;
    bool meta = false;
    bool snapshot = false;
    bool type = false;
    QString notATable;
};

inline bool readTables(SqliteDatabase &db, Tables *tables)
{
    SqliteStatement stmt = db.prepare("SELECT name, type FROM sqlite_schema WHERE name IN "
                                      "('graph', 'graph_string', 'graph_label', 'meta', 'snapshot', 'type')");
    if (!stmt.isValid())
        return false;
    SqliteStatement::StepResult step;
    while ((step = stmt.step()) == SqliteStatement::Row) {
        const QString name = stmt.text(0);
        if (stmt.text(1) != QLatin1String("table")) {
            tables->notATable = name;
            continue;
        }
        if (name == QLatin1String("graph"))
            tables->graph = true;
        else if (name == QLatin1String("graph_string"))
            tables->graphString = true;
        else if (name == QLatin1String("graph_label"))
            tables->graphLabel = true;
        else if (name == QLatin1String("meta"))
            tables->meta = true;
        else if (name == QLatin1String("snapshot"))
            tables->snapshot = true;
        else if (name == QLatin1String("type"))
            tables->type = true;
    }
    return step == SqliteStatement::Done;
}

inline qint64 pragmaValue(SqliteDatabase &db, const char *sql, bool *ok)
{
    SqliteStatement pragma = db.prepare(sql);
    *ok = pragma.isValid() && pragma.step() == SqliteStatement::Row;
    return *ok ? pragma.int64(0) : 0;
}

} // namespace HeapGraphFile

} // namespace leakscope
