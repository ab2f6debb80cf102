#pragma once

#include "core/growth.h"
#include "core/session.h"

#include <QAbstractTableModel>

#include <memory>
#include <vector>

namespace leakscope {

// One row per type of a Comparison. Raw numbers live under SortRole (and
// are what the proxy sorts by); text is formatted only for DisplayRole.
// The model is reset once per published comparison, never row by row.
class GrowthTableModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column {
        TypeColumn,
        CountColumn,
        DeltaPreviousColumn,
        DeltaBaselineColumn,
        DeltaPercentColumn,
        SizeColumn,
        DeltaSizeColumn,
        RetainedColumn,      // GrowthRow::retained; a dash when unknown
        DeltaRetainedColumn, // GrowthRow::deltaRetained; a dash unless both snapshots have retained sizes
        TrendColumn,
        ReasonColumn,        // SuspectDetector::reasonText; sorts in the shared ranking (LeakRanking)
        ColumnCount
    };
    enum Role {
        SortRole = Qt::UserRole + 1, // raw number (qint64 or double); the name for TypeColumn
        TypeIdRole,                  // int, id in the session's TypeRegistry
        TypeNameRole,                // QString
        SuspectRole,                 // bool
        BuiltinRole,                 // bool
        CountSeriesRole,             // QList<qint64> over snapshots [0, current]
        BaselineIndexRole,           // int, index of the baseline snapshot inside the series
    };

    explicit GrowthTableModel(QObject *parent = nullptr);

    // Publishes a new comparison (one reset). The session must be the one the
    // comparison was computed from.
    void setComparison(std::shared_ptr<const Session> session, std::shared_ptr<const Comparison> comparison);
    void clear();

    std::shared_ptr<const Session> session() const { return m_session; }
    std::shared_ptr<const Comparison> comparison() const { return m_comparison; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // Direct access for the proxy and the delegate, so sorting 20,000 rows does
    // not go through QVariant for every comparison.
    const GrowthRow &row(int sourceRow) const { return m_comparison->rows[size_t(sourceRow)]; }
    const QString &typeName(int sourceRow) const;
    bool isBuiltin(int sourceRow) const { return m_builtin[size_t(sourceRow)]; }
    double sortValue(int sourceRow, int column) const;
    int rowOfType(int typeId) const; // -1 when the type has no row
    // True when the baseline or the current snapshot carries a heap graph,
    // i.e. when the Retained columns can show anything.
    bool hasRetained() const { return m_hasRetained; }
    // Position of the row's type name in case-insensitive name order, so the
    // proxy compares names (and breaks ties) with one integer comparison.
    int nameRank(int sourceRow) const;

    // Text of the given rows (tab separated, with a header line) for the clipboard.
    QString rowsAsText(const std::vector<int> &sourceRows) const;

    static QString formatCount(qint64 v);
    static QString formatDelta(qint64 v);
    static QString formatDeltaBytes(qint64 v);
    static QString formatPercent(double v);

private:
    QString displayText(const GrowthRow &r, int sourceRow, int column) const;
    QString retainedToolTip(const GrowthRow &r) const;

    std::shared_ptr<const Session> m_session;
    std::shared_ptr<const Comparison> m_comparison;
    std::vector<char> m_builtin;
    std::vector<int> m_rowOfType;
    // By type id; computed on first use and kept while the session's registry
    // is the same size (the registry only ever grows).
    mutable std::vector<int> m_nameRank;
    mutable const TypeRegistry *m_rankedTypes = nullptr;
    bool m_hasSizes = true;
    bool m_hasRetained = false;
};

} // namespace leakscope
