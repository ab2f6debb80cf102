#pragma once

#include "cli/clioutput.h"
#include "core/leakreport.h"
#include "core/session.h"
#include "core/taskcontrol.h"

#include <QStringList>

namespace leakscope {

// `leakscope-cli report`: the leak report (one entry per leak, builtins
// folded under what holds them when the files have heap graphs) as text,
// Markdown, a self-contained HTML page or JSON.
class ReportCommand
{
public:
    static QString usage();
    static int run(const QStringList &arguments, CliOutput &io);

    // The report of `session` from `baseline` to `current` (0-based): census
    // entries, then, when a snapshot up to `current` has a heap graph, the
    // graph's folding, chains and retained growth (graphs read through
    // a HeapGraphService of its own from the snapshots' .lsnap files). The
    // window's Summary calls LeakReportGraph::build with the controller's
    // service instead, sharing the graphs with the other tabs.
    static LeakReport build(const Session &session, const QStringList &files, int baseline, int current,
                            const TaskControl &control = {});
};

} // namespace leakscope
