#pragma once

#include "core/containergrowth.h"
#include "core/session.h"

#include <QAbstractTableModel>
#include <QWidget>

#include <memory>

class QLabel;
class QTreeView;

namespace leakscope {

// The large containers of a comparison (issue 14): one row per container
// recorded at the baseline or the current snapshot.
class ContainersTableModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column {
        ContainerColumn,
        HeldByColumn,
        ItemsColumn,
        DeltaItemsColumn,
        PayloadColumn,
        DeltaPayloadColumn,
        TrendColumn,
        SuspectColumn,
        ColumnCount
    };

    explicit ContainersTableModel(QObject *parent = nullptr);
    void setComparison(std::shared_ptr<const Session> session, ContainerComparison comparison);
    const ContainerComparison &comparison() const { return m_comparison; }
    const ContainerRow *row(int index) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::shared_ptr<const Session> m_session;
    ContainerComparison m_comparison;
};

// The Containers view beside the growth table: the table, and a line that
// says when the files predate the container tables or RSS grows beyond what
// Python objects explain.
class ContainersView : public QWidget
{
    Q_OBJECT
public:
    explicit ContainersView(QWidget *parent = nullptr);

    void setComparison(std::shared_ptr<const Session> session, int baseline, int current);
    ContainersTableModel *model() const { return m_model; }
    QTreeView *view() const { return m_view; }
    QString noteText() const;
    // Selects the row of the container with this object id (containerSelected
    // follows); false when no row has it.
    bool selectContainer(qint64 objectId);
    // The RSS message of issue 14, or empty.
    QString rssMessage() const { return m_rss.unexplained ? m_rss.message : QString(); }

signals:
    // The selected container (nullptr: none); valid until the next setComparison.
    void containerSelected(const leakscope::ContainerRow *row);

private:
    ContainersTableModel *m_model = nullptr;
    QTreeView *m_view = nullptr;
    QLabel *m_note = nullptr;
    RssCheck m_rss;
};

} // namespace leakscope
