#pragma once

#include "heapgraph/dominatortree.h"
#include "core/expected.h"
#include "heapgraph/heapgraph.h"
#include "core/taskcontrol.h"

#include <QString>

#include <memory>

namespace leakscope {

// Heap graphs and their dominator trees already in memory, shared by whoever
// asked for them first: the growth table's retained sizes and the References
// and Retainers tabs read a snapshot's graph and analyse it once, not once
// each. Only weak references are kept here (the callers decide how long a
// graph lives); every function is thread-safe.
//
// A graph is known by its file (canonical path, device and inode, so a file
// replaced by Save As is a different file) and snapshot id.
class SharedGraphs
{
public:
    // The graph of snapshot `snapshotId` of `file`: the one in memory, or
    // read now through `reader` (HeapGraph::read; for .lsnap files
    // HeapGraphStore::readArrays) and remembered. Two threads asking for
    // the same missing graph at once may both read it; the first one stored
    // wins and both get it.
    static Expected<HeapGraphPtr> load(const HeapGraphArraysReader &reader, const QString &file, qint64 snapshotId,
                                       const TaskControl &control = {});
    // The graph if it is in memory, else null.
    static HeapGraphPtr find(const QString &file, qint64 snapshotId);

    // The dominator tree of `graph`: the one in memory, or computed now and
    // remembered for as long as someone holds it.
    static Expected<std::shared_ptr<const DominatorTree>> dominators(const HeapGraphPtr &graph,
                                                                     const TaskControl &control = {});
};

} // namespace leakscope
