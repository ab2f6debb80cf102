#pragma once

#include "core/expected.h"

#include <QProcessEnvironment>
#include <QString>

namespace leakscope {

// Where an unpacked copy of the embedded Python agent lives.
struct AgentInstall
{
    QString dir;              // <cache>/leakscope/agent-<hash>
    QString packageParentDir; // holds leakscope_agent/ (goes on PYTHONPATH)
    QString bootDir;          // holds sitecustomize.py (goes first on PYTHONPATH)
    QString hash;             // short SHA-256 of the embedded files
};

// How `leakscope-cli record` (and later the GUI) wants the agent to record.
struct RecordOptions
{
    QString output;      // LEAKSCOPE_RECORD_OUTPUT; absolute path recommended
    double every = 0.0;  // seconds between periodic snapshots; <= 0: start/exit only
    bool collect = true; // gc.collect() before each census
    bool serve = true;   // start the live server in the recorded process
    bool graph = false;  // LEAKSCOPE_RECORD_GRAPH: store the heap graph with every snapshot
    int trace = 0;       // LEAKSCOPE_RECORD_TRACE: tracemalloc frames per traceback; 0 = no tracing
};

// Unpacks the agent compiled into the binary (":/agent/leakscope_agent/*.py")
// into a per-user cache directory, so launching a script with the agent needs
// no PYTHONPATH set-up. The directory name carries a hash of the content: a
// new build gets a new directory, and a directory is only ever published
// complete (written elsewhere, then renamed), so concurrent runs never see
// half-written files.
class AgentInstaller
{
public:
    // $XDG_CACHE_HOME/leakscope, or ~/.cache/leakscope.
    static QString defaultCacheRoot();
    // Short SHA-256 (16 hex digits) over the names and contents of the embedded files.
    static QString embeddedHash();
    // Installs into cacheRoot (defaultCacheRoot() when empty), or reuses an
    // existing install with the right content.
    static Expected<AgentInstall> install(const QString &cacheRoot = QString());

    // base with bootDir and packageParentDir prepended to PYTHONPATH (the
    // user's entries kept after them).
    static QProcessEnvironment pythonEnvironment(const QProcessEnvironment &base, const AgentInstall &install);
    // pythonEnvironment() plus the LEAKSCOPE_RECORD_* and LEAKSCOPE_BOOT_DIR
    // variables that make the first Python process started record.
    static QProcessEnvironment recordEnvironment(const QProcessEnvironment &base, const AgentInstall &install,
                                                 const RecordOptions &options);
};

} // namespace leakscope
