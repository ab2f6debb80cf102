#pragma once

#include "core/expected.h"
#include "heapgraph/heapgraph.h"
#include "core/taskcontrol.h"

#include <vector>

namespace leakscope {

// The shortest chain of references from a root down to an object, like
// objgraph's find_backref_chain but without its depth limit: one
// breadth-first search over the in-edges, O(n + m), so chains of hundreds of
// hops (a re-raised exception's growing traceback) are found as fast as short
// ones.
struct ReferenceChain
{
    enum class End {
        Root,         // a flagged root (module, class, thread frame, other)
        Unreferenced, // no flagged root leads here; an object nothing refers to
    };
    struct Step
    {
        quint32 node = HeapGraph::NoNode;
        // The out-edge from the previous step's node to this one (its label is
        // the attribute, key or index); NoEdge on the first step.
        quint32 edge = HeapGraph::NoEdge;
    };

    std::vector<Step> steps; // the root first, the object last
    End end = End::Root;

    // From the nearest of `sources` (several: all instances of a type, so the
    // answer is the instance with the shortest chain). Prefers a flagged root;
    // falls back to the nearest object with no referrers. Fails when the
    // sources are invalid or only reachable from unreferenced cycles.
    static Expected<ReferenceChain> shortestToRoot(const HeapGraph &graph, const std::vector<quint32> &sources,
                                                   const TaskControl &control = {});

    quint32 object() const { return steps.empty() ? HeapGraph::NoNode : steps.back().node; }
    quint32 root() const { return steps.empty() ? HeapGraph::NoNode : steps.front().node; }
};

} // namespace leakscope
