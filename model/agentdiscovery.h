#pragma once

#include "expected.h"
#include "snapshot.h"
#include "typeregistry.h"

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

// Finds the agents of the current user: the sockets "<pid>.sock" in the
// private socket directory (docs/protocol.md), skipping and removing the stale
// sockets of processes that no longer exist.
class AgentDiscovery
{
public:
    // LEAKSCOPE_SOCKET_DIR, else $XDG_RUNTIME_DIR/leakscope, else /tmp/leakscope-<uid>.
    static QStringList socketDirectories();
    static QString socketPathForPid(qint64 pid); // empty when no socket exists
    static bool processAlive(qint64 pid);
    // Lists live agents and asks each for hello (with a short timeout).
    static std::vector<AgentEndpoint> list(bool removeStale = true, int helloTimeoutMs = 2000);
};

// A census reply (op "census") turned into a snapshot with its own registry.
struct LiveSnapshot
{
    TypeRegistry types;
    Snapshot snapshot;
};

Expected<LiveSnapshot> snapshotFromCensus(const QJsonObject &result, const QString &source);

} // namespace leakscope
