#include "heapgraph/retainedbytype.h"

namespace leakscope {

Expected<RetainedByType> RetainedByType::compute(const HeapGraph &graph, const TaskControl &control)
{
    Expected<DominatorTree> tree = DominatorTree::compute(graph, control);
    if (!tree)
        return Expected<RetainedByType>::failure(tree.error());
    return fromDominators(graph, tree.value());
}

RetainedByType RetainedByType::fromDominators(const HeapGraph &graph, const DominatorTree &tree)
{
    RetainedByType result;
    result.m_total = qint64(tree.totalSize());
    const std::vector<quint64> &perType = tree.typeRetainedSizes();
    result.m_bytes.reserve(graph.typeCount());
    for (int t = 0; t < graph.typeCount(); ++t) {
        const quint64 bytes = size_t(t) < perType.size() ? perType[size_t(t)] : 0;
        if (bytes == 0)
            continue; // absent and zero read the same; keeps the table small
        // A file's type table has unique names; summing keeps a graph built
        // from other arrays honest too.
        result.m_bytes[graph.typeName(t)] += qint64(bytes);
    }
    return result;
}

void RetainedByType::fill(Comparison &comparison, const TypeRegistry &types, const RetainedByType *baseline,
                          const RetainedByType *current)
{
    for (GrowthRow &row : comparison.rows) {
        if (row.type < 0 || row.type >= types.size()) {
            row.retained = row.baselineRetained = -1;
            row.deltaRetained = 0;
            continue;
        }
        const QString &name = types.name(row.type);
        row.retained = current ? current->retained(name) : -1;
        row.baselineRetained = baseline ? baseline->retained(name) : -1;
        row.deltaRetained = current && baseline ? row.retained - row.baselineRetained : 0;
    }
}

} // namespace leakscope
