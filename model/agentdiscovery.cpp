#include "agentdiscovery.h"

#include "agentclient.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QLoggingCategory>

#include <algorithm>
#include <cerrno>
#include <cmath>

#include <signal.h>
#include <unistd.h>

namespace leakscope {

Q_LOGGING_CATEGORY(lcDiscovery, "leakscope.discovery", QtInfoMsg)

QStringList AgentDiscovery::socketDirectories()
{
    const QString forced = qEnvironmentVariable("LEAKSCOPE_SOCKET_DIR");
    if (!forced.isEmpty())
        return {forced};
    QStringList dirs;
    const QString runtime = qEnvironmentVariable("XDG_RUNTIME_DIR");
    if (!runtime.isEmpty())
        dirs << runtime + QStringLiteral("/leakscope");
    dirs << QStringLiteral("/tmp/leakscope-%1").arg(::getuid());
    return dirs;
}

bool AgentDiscovery::processAlive(qint64 pid)
{
    if (pid <= 0)
        return false;
    return ::kill(pid_t(pid), 0) == 0 || errno == EPERM;
}

QString AgentDiscovery::socketPathForPid(qint64 pid)
{
    for (const QString &dir : socketDirectories()) {
        const QString path = dir + QStringLiteral("/%1.sock").arg(pid);
        if (QFileInfo::exists(path))
            return path;
    }
    return QString();
}

std::vector<AgentEndpoint> AgentDiscovery::list(bool removeStale, int helloTimeoutMs)
{
    std::vector<AgentEndpoint> out;
    for (const QString &dirPath : socketDirectories()) {
        const QDir dir(dirPath);
        const QStringList names = dir.entryList({QStringLiteral("*.sock")}, QDir::System | QDir::Files);
        for (const QString &name : names) {
            bool ok = false;
            const qint64 pid = name.chopped(5).toLongLong(&ok);
            if (!ok || pid <= 0)
                continue;
            const QString path = dir.filePath(name);
            if (!processAlive(pid)) {
                if (removeStale) {
                    qCDebug(lcDiscovery) << "removing stale socket" << path;
                    QFile::remove(path);
                }
                continue;
            }
            AgentEndpoint e;
            e.pid = pid;
            e.socketPath = path;
            const Expected<QJsonObject> hello = AgentClient::call(path, QStringLiteral("hello"), {}, helloTimeoutMs);
            if (hello) {
                const QJsonObject &h = hello.value();
                e.python = h.value(QStringLiteral("python")).toString();
                e.executable = h.value(QStringLiteral("executable")).toString();
                for (const QJsonValue &a : h.value(QStringLiteral("argv")).toArray())
                    e.argv << a.toString();
                e.uptimeSeconds = h.value(QStringLiteral("uptime")).toDouble(-1);
            } else {
                e.error = hello.error();
            }
            out.push_back(std::move(e));
        }
    }
    std::sort(out.begin(), out.end(), [](const AgentEndpoint &a, const AgentEndpoint &b) { return a.pid < b.pid; });
    return out;
}

Expected<LiveSnapshot> snapshotFromCensus(const QJsonObject &result, const QString &source)
{
    using R = Expected<LiveSnapshot>;
    const QJsonValue typesValue = result.value(QStringLiteral("types"));
    if (!typesValue.isArray())
        return R::failure(QStringLiteral("%1: census reply without a type list").arg(source));
    LiveSnapshot live;
    Snapshot &s = live.snapshot;
    const double takenAt = result.value(QStringLiteral("taken_at")).toDouble(std::nan(""));
    if (std::isfinite(takenAt))
        s.info.takenAt = QDateTime::fromMSecsSinceEpoch(qint64(std::llround(takenAt * 1000.0)), Qt::UTC);
    s.info.pid = result.value(QStringLiteral("pid")).toInteger(0);
    s.info.rss = result.value(QStringLiteral("rss")).toInteger(-1);
    s.info.gcObjects = result.value(QStringLiteral("gc_objects")).toInteger(-1);
    s.info.gcGarbage = result.value(QStringLiteral("gc_garbage")).toInteger(-1);
    s.info.meta = result.value(QStringLiteral("meta")).toObject();
    s.info.meta.insert(QStringLiteral("origin"), QStringLiteral("live"));
    s.info.pythonVersion = s.info.meta.value(QStringLiteral("python")).toString();
    for (const QJsonValue &a : s.info.meta.value(QStringLiteral("argv")).toArray())
        s.info.argv << a.toString();
    s.info.origin = SnapshotOrigin::Live;
    s.info.sourceFile = source;

    const QJsonArray types = typesValue.toArray();
    s.stats.reserve(size_t(types.size()));
    for (const QJsonValue &v : types) {
        const QJsonArray row = v.toArray();
        if (row.size() < 2 || !row.at(0).isString() || !row.at(1).isDouble())
            return R::failure(QStringLiteral("%1: malformed census row").arg(source));
        const qint64 count = row.at(1).toInteger(-1);
        const qint64 size = row.size() > 2 ? row.at(2).toInteger(0) : 0;
        if (count < 0 || size < 0)
            return R::failure(QStringLiteral("%1: negative count in census").arg(source));
        s.stats.push_back(TypeStat{live.types.intern(row.at(0).toString()), count, size});
    }
    std::sort(s.stats.begin(), s.stats.end(), [](const TypeStat &a, const TypeStat &b) { return a.type < b.type; });
    const auto dup = std::adjacent_find(s.stats.begin(), s.stats.end(),
                                        [](const TypeStat &a, const TypeStat &b) { return a.type == b.type; });
    if (dup != s.stats.end())
        return R::failure(QStringLiteral("%1: census lists a type twice").arg(source));
    return live;
}

} // namespace leakscope
