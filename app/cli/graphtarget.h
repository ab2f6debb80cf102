#pragma once

#include "cli/commandline.h"
#include "core/expected.h"
#include "heapgraph/heapgraph.h"

#include <QString>

#include <optional>
#include <vector>

namespace leakscope {

// A snapshot's heap graph read from a .lsnap file, for chain, backrefs and
// retained.
struct LoadedGraph
{
    QString path;
    int index = 0;     // 0-based index of the snapshot in the file
    qint64 id = 0;     // its id in the file
    QString label;
    HeapGraph graph;
    // The baseline's graph, when it has one and is another snapshot: its ids
    // tell which instances are new (as the window's References tab does).
    std::optional<HeapGraph> baseline;
    int baselineIndex = 0; // 0-based
    QString baselineNote;  // why there is no baseline graph, if there is none

    // The instances of `type` new since the baseline (all of them without a
    // baseline graph); *fresh says whether any is new.
    std::vector<quint32> newInstances(qint32 type, bool *fresh) const;
    // "new since snapshot N" / "present at snapshot N" / "" for one node.
    QString age(quint32 node) const;
};

// What chain and backrefs look at: FILE [--snapshot N], or --pid PID
// [--timeout S]; and --type NAME.
struct GraphTarget
{
    QString file;
    qint64 pid = 0;
    QString type;
    qint64 snapshot = -1; // 0-based; -1: the last with a heap graph
    int baseline = 0;     // 0-based
    bool baselineGiven = false;
    int timeoutMs = s_defaultLiveTimeoutSeconds * 1000;

    // How long chain and backrefs wait for a live agent's answer by default.
    static constexpr int s_defaultLiveTimeoutSeconds = 60;

    // Declares --pid, --type, --snapshot, --baseline and --timeout.
    static void declare(CommandLine &line);
    static std::optional<GraphTarget> fromCommandLine(const CommandLine &line, const char *command, QString *error);

    // The graph of snapshot `index` (0-based; -1: the last snapshot that has
    // one), and the graph of snapshot `baseline` (0-based; -1: none).
    static Expected<LoadedGraph> load(const QString &path, qint64 index, int baseline = -1);
    // "FILE, snapshot N ("label")", escaped for the terminal.
    static QString describe(const LoadedGraph &g);
    // The type's id, or an error that suggests close names.
    static Expected<qint32> findType(const LoadedGraph &g, const QString &name);
};

} // namespace leakscope
