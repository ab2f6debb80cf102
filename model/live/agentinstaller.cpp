#include "live/agentinstaller.h"

#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QCoreApplication>
#include <QTemporaryDir>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcAgentInstaller, "leakscope.agent.installer", QtWarningMsg)

namespace leakscope {

namespace {

const QString s_resourceDir = QStringLiteral(":/agent/leakscope_agent");
const QString s_bootSource = QStringLiteral("_sitecustomize.py");

struct EmbeddedFile
{
    QString name;
    QByteArray content;
};

std::vector<EmbeddedFile> embeddedFiles()
{
    std::vector<EmbeddedFile> files;
    // The .py files, the .lsnap schema and the native module built for each
    // Python (*.so).
    QDirIterator it(s_resourceDir, {QStringLiteral("*.py"), QStringLiteral("*.sql"), QStringLiteral("*.so")}, QDir::Files);
    while (it.hasNext()) {
        it.next();
        QFile f(it.filePath());
        if (!f.open(QIODevice::ReadOnly))
            continue;
        files.push_back({it.fileName(), f.readAll()});
    }
    std::sort(files.begin(), files.end(), [](const EmbeddedFile &a, const EmbeddedFile &b) { return a.name < b.name; });
    return files;
}

QString hashOf(const std::vector<EmbeddedFile> &files)
{
    QCryptographicHash h(QCryptographicHash::Sha256);
    for (const EmbeddedFile &f : files) {
        h.addData(f.name.toUtf8());
        h.addData(QByteArrayView("\0", 1));
        h.addData(QByteArray::number(f.content.size()));
        h.addData(QByteArrayView("\0", 1));
        h.addData(f.content);
    }
    return QString::fromLatin1(h.result().toHex().left(16));
}

const QByteArray *bootContent(const std::vector<EmbeddedFile> &files)
{
    for (const EmbeddedFile &f : files)
        if (f.name == s_bootSource)
            return &f.content;
    return nullptr;
}

bool sameContent(const QString &path, const QByteArray &content)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return false;
    return f.size() == content.size() && f.readAll() == content;
}

// A reusable install is a real directory of ours (not a symlink someone
// planted) holding exactly the embedded bytes; extra files such as
// __pycache__ are fine.
bool isValidInstall(const QString &dir, const std::vector<EmbeddedFile> &files)
{
    struct stat st;
    if (::lstat(QFile::encodeName(dir).constData(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::getuid())
        return false;
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
        return false;
    for (const EmbeddedFile &f : files)
        if (!sameContent(dir + QStringLiteral("/leakscope_agent/") + f.name, f.content))
            return false;
    const QByteArray *boot = bootContent(files);
    return boot && sameContent(dir + QStringLiteral("/boot/sitecustomize.py"), *boot);
}

QString errnoText(int error)
{
    return QString::fromLocal8Bit(std::strerror(error));
}

bool writeFile(const QString &path, const QByteArray &content, QString *error)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(content) != content.size()) {
        *error = path + QStringLiteral(": ") + f.errorString();
        return false;
    }
    f.close();
    return true;
}

const QFile::Permissions s_privateDir = QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner;

} // namespace

QString AgentInstaller::defaultCacheRoot()
{
    QString base = qEnvironmentVariable("XDG_CACHE_HOME");
    if (base.isEmpty() || !QDir::isAbsolutePath(base))
        base = QDir::homePath() + QStringLiteral("/.cache");
    return base + QStringLiteral("/leakscope");
}

QString AgentInstaller::embeddedHash()
{
    return hashOf(embeddedFiles());
}

Expected<AgentInstall> AgentInstaller::install(const QString &cacheRoot)
{
    const QString root = QDir::cleanPath(cacheRoot.isEmpty() ? defaultCacheRoot() : cacheRoot);
    const std::vector<EmbeddedFile> files = embeddedFiles();
    const QByteArray *boot = bootContent(files);
    if (!boot)
        return Expected<AgentInstall>::failure(
            QCoreApplication::translate("AgentInstaller", "the embedded agent has no %1 (was it built without the agent?)")
                .arg(s_bootSource));

    AgentInstall result;
    result.hash = hashOf(files);
    result.dir = root + QStringLiteral("/agent-") + result.hash;
    result.packageParentDir = result.dir;
    result.bootDir = result.dir + QStringLiteral("/boot");

    if (isValidInstall(result.dir, files))
        return result;

    if (!QFileInfo::exists(root)) {
        if (!QDir().mkpath(root))
            return Expected<AgentInstall>::failure(
                root + QCoreApplication::translate("AgentInstaller", ": cannot create the agent cache directory"));
        QFile::setPermissions(root, s_privateDir);
    }

    QTemporaryDir tmp(root + QStringLiteral("/agent-") + result.hash + QStringLiteral(".tmp-XXXXXX"));
    if (!tmp.isValid())
        return Expected<AgentInstall>::failure(
            root + QCoreApplication::translate("AgentInstaller", ": cannot create a temporary directory (%1)").arg(tmp.errorString()));
    const QString pkgDir = tmp.path() + QStringLiteral("/leakscope_agent");
    const QString bootDir = tmp.path() + QStringLiteral("/boot");
    QDir tmpDir(tmp.path());
    if (!tmpDir.mkdir(QStringLiteral("leakscope_agent"), s_privateDir) || !tmpDir.mkdir(QStringLiteral("boot"), s_privateDir))
        return Expected<AgentInstall>::failure(
            tmp.path() + QCoreApplication::translate("AgentInstaller", ": cannot create the agent directories"));
    QString error;
    for (const EmbeddedFile &f : files) {
        const QString path = pkgDir + QLatin1Char('/') + f.name;
        if (!writeFile(path, f.content, &error))
            return Expected<AgentInstall>::failure(error);
        // Code the examined program will map: readable and writable by us alone.
        if (f.name.endsWith(QLatin1String(".so")) && !QFile::setPermissions(path, QFile::ReadOwner | QFile::WriteOwner))
            return Expected<AgentInstall>::failure(path + QCoreApplication::translate("AgentInstaller", ": cannot set permissions"));
    }
    if (!writeFile(bootDir + QStringLiteral("/sitecustomize.py"), *boot, &error))
        return Expected<AgentInstall>::failure(error);
    QFile::setPermissions(tmp.path(), s_privateDir);

    // A directory with the right name but the wrong content (an interrupted
    // older build, tampering) is moved aside first: rename() cannot replace a
    // non-empty directory.
    if (QFileInfo::exists(result.dir) || QFileInfo(result.dir).isSymLink()) {
        const QString stale = result.dir + QStringLiteral(".stale-") + QString::number(::getpid());
        if (::rename(QFile::encodeName(result.dir).constData(), QFile::encodeName(stale).constData()) == 0) {
            qCInfo(lcAgentInstaller) << "replacing a damaged agent install" << result.dir;
            QFileInfo staleInfo(stale);
            if (staleInfo.isSymLink())
                QFile::remove(stale);
            else
                QDir(stale).removeRecursively();
        }
    }
    if (::rename(QFile::encodeName(tmp.path()).constData(), QFile::encodeName(result.dir).constData()) != 0) {
        const int e = errno;
        // Another process may have published the same content a moment ago.
        if (isValidInstall(result.dir, files))
            return result;
        return Expected<AgentInstall>::failure(
            result.dir + QCoreApplication::translate("AgentInstaller", ": cannot install the agent (%1)").arg(errnoText(e)));
    }
    tmp.setAutoRemove(false);
    qCDebug(lcAgentInstaller) << "installed agent into" << result.dir;
    return result;
}

QProcessEnvironment AgentInstaller::pythonEnvironment(const QProcessEnvironment &base, const AgentInstall &install)
{
    QProcessEnvironment env = base;
    QString path = install.bootDir + QLatin1Char(':') + install.packageParentDir;
    const QString existing = base.value(QStringLiteral("PYTHONPATH"));
    // An empty PYTHONPATH entry would mean "the current directory": only keep a real one.
    if (!existing.isEmpty())
        path += QLatin1Char(':') + existing;
    env.insert(QStringLiteral("PYTHONPATH"), path);
    return env;
}

QProcessEnvironment AgentInstaller::recordEnvironment(const QProcessEnvironment &base, const AgentInstall &install,
                                                      const RecordOptions &options)
{
    QProcessEnvironment env = pythonEnvironment(base, install);
    // Never inherit a half configuration from an outer recording.
    const QStringList keys = env.keys();
    for (const QString &key : keys)
        if (key.startsWith(QLatin1String("LEAKSCOPE_RECORD_")))
            env.remove(key);
    env.insert(QStringLiteral("LEAKSCOPE_RECORD_OUTPUT"), options.output);
    if (options.every > 0)
        env.insert(QStringLiteral("LEAKSCOPE_RECORD_EVERY"), QString::number(options.every, 'g', 10));
    env.insert(QStringLiteral("LEAKSCOPE_RECORD_COLLECT"), options.collect ? QStringLiteral("1") : QStringLiteral("0"));
    env.insert(QStringLiteral("LEAKSCOPE_RECORD_SERVE"), options.serve ? QStringLiteral("1") : QStringLiteral("0"));
    if (options.graph)
        env.insert(QStringLiteral("LEAKSCOPE_RECORD_GRAPH"), QStringLiteral("1"));
    if (options.trace > 0)
        env.insert(QStringLiteral("LEAKSCOPE_RECORD_TRACE"), QString::number(options.trace));
    env.insert(QStringLiteral("LEAKSCOPE_BOOT_DIR"), install.bootDir);
    return env;
}

} // namespace leakscope
