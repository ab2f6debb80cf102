#pragma once

#include "core/expected.h"

#include <QString>
#include <QStringList>

#include <vector>

namespace leakscope {

// A running process that looks like a CPython interpreter, read from /proc:
// what the attach dialog lists and what `leakscope-cli attach` checks first.
struct PythonProcess
{
    qint64 pid = 0;
    qint64 uid = -1;
    QString executable;     // /proc/PID/exe (resolved)
    QStringList commandLine;
    int major = 0;          // 0 when the version could not be read
    int minor = 0;
    QString libpython;      // the mapped libpythonX.Y.so, empty for a static interpreter
    double uptimeSeconds = -1;
    qint64 rss = -1;        // bytes, -1 when unknown
    qint64 tracerPid = 0;   // a debugger already attached (ptrace allows one)
    QString agentSocket;    // the socket of an agent that already serves, if any

    QString version() const;  // "3.11", or empty when unknown
    bool isSupportedVersion() const { return major > 3 || (major == 3 && minor >= 8); }
};

// Reads processes from /proc. Linux only.
class PythonProcessScanner
{
public:
    // The process as it is now; a failure says why it is no Python process
    // we can look at ("no process with pid N", "... is not a Python process").
    static Expected<PythonProcess> inspect(qint64 pid);
    // This user's Python processes (any version), sorted by pid; the caller's
    // own process is left out.
    static std::vector<PythonProcess> list();
    // Parses "python3.11", "libpython3.8.so.1.0", "python3.13t" -> (3, 11); false otherwise.
    static bool versionFromName(const QString &fileName, int *major, int *minor);
};

} // namespace leakscope
