#pragma once

#include "core/leakreport.h"
#include "core/taskcontrol.h"
#include "heapgraph/heapgraph.h"
#include "heapgraph/referencechain.h"
#include "heapgraph/retainedbytype.h"

namespace leakscope {

class HeapGraphService;

// What a heap graph adds to a LeakReport (core): builtin suspects (list,
// dict, method, cell, ...) folded under the user type or the container that
// holds them, the chain from a root to a new instance of every entry, and
// retained growth. `current` is the graph of report.graphSnapshot; `baseline`
// the graph of report.baseline (null when that snapshot has none: then every
// instance counts as new and retained growth stays unknown).
class LeakReportGraph
{
public:
    // The report of `session` from `baseline` to `current` (0-based): the
    // census entries (LeakReport::fromSession), then, when a snapshot after
    // the baseline and up to `current` has a heap graph, apply() with the
    // latest such graph and the baseline's (asked from `graphs`, so the
    // window's other clients share them).
    static LeakReport build(const Session &session, const QStringList &files, int baseline, int current,
                            HeapGraphService &graphs, const TaskControl &control = {});
    // The same with a service of its own reading through `reader` (for .lsnap
    // files HeapGraphStore::readArrays): the CLI, which builds one report.
    static LeakReport build(const Session &session, const QStringList &files, int baseline, int current,
                            const HeapGraphArraysReader &reader, const TaskControl &control = {});

    static void apply(LeakReport &report, const HeapGraph &current, const HeapGraph *baseline,
                      const RetainedByType *currentRetained, const RetainedByType *baselineRetained,
                      const TaskControl &control = {});

    // "__main__ globals → _REQUEST_LOG (dict) → HttpRequest": the steps of a
    // chain as a person reads them (a module and its namespace dict are one
    // step; a global is named by its name; attributes by theirs).
    static QStringList describeChain(const HeapGraph &graph, const ReferenceChain &chain);
};

} // namespace leakscope
