#pragma once

#include "core/expected.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <vector>

namespace leakscope {

// A live agent found through its socket.
struct AgentEndpoint
{
    qint64 pid = 0;
    QString socketPath;
    QString python;       // Python version
    QStringList argv;
    QString executable;
    double uptimeSeconds = -1;
    QString error;        // set when the socket exists but hello failed
};

// What a look through the socket directories found: the agents, and the
// directories and sockets refused as unsafe (one sentence each, naming the
// path and the reason).
struct AgentList
{
    std::vector<AgentEndpoint> agents;
    QStringList refused;
};

// Finds the agents of the current user: the sockets "<pid>.sock" in the
// private socket directory (docs/protocol.md, "Client rules"). A directory is
// used only when it is a real directory (not a symbolic link) owned by the
// effective uid with mode 0700; a socket only when it is a socket (not a
// link) owned by the effective uid; AgentClient then checks the peer's uid.
// Stale sockets of processes that no longer exist are removed relative to the
// verified directory's descriptor.
class AgentDiscovery
{
public:
    // The candidate directories, in order: LEAKSCOPE_SOCKET_DIR alone when
    // set; else $XDG_RUNTIME_DIR/leakscope when XDG_RUNTIME_DIR is an absolute
    // path to a writable directory owned by the effective uid (another user's
    // runtime directory is never followed), then /tmp/leakscope-<euid>.
    static QStringList socketDirectories();
    // Ok when dirPath is safe to use (or does not exist: nothing to use);
    // otherwise a sentence naming the directory and why it is refused.
    static Status checkDirectory(const QString &dirPath);
    // The verified socket of pid; empty when there is none. When a directory
    // or the socket itself was refused, *refusal says why.
    static QString socketPathForPid(qint64 pid, QString *refusal = nullptr);
    static bool processAlive(qint64 pid);
    // Lists live agents and asks each for hello (with a short timeout).
    static AgentList list(bool removeStale = true, int helloTimeoutMs = 2000);
};

} // namespace leakscope
