#pragma once

#include "core/session.h"

#include <QAbstractTableModel>
#include <QStringList>

#include <memory>

namespace leakscope {

// Every snapshot of the session in time order, with the baseline (A) and the
// current snapshot (B) of the comparison marked.
class SnapshotTimelineModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { IndexColumn, LabelColumn, TimeColumn, ObjectsColumn, RssColumn, SourceColumn, ColumnCount };
    enum Role {
        SortRole = Qt::UserRole + 1,
        IsBaselineRole,
        IsCurrentRole,
    };

    explicit SnapshotTimelineModel(QObject *parent = nullptr);

    void setSession(std::shared_ptr<const Session> session);
    void setComparedSnapshots(int baseline, int current);
    int baseline() const { return m_baseline; }
    int current() const { return m_current; }

    // "#3 after 100 requests" for menus and combo boxes.
    QString snapshotTitle(int index) const;
    // The distinct files the snapshots were read from, in session order. A
    // live session or a single file has one: the Source column then says
    // nothing a title could not say once.
    const QStringList &sourceFiles() const { return m_sourceFiles; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::shared_ptr<const Session> m_session;
    std::vector<double> m_axis;
    std::vector<qint64> m_totals;
    QStringList m_sourceFiles;
    bool m_hasTimes = false;
    int m_baseline = -1;
    int m_current = -1;
};

} // namespace leakscope
