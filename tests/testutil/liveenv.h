#pragma once

// The environment of the tests that run live programs from the window: a
// private socket directory (mode 0700, as the agent requires), autosaves,
// caches and settings inside the test's own directory, and no PYTHONPATH of
// the caller's. Returns false when the socket directory cannot be made.

#include <QDir>
#include <QFile>
#include <QString>

namespace testutil {

inline bool isolateLiveEnvironment(const QString &dir)
{
    const QString sockets = QDir(dir).filePath(QStringLiteral("sockets"));
    if (!QDir().mkpath(sockets))
        return false;
    QFile::setPermissions(sockets, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    qputenv("LEAKSCOPE_SOCKET_DIR", QFile::encodeName(sockets));
    qputenv("LEAKSCOPE_AUTOSAVE_DIR", QFile::encodeName(QDir(dir).filePath(QStringLiteral("autosave"))));
    qputenv("XDG_CACHE_HOME", QFile::encodeName(QDir(dir).filePath(QStringLiteral("cache"))));
    qputenv("XDG_CONFIG_HOME", QFile::encodeName(QDir(dir).filePath(QStringLiteral("config"))));
    qunsetenv("PYTHONPATH");
    return true;
}

} // namespace testutil
