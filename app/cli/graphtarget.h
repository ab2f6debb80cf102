#pragma once

#include "cli/commandline.h"
#include "core/expected.h"
#include "heapgraph/heapgraph.h"

#include <QString>

#include <optional>

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
};

// What chain and backrefs look at: FILE [--snapshot N], or --pid PID
// [--timeout S]; and --type NAME.
struct GraphTarget
{
    QString file;
    qint64 pid = 0;
    QString type;
    qint64 snapshot = -1;
    int timeoutMs = s_defaultLiveTimeoutSeconds * 1000;

    // How long chain and backrefs wait for a live agent's answer by default.
    static constexpr int s_defaultLiveTimeoutSeconds = 60;

    // Declares --pid, --type, --snapshot and --timeout.
    static void declare(CommandLine &line);
    static std::optional<GraphTarget> fromCommandLine(const CommandLine &line, const char *command, QString *error);

    // The graph of snapshot `index` (-1: the last snapshot that has one).
    static Expected<LoadedGraph> load(const QString &path, qint64 index);
    // "FILE, snapshot N ("label")", escaped for the terminal.
    static QString describe(const LoadedGraph &g);
    // The type's id, or an error that suggests close names.
    static Expected<qint32> findType(const LoadedGraph &g, const QString &name);
};

} // namespace leakscope
