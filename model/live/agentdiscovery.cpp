#include "live/agentdiscovery.h"

#include "live/agentclient.h"

#include <QFile>
#include <QJsonArray>
#include <QLoggingCategory>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

namespace leakscope {

Q_LOGGING_CATEGORY(lcDiscovery, "leakscope.discovery", QtInfoMsg)

namespace {

// Owns one file descriptor.
class Fd
{
public:
    Fd() = default;
    explicit Fd(int fd) : m_fd(fd) {}
    Fd(Fd &&other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
    Fd &operator=(Fd &&other) noexcept
    {
        std::swap(m_fd, other.m_fd);
        return *this;
    }
    Fd(const Fd &) = delete;
    Fd &operator=(const Fd &) = delete;
    ~Fd()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    int get() const { return m_fd; }
    bool valid() const { return m_fd >= 0; }

private:
    int m_fd = -1;
};

QString modeText(mode_t mode)
{
    return QStringLiteral("%1").arg(uint(mode & 07777), 4, 8, QLatin1Char('0'));
}

QString ownerText(uid_t uid)
{
    return QStringLiteral("owned by uid %1, not you (uid %2)").arg(uid).arg(::geteuid());
}

// A socket directory opened without following a symbolic link at its last
// component and checked through the descriptor, so what was checked is what is
// listed and what stale sockets are removed from. Missing: !fd.valid() with
// no refusal.
struct OpenedDirectory
{
    Fd fd;
    QString refusal;
};

OpenedDirectory openSocketDirectory(const QString &path)
{
    OpenedDirectory out;
    const QByteArray native = QFile::encodeName(path);
    auto refuse = [&](const QString &why) {
        out.refusal = QStringLiteral("refusing socket directory %1: %2").arg(path, why);
        return std::move(out);
    };
    struct stat st;
    if (::lstat(native.constData(), &st) != 0) {
        if (errno == ENOENT)
            return out;
        return refuse(QString::fromLocal8Bit(std::strerror(errno)));
    }
    if (S_ISLNK(st.st_mode))
        return refuse(QStringLiteral("is a symbolic link"));
    if (!S_ISDIR(st.st_mode))
        return refuse(QStringLiteral("not a directory"));
    Fd fd(::open(native.constData(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid())
        return refuse(errno == ELOOP ? QStringLiteral("is a symbolic link")
                                     : QString::fromLocal8Bit(std::strerror(errno)));
    // Checked again through the descriptor: the entry may have been swapped
    // since the lstat above.
    if (::fstat(fd.get(), &st) != 0)
        return refuse(QString::fromLocal8Bit(std::strerror(errno)));
    if (!S_ISDIR(st.st_mode))
        return refuse(QStringLiteral("not a directory"));
    if (st.st_uid != ::geteuid())
        return refuse(ownerText(st.st_uid));
    if ((st.st_mode & 07777) != 0700)
        return refuse(QStringLiteral("mode %1, expected 0700").arg(modeText(st.st_mode)));
    out.fd = std::move(fd);
    return out;
}

// Ok when `name` in the verified directory is a socket of ours (not a link);
// ENOENT gives an empty refusal and false.
bool checkSocketEntry(int dirFd, const QString &dirPath, const QString &name, QString *refusal)
{
    struct stat st;
    if (::fstatat(dirFd, QFile::encodeName(name).constData(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno != ENOENT)
            *refusal = QStringLiteral("refusing socket %1/%2: %3")
                           .arg(dirPath, name, QString::fromLocal8Bit(std::strerror(errno)));
        return false;
    }
    QString why;
    if (S_ISLNK(st.st_mode))
        why = QStringLiteral("is a symbolic link");
    else if (!S_ISSOCK(st.st_mode))
        why = QStringLiteral("not a socket");
    else if (st.st_uid != ::geteuid())
        why = ownerText(st.st_uid);
    if (!why.isEmpty()) {
        *refusal = QStringLiteral("refusing socket %1/%2: %3").arg(dirPath, name, why);
        return false;
    }
    return true;
}

// "<pid>.sock" with a positive decimal pid, else 0.
qint64 pidOfSocketName(const QString &name)
{
    if (!name.endsWith(QLatin1String(".sock")) || name.size() < 6)
        return 0;
    const QString digits = name.chopped(5);
    for (const QChar c : digits)
        if (c < QLatin1Char('0') || c > QLatin1Char('9'))
            return 0;
    bool ok = false;
    const qint64 pid = digits.toLongLong(&ok);
    return ok && pid > 0 && pid <= std::numeric_limits<pid_t>::max() ? pid : 0;
}

} // namespace

QStringList AgentDiscovery::socketDirectories()
{
    const QString forced = qEnvironmentVariable("LEAKSCOPE_SOCKET_DIR");
    if (!forced.isEmpty())
        return {forced};
    QStringList dirs;
    const QString runtime = qEnvironmentVariable("XDG_RUNTIME_DIR");
    if (runtime.startsWith(QLatin1Char('/'))) {
        // The agent's rule (resources/python/leakscope_agent/_server.py): a
        // runtime directory of another user (sudo keeps XDG_RUNTIME_DIR) is
        // never used, whatever it holds.
        const QByteArray native = QFile::encodeName(runtime);
        struct stat st;
        if (::stat(native.constData(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == ::geteuid()
            && ::access(native.constData(), W_OK | X_OK) == 0)
            dirs << runtime + QStringLiteral("/leakscope");
        else
            qCDebug(lcDiscovery) << "not using XDG_RUNTIME_DIR" << runtime << "(not a directory of ours)";
    }
    dirs << QStringLiteral("/tmp/leakscope-%1").arg(::geteuid());
    return dirs;
}

Status AgentDiscovery::checkDirectory(const QString &dirPath)
{
    const OpenedDirectory dir = openSocketDirectory(dirPath);
    return dir.refusal.isEmpty() ? Status() : Status::failure(dir.refusal);
}

bool AgentDiscovery::processAlive(qint64 pid)
{
    if (pid <= 0 || pid > std::numeric_limits<pid_t>::max())
        return false;
    return ::kill(pid_t(pid), 0) == 0 || errno == EPERM;
}

QString AgentDiscovery::socketPathForPid(qint64 pid, QString *refusal)
{
    QStringList refused;
    QString found;
    const QString name = QStringLiteral("%1.sock").arg(pid);
    for (const QString &dirPath : socketDirectories()) {
        const OpenedDirectory dir = openSocketDirectory(dirPath);
        if (!dir.refusal.isEmpty())
            refused << dir.refusal;
        if (!dir.fd.valid())
            continue;
        QString why;
        if (checkSocketEntry(dir.fd.get(), dirPath, name, &why)) {
            found = dirPath + QLatin1Char('/') + name;
            break;
        }
        if (!why.isEmpty())
            refused << why;
    }
    if (refusal)
        *refusal = found.isEmpty() ? refused.join(QStringLiteral("; ")) : QString();
    return found;
}

AgentList AgentDiscovery::list(bool removeStale, int helloTimeoutMs)
{
    AgentList out;
    for (const QString &dirPath : socketDirectories()) {
        const OpenedDirectory dir = openSocketDirectory(dirPath);
        if (!dir.refusal.isEmpty()) {
            qCDebug(lcDiscovery) << dir.refusal;
            out.refused << dir.refusal;
        }
        if (!dir.fd.valid())
            continue;
        // readdir on a duplicate: closedir closes it, dir.fd stays for fstatat/unlinkat.
        DIR *stream = ::fdopendir(::fcntl(dir.fd.get(), F_DUPFD_CLOEXEC, 0));
        if (!stream) {
            out.refused << QStringLiteral("cannot list %1: %2").arg(dirPath, QString::fromLocal8Bit(std::strerror(errno)));
            continue;
        }
        QStringList names;
        while (const dirent *entry = ::readdir(stream)) {
            const QString name = QFile::decodeName(entry->d_name);
            if (pidOfSocketName(name) > 0)
                names << name;
        }
        ::closedir(stream);
        for (const QString &name : names) {
            const qint64 pid = pidOfSocketName(name);
            QString why;
            if (!checkSocketEntry(dir.fd.get(), dirPath, name, &why)) {
                if (!why.isEmpty())
                    out.refused << why;
                continue;
            }
            const QString path = dirPath + QLatin1Char('/') + name;
            if (!processAlive(pid)) {
                if (removeStale) {
                    // Relative to the verified directory: a symbolic link
                    // swapped in at dirPath cannot redirect this.
                    qCDebug(lcDiscovery) << "removing stale socket" << path;
                    ::unlinkat(dir.fd.get(), QFile::encodeName(name).constData(), 0);
                }
                continue;
            }
            AgentEndpoint e;
            e.pid = pid;
            e.socketPath = path;
            QString peerRefusal;
            const Expected<QJsonObject> hello =
                AgentClient::call(path, QStringLiteral("hello"), {}, helloTimeoutMs, &peerRefusal);
            if (!peerRefusal.isEmpty()) {
                // Served by another user: not an agent of ours, whatever it says.
                out.refused << peerRefusal;
                continue;
            }
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
            out.agents.push_back(std::move(e));
        }
    }
    std::sort(out.agents.begin(), out.agents.end(),
              [](const AgentEndpoint &a, const AgentEndpoint &b) { return a.pid < b.pid; });
    return out;
}

namespace {

// A JSON number that is a whole number a double holds exactly.
bool isWholeNumber(const QJsonValue &v)
{
    if (!v.isDouble())
        return false;
    const double d = v.toDouble();
    return std::isfinite(d) && d == std::floor(d) && std::fabs(d) <= 9007199254740992.0;
}

} // namespace

Expected<LiveSnapshot> snapshotFromCensus(const QJsonObject &result, const QString &source)
{
    using R = Expected<LiveSnapshot>;
    auto bad = [&](const QString &what) { return R::failure(QStringLiteral("%1: %2").arg(source, what)); };
    const QJsonValue typesValue = result.value(QStringLiteral("types"));
    if (!typesValue.isArray())
        return bad(QStringLiteral("census reply without a type list"));
    // Optional fields, when present, must have their documented types
    // (docs/protocol.md, "census"); null stands for "unknown".
    auto optionalNumber = [&](const char *key, bool whole) {
        const QJsonValue v = result.value(QLatin1String(key));
        return v.isUndefined() || v.isNull() || (whole ? isWholeNumber(v) : (v.isDouble() && std::isfinite(v.toDouble())));
    };
    for (const char *key : {"pid", "rss", "gc_objects", "gc_garbage"})
        if (!optionalNumber(key, true))
            return bad(QStringLiteral("census field '%1' is not a whole number").arg(QLatin1String(key)));
    if (!optionalNumber("taken_at", false))
        return bad(QStringLiteral("census field 'taken_at' is not a number"));
    const QJsonValue metaValue = result.value(QStringLiteral("meta"));
    if (!metaValue.isUndefined() && !metaValue.isNull() && !metaValue.isObject())
        return bad(QStringLiteral("census field 'meta' is not an object"));
    const QJsonObject meta = metaValue.toObject();
    const QJsonValue argvValue = meta.value(QStringLiteral("argv"));
    if (!argvValue.isUndefined() && !argvValue.isNull()) {
        if (!argvValue.isArray())
            return bad(QStringLiteral("census field 'meta.argv' is not a list"));
        for (const QJsonValue &a : argvValue.toArray())
            if (!a.isString())
                return bad(QStringLiteral("census field 'meta.argv' holds something other than strings"));
    }
    const QJsonValue pythonValue = meta.value(QStringLiteral("python"));
    if (!pythonValue.isUndefined() && !pythonValue.isNull() && !pythonValue.isString())
        return bad(QStringLiteral("census field 'meta.python' is not a string"));

    LiveSnapshot live;
    Snapshot &s = live.snapshot;
    const double takenAt = result.value(QStringLiteral("taken_at")).toDouble(std::nan(""));
    if (std::isfinite(takenAt) && std::fabs(takenAt) < 1e11)
        s.info.takenAt = QDateTime::fromMSecsSinceEpoch(qint64(std::llround(takenAt * 1000.0)), Qt::UTC);
    s.info.pid = result.value(QStringLiteral("pid")).toInteger(0);
    s.info.rss = result.value(QStringLiteral("rss")).toInteger(-1);
    s.info.gcObjects = result.value(QStringLiteral("gc_objects")).toInteger(-1);
    s.info.gcGarbage = result.value(QStringLiteral("gc_garbage")).toInteger(-1);
    s.info.meta = meta;
    s.info.meta.insert(QStringLiteral("origin"), QStringLiteral("live"));
    s.info.pythonVersion = pythonValue.toString();
    for (const QJsonValue &a : argvValue.toArray())
        s.info.argv << a.toString();
    s.info.origin = SnapshotOrigin::Live;
    s.info.sourceFile = source;

    const QJsonArray types = typesValue.toArray();
    s.stats.reserve(size_t(types.size()));
    for (const QJsonValue &v : types) {
        if (!v.isArray())
            return bad(QStringLiteral("malformed census row"));
        const QJsonArray row = v.toArray();
        if (row.size() < 2 || row.size() > 3 || !row.at(0).isString() || !isWholeNumber(row.at(1))
            || (row.size() > 2 && !isWholeNumber(row.at(2))))
            return bad(QStringLiteral("malformed census row"));
        const qint64 count = row.at(1).toInteger(-1);
        const qint64 size = row.size() > 2 ? row.at(2).toInteger(-1) : 0;
        if (count < 0 || size < 0)
            return bad(QStringLiteral("negative count in census"));
        s.stats.push_back(TypeStat{live.types.intern(row.at(0).toString()), count, size});
    }
    std::sort(s.stats.begin(), s.stats.end(), [](const TypeStat &a, const TypeStat &b) { return a.type < b.type; });
    const auto dup = std::adjacent_find(s.stats.begin(), s.stats.end(),
                                        [](const TypeStat &a, const TypeStat &b) { return a.type == b.type; });
    if (dup != s.stats.end())
        return bad(QStringLiteral("census lists a type twice"));
    return live;
}

Expected<qint64> snapshotIdFromGraphDump(const QJsonObject &result, const QString &path, const QString &source)
{
    using R = Expected<qint64>;
    const QJsonValue idValue = result.value(QStringLiteral("snapshot_id"));
    if (!isWholeNumber(idValue) || idValue.toDouble() < 1)
        return R::failure(QStringLiteral("%1: the reply to graph_dump has no valid snapshot_id; nothing is known to "
                                         "be written to %2")
                              .arg(source, path));
    const QJsonValue pathValue = result.value(QStringLiteral("path"));
    if (!pathValue.isUndefined() && (!pathValue.isString() || pathValue.toString() != path))
        return R::failure(QStringLiteral("%1: the reply to graph_dump names another file than %2").arg(source, path));
    return qint64(idValue.toDouble());
}

} // namespace leakscope
