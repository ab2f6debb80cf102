#include "live/agentdiscovery.h"

#include "live/agentclient.h"
#include "live/protocol.h"

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
            const Expected<QJsonObject> reply = AgentClient::call(path, Protocol::hello(), helloTimeoutMs, &peerRefusal);
            if (!peerRefusal.isEmpty()) {
                // Served by another user: not an agent of ours, whatever it says.
                out.refused << peerRefusal;
                continue;
            }
            const Expected<Protocol::Hello> hello =
                reply ? Protocol::parseHello(reply.value(), path) : Expected<Protocol::Hello>::failure(reply.error());
            if (hello) {
                const Protocol::Hello &h = hello.value();
                e.python = h.python;
                e.executable = h.executable;
                e.argv = h.argv;
                e.uptimeSeconds = h.uptime;
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

} // namespace leakscope
