#pragma once

#include "core/expected.h"
#include "heapgraph/heapgraph.h"
#include "core/taskcontrol.h"

#include <vector>

namespace leakscope {

// Dominator tree and retained sizes of a HeapGraph (what Eclipse MAT and
// Chrome DevTools show for Java and JavaScript heaps).
//
// A virtual root sits above every object that keeps others alive without
// being kept alive by anything in the graph: the flagged roots (modules,
// classes, thread frames, other roots) and every object nothing refers to.
// Objects still unreachable from there (cycles held only from outside the
// graph, e.g. by C code, or garbage) are attached to the virtual root too:
// the lowest-numbered unreached node first, then again until all are reached,
// so every object has a dominator and the result is deterministic.
//
// An object's retained size is its shallow size plus the shallow sizes of all
// objects it dominates: what would be freed if only it were released.
// A type's retained size is the sum of the retained sizes of its instances
// that are not dominated by another instance of the same type (a linked list
// of ten nodes retains the ten nodes once, not 10 + 9 + ... + 1 times).
//
// Semi-NCA (Lengauer-Tarjan's semidominators with iterative path
// compression, then nearest common ancestors) on the CSR arrays: O(m log n),
// no recursion, about 25 bytes per node of scratch besides the result.
class DominatorTree
{
public:
    static Expected<DominatorTree> compute(const HeapGraph &graph, const TaskControl &control = {});

    quint32 nodeCount() const { return quint32(m_idom.size()); }
    // Immediate dominator, or HeapGraph::NoNode for the virtual root.
    quint32 immediateDominator(quint32 node) const { return m_idom[node]; }
    quint64 retainedSize(quint32 node) const { return m_retained[node]; }
    // Indexed by the graph's type id; see the class comment for the definition.
    quint64 retainedSizeOfType(qint32 type) const
    {
        return type >= 0 && size_t(type) < m_typeRetained.size() ? m_typeRetained[size_t(type)] : 0;
    }
    const std::vector<quint64> &typeRetainedSizes() const { return m_typeRetained; }
    // Sum of all shallow sizes (what the virtual root retains).
    quint64 totalSize() const { return m_total; }
    // Objects attached to the virtual root only because nothing reached them.
    quint32 unreachableCount() const { return m_unreachable; }

    // True when `a` dominates `b` (every node dominates itself). O(depth).
    bool dominates(quint32 a, quint32 b) const;

    // Nodes with the largest retained sizes, largest first (ties: lower node
    // index first). Flagged roots (modules...) retain nearly everything and
    // say little, so skipRoots leaves them out.
    std::vector<quint32> topRetainers(const HeapGraph &graph, int count, bool skipRoots = true) const;
    // Type ids with the largest retained sizes, largest first.
    std::vector<qint32> topTypes(int count) const;
    // The nodes `node` immediately dominates (HeapGraph::NoNode: the virtual
    // root's), largest retained size first: one level of a MAT-style
    // dominator tree browser. O(n) per call.
    std::vector<quint32> dominatedBy(quint32 node) const;

    quint64 memoryBytes() const;

private:
    std::vector<quint32> m_idom;
    std::vector<quint64> m_retained;
    std::vector<quint64> m_typeRetained;
    quint64 m_total = 0;
    quint32 m_unreachable = 0;
};

} // namespace leakscope
