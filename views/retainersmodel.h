#pragma once

#include "heapgraph/dominatortree.h"
#include "heapgraph/heapgraph.h"

#include <QAbstractTableModel>

#include <memory>
#include <vector>

namespace leakscope {

// The objects (or types) that keep the most memory alive in one heap graph,
// from its dominator tree: shallow and retained bytes and the share of the
// heap. Raw numbers under SortRole; text only for display.
class RetainersModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { TypeColumn, ObjectColumn, DominatorColumn, ShallowColumn, RetainedColumn, PercentColumn, ColumnCount };
    enum Role {
        SortRole = Qt::UserRole + 1,
        NodeRole, // graph node index (objects) or type id (types)
    };
    static constexpr int s_maxRows = 500;

    explicit RetainersModel(QObject *parent = nullptr);

    void setGraph(HeapGraphPtr graph, std::shared_ptr<const DominatorTree> dominators);
    void setByType(bool byType);
    bool byType() const { return m_byType; }
    HeapGraphPtr graph() const { return m_graph; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    struct Row
    {
        qint64 key = 0; // node or type id
        QString type;
        QString label;
        QString dominator; // label of the immediate dominator; empty for the virtual root
        quint64 count = 0;
        quint64 shallow = 0;
        quint64 retained = 0;
    };
    void rebuild();

    HeapGraphPtr m_graph;
    std::shared_ptr<const DominatorTree> m_dominators;
    std::vector<Row> m_rows;
    bool m_byType = false;
};

} // namespace leakscope
