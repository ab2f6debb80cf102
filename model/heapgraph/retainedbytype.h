#pragma once

#include "heapgraph/dominatortree.h"
#include "core/expected.h"
#include "core/growth.h"
#include "heapgraph/heapgraph.h"
#include "core/taskcontrol.h"
#include "core/typeregistry.h"

#include <QHash>
#include <QString>

namespace leakscope {

// Retained bytes per type of one heap graph (DominatorTree's per-type
// definition: instances dominated by another instance of the same type count
// once), keyed by the qualified type name, because a graph's type ids belong to
// its file while growth rows use the session's TypeRegistry. Small (one entry
// per type), so it can be cached long after the graph is gone.
class RetainedByType
{
public:
    // Builds the dominator tree of `graph` and keeps only the per-type sums.
    // Fails when control cancels it.
    static Expected<RetainedByType> compute(const HeapGraph &graph, const TaskControl &control = {});
    static RetainedByType fromDominators(const HeapGraph &graph, const DominatorTree &tree);

    // Bytes the type's instances retain; 0 for a type with none in the graph.
    qint64 retained(const QString &typeName) const { return m_bytes.value(typeName, 0); }
    const QHash<QString, qint64> &bytes() const { return m_bytes; }
    // Sum of all shallow sizes in the graph.
    qint64 totalSize() const { return m_total; }

    // Fills GrowthRow::retained, baselineRetained and deltaRetained of every
    // row. A null pointer means that snapshot's retained sizes are unknown
    // (no graph, or not computed yet): its field becomes -1, and the delta is
    // 0 unless both are known.
    static void fill(Comparison &comparison, const TypeRegistry &types, const RetainedByType *baseline,
                     const RetainedByType *current);

private:
    QHash<QString, qint64> m_bytes;
    qint64 m_total = 0;
};

} // namespace leakscope
