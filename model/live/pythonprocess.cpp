#include "live/pythonprocess.h"

#include "live/agentdiscovery.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>

#include <algorithm>

#include <unistd.h>

namespace leakscope {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("PythonProcess", text);
}

QByteArray readProcFile(qint64 pid, const char *name, qint64 limit = 1 << 20)
{
    QFile f(QStringLiteral("/proc/%1/%2").arg(pid).arg(QLatin1String(name)));
    if (!f.open(QIODevice::ReadOnly))
        return QByteArray();
    return f.read(limit);
}

// "Uid:\t1000\t1000\t1000\t1000" -> the real uid; "TracerPid:\t0".
qint64 statusField(const QByteArray &status, const QByteArray &key)
{
    for (const QByteArray &line : status.split('\n')) {
        if (!line.startsWith(key))
            continue;
        const QList<QByteArray> fields = line.mid(key.size()).simplified().split(' ');
        bool ok = false;
        const qint64 value = fields.value(0).toLongLong(&ok);
        return ok ? value : -1;
    }
    return -1;
}

double uptimeOf(qint64 pid)
{
    // Field 22 of /proc/PID/stat (after the parenthesised name, which may hold spaces).
    const QByteArray stat = readProcFile(pid, "stat");
    const qsizetype close = stat.lastIndexOf(')');
    if (close < 0)
        return -1;
    const QList<QByteArray> fields = stat.mid(close + 2).split(' ');
    bool ok = false;
    const double startTicks = fields.value(19).toDouble(&ok);
    if (!ok)
        return -1;
    QFile up(QStringLiteral("/proc/uptime"));
    if (!up.open(QIODevice::ReadOnly))
        return -1;
    const double systemUptime = up.readAll().split(' ').value(0).toDouble(&ok);
    const long ticks = ::sysconf(_SC_CLK_TCK);
    if (!ok || ticks <= 0)
        return -1;
    return std::max(0.0, systemUptime - startTicks / double(ticks));
}

qint64 rssOf(qint64 pid)
{
    const QList<QByteArray> fields = readProcFile(pid, "statm").split(' ');
    bool ok = false;
    const qint64 pages = fields.value(1).toLongLong(&ok);
    return ok ? pages * qint64(::sysconf(_SC_PAGESIZE)) : -1;
}

QString libpythonOf(qint64 pid)
{
    const QByteArray maps = readProcFile(pid, "maps", 64 << 20);
    for (const QByteArray &line : maps.split('\n')) {
        const qsizetype slash = line.indexOf('/');
        if (slash < 0)
            continue;
        const QByteArray path = line.mid(slash);
        if (path.contains("/libpython"))
            return QFile::decodeName(path);
    }
    return QString();
}

} // namespace

QString PythonProcess::version() const
{
    return major > 0 ? QStringLiteral("%1.%2").arg(major).arg(minor) : QString();
}

bool PythonProcessScanner::versionFromName(const QString &fileName, int *major, int *minor)
{
    static const QRegularExpression re(QStringLiteral("^(?:lib)?python(\\d)\\.(\\d+)"));
    const QRegularExpressionMatch m = re.match(fileName);
    if (!m.hasMatch())
        return false;
    *major = m.captured(1).toInt();
    *minor = m.captured(2).toInt();
    return true;
}

Expected<PythonProcess> PythonProcessScanner::inspect(qint64 pid)
{
    using R = Expected<PythonProcess>;
    const QByteArray status = readProcFile(pid, "status");
    if (pid <= 0 || status.isEmpty())
        return R::failure(tr("no process with pid %1").arg(pid));
    PythonProcess p;
    p.pid = pid;
    p.uid = statusField(status, "Uid:");
    p.tracerPid = std::max<qint64>(0, statusField(status, "TracerPid:"));
    if (p.uid != qint64(::getuid()))
        return R::failure(tr("process %1 belongs to another user (uid %2): run leakscope-cli as that user "
                             "(e.g. sudo -u '#%2' leakscope-cli attach %1)")
                              .arg(pid)
                              .arg(p.uid));
    p.executable = QFile::symLinkTarget(QStringLiteral("/proc/%1/exe").arg(pid));
    for (const QByteArray &arg : readProcFile(pid, "cmdline").split('\0'))
        p.commandLine << QFile::decodeName(arg);
    while (!p.commandLine.isEmpty() && p.commandLine.last().isEmpty())
        p.commandLine.removeLast();
    // A deleted executable shows as "/usr/bin/python3.11 (deleted)".
    QString exeName = QFileInfo(p.executable).fileName();
    exeName.remove(QStringLiteral(" (deleted)"));
    p.libpython = libpythonOf(pid);
    const bool named = versionFromName(exeName, &p.major, &p.minor)
                       || versionFromName(QFileInfo(p.libpython).fileName(), &p.major, &p.minor);
    if (!named && !exeName.startsWith(QLatin1String("python")) && p.libpython.isEmpty())
        return R::failure(tr("process %1 (%2) is not a Python process").arg(pid).arg(exeName.isEmpty() ? tr("unknown program") : exeName));
    p.uptimeSeconds = uptimeOf(pid);
    p.rss = rssOf(pid);
    p.agentSocket = AgentDiscovery::socketPathForPid(pid);
    return p;
}

std::vector<PythonProcess> PythonProcessScanner::list()
{
    std::vector<PythonProcess> out;
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    const qint64 self = ::getpid();
    for (const QString &name : entries) {
        bool ok = false;
        const qint64 pid = name.toLongLong(&ok);
        if (!ok || pid == self)
            continue;
        Expected<PythonProcess> p = inspect(pid);
        if (p)
            out.push_back(std::move(p.value()));
    }
    std::sort(out.begin(), out.end(), [](const PythonProcess &a, const PythonProcess &b) { return a.pid < b.pid; });
    return out;
}

} // namespace leakscope
