#include "cli/agenttarget.h"

#include "cli/textformat.h"
#include "live/agentdiscovery.h"

#include <QCoreApplication>

#include <limits>

namespace leakscope {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("Cli", text);
}

} // namespace

Expected<qint64> AgentTarget::parsePid(const QString &text, const QString &who)
{
    bool ok = false;
    const qint64 pid = text.toLongLong(&ok);
    if (!ok || pid <= 0 || pid > std::numeric_limits<int>::max())
        return Expected<qint64>::failure(tr("%1 needs a process id, not '%2'").arg(who, TextFormat::escape(text)));
    return pid;
}

Expected<QString> AgentTarget::socketOf(qint64 pid)
{
    QString refusal;
    const QString socket = AgentDiscovery::socketPathForPid(pid, &refusal);
    if (!AgentDiscovery::processAlive(pid))
        return Expected<QString>::failure(tr("no process with pid %1").arg(pid));
    if (socket.isEmpty())
        return Expected<QString>::failure(refusal.isEmpty()
                                              ? tr("process %1 has no Leakscope agent serving").arg(pid)
                                              : tr("process %1: %2").arg(pid).arg(refusal));
    return socket;
}

} // namespace leakscope
