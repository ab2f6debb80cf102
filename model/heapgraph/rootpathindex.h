#pragma once

#include "core/expected.h"
#include "heapgraph/heapgraph.h"
#include "heapgraph/referencechain.h"
#include "core/taskcontrol.h"

#include <vector>

namespace leakscope {

// Shortest paths from the roots to every object, computed once per graph
// (one forward breadth-first search, O(n + m), 8 bytes per node), so chain
// queries afterwards cost only the length of the chain: for a "Top retainers"
// list with a chain per row, or many chain requests against one file.
//
// Same answers as ReferenceChain::shortestToRoot (lengths and end kinds; ties
// may pick a different path of equal length): flagged roots first; objects no
// flagged root reaches get their path from the nearest object nothing refers
// to; objects held only by unreferenced cycles get none.
class RootPathIndex
{
public:
    static Expected<RootPathIndex> build(const HeapGraph &graph, const TaskControl &control = {});

    bool hasPath(quint32 node) const { return node < m_depth.size() && m_depth[node] != s_unreached; }
    // Hops from the start of its path (0 for roots and unreferenced starts).
    quint32 depth(quint32 node) const { return m_depth[node] & ~s_fallbackBit; }
    // True when the path starts at a flagged root (not an unreferenced object).
    bool reachesRoot(quint32 node) const { return hasPath(node) && !(m_depth[node] & s_fallbackBit); }

    // The chain to the source nearest to a flagged root (or, when none has
    // one, nearest to an unreferenced object). Fails like shortestToRoot.
    Expected<ReferenceChain> chain(const HeapGraph &graph, const std::vector<quint32> &sources) const;

    quint64 memoryBytes() const;

private:
    static constexpr quint32 s_unreached = 0xFFFFFFFFu;
    static constexpr quint32 s_fallbackBit = 0x80000000u;
    std::vector<quint32> m_depth; // hops, with s_fallbackBit for unreferenced starts
    std::vector<quint32> m_via;   // out-edge from the parent on the path; NoEdge at starts
};

} // namespace leakscope
