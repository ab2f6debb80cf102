#include "views/retainersmodel.h"

#include "core/textutil.h"
#include "graphlayout/referencelayout.h"

#include <QLocale>

namespace leakscope {

RetainersModel::RetainersModel(QObject *parent) : QAbstractTableModel(parent) {}

void RetainersModel::setGraph(HeapGraphPtr graph, std::shared_ptr<const DominatorTree> dominators)
{
    m_graph = std::move(graph);
    m_dominators = std::move(dominators);
    rebuild();
}

void RetainersModel::setByType(bool byType)
{
    if (byType == m_byType)
        return;
    m_byType = byType;
    rebuild();
    headerDataChanged(Qt::Horizontal, 0, ColumnCount - 1);
}

void RetainersModel::rebuild()
{
    beginResetModel();
    m_rows.clear();
    if (m_graph && m_dominators && m_dominators->nodeCount() == m_graph->nodeCount()) {
        const HeapGraph &g = *m_graph;
        if (m_byType) {
            std::vector<quint64> counts(size_t(g.typeCount()), 0);
            std::vector<quint64> shallow(size_t(g.typeCount()), 0);
            for (quint32 n = 0; n < g.nodeCount(); ++n) {
                counts[size_t(g.type(n))] += 1;
                shallow[size_t(g.type(n))] += g.shallowSize(n);
            }
            for (qint32 t : m_dominators->topTypes(s_maxRows)) {
                Row r;
                r.key = t;
                r.type = g.typeName(t);
                r.count = counts[size_t(t)];
                r.shallow = shallow[size_t(t)];
                r.retained = m_dominators->retainedSizeOfType(t);
                m_rows.push_back(r);
            }
        } else {
            for (quint32 n : m_dominators->topRetainers(g, s_maxRows)) {
                Row r;
                r.key = n;
                r.type = g.typeName(g.type(n));
                r.label = g.describe(n);
                if (r.label.isEmpty())
                    r.label = QStringLiteral("0x") + QString::number(g.id(n), 16);
                const quint32 idom = m_dominators->immediateDominator(n);
                if (idom != HeapGraph::NoNode) {
                    r.dominator = g.describe(idom);
                    if (r.dominator.isEmpty())
                        r.dominator = g.typeName(g.type(idom)) + QStringLiteral(" 0x") + QString::number(g.id(idom), 16);
                    // Which reference of the keeper it is, when it holds the
                    // object directly: the global's name, key or attribute.
                    for (quint32 j = g.inBegin(n); j < g.inEnd(n); ++j) {
                        if (g.inSource(j) != idom)
                            continue;
                        const QString via = g.edgeLabel(g.inEdge(j));
                        if (!via.isEmpty())
                            r.dominator += QStringLiteral(" \u2192 ") + via;
                        break;
                    }
                } else if (g.isRoot(n)) {
                    r.dominator = tr("(a root itself)");
                } else if (g.inDegree(n) == 0) {
                    r.dominator = tr("(nothing: held from C code or garbage)");
                } else {
                    // Paths from more than one root reach it.
                    r.dominator = tr("(several roots)");
                }
                r.count = 1;
                r.shallow = g.shallowSize(n);
                r.retained = m_dominators->retainedSize(n);
                m_rows.push_back(r);
            }
        }
    }
    endResetModel();
}

int RetainersModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int RetainersModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RetainersModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &r = m_rows[size_t(index.row())];
    const quint64 total = m_dominators ? m_dominators->totalSize() : 0;
    const double percent = total ? 100.0 * double(r.retained) / double(total) : 0.0;
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case TypeColumn:
            return r.type;
        case ObjectColumn:
            return m_byType ? QLocale().toString(r.count) : r.label;
        case DominatorColumn:
            return r.dominator;
        case ShallowColumn:
            return TextUtil::bytes(qint64(r.shallow));
        case RetainedColumn:
            return TextUtil::bytes(qint64(r.retained));
        case PercentColumn:
            return QStringLiteral("%1 %").arg(QLocale().toString(percent, 'f', 1));
        }
        break;
    case SortRole:
        switch (index.column()) {
        case TypeColumn:
            return r.type;
        case ObjectColumn:
            return m_byType ? QVariant(r.count) : QVariant(r.label);
        case DominatorColumn:
            return r.dominator;
        case ShallowColumn:
            return r.shallow;
        case RetainedColumn:
            return r.retained;
        case PercentColumn:
            return percent;
        }
        break;
    case NodeRole:
        return r.key;
    case Qt::TextAlignmentRole:
        if (index.column() >= ShallowColumn || (m_byType && index.column() == ObjectColumn))
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        break;
    case Qt::ToolTipRole:
        if (index.column() == ObjectColumn && !m_byType)
            return r.label;
        if (index.column() == DominatorColumn)
            return r.dominator;
        break;
    default:
        break;
    }
    return {};
}

QVariant RetainersModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case TypeColumn:
            return tr("Type");
        case ObjectColumn:
            return m_byType ? tr("Instances") : tr("Object");
        case DominatorColumn:
            return m_byType ? QString() : tr("Kept alive by");
        case ShallowColumn:
            return tr("Shallow");
        case RetainedColumn:
            return tr("Retained");
        case PercentColumn:
            return tr("% of heap");
        }
    } else if (role == Qt::ToolTipRole) {
        switch (section) {
        case DominatorColumn:
            return tr("Its immediate dominator: the object every path from a root to it goes through");
        case ShallowColumn:
            return tr("Bytes of the object itself (sys.getsizeof)");
        case RetainedColumn:
            return m_byType ? tr("Bytes freed if every instance of the type were released")
                            : tr("Bytes freed if only this object were released (it and everything it dominates)");
        case PercentColumn:
            return tr("Retained bytes as a share of all gc-tracked bytes in the graph");
        }
    }
    return {};
}

} // namespace leakscope
