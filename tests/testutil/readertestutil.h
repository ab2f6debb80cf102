#pragma once

// Helpers shared by the reader/writer tests: running real Python processes
// and checking that files were left alone.

#include <QByteArray>
#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTest>

#include <unistd.h>

namespace readertest {

struct ProcessResult
{
    bool finished = false;
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

inline ProcessResult runProcess(const QString &program, const QStringList &arguments, int timeoutMs = 60000)
{
    ProcessResult result;
    QProcess process;
    process.start(program, arguments);
    if (!process.waitForStarted(timeoutMs)) {
        result.err = process.errorString().toUtf8();
        return result;
    }
    result.finished = process.waitForFinished(timeoutMs);
    if (!result.finished) {
        process.kill();
        process.waitForFinished(5000);
    }
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.out = process.readAllStandardOutput();
    result.err = process.readAllStandardError();
    return result;
}

inline QString dataFile(const char *name)
{
    return QStringLiteral(LEAKSCOPE_SOURCE_DIR "/tests/data/reader/") + QLatin1String(name);
}

inline QString agentPath()
{
    return QStringLiteral(LEAKSCOPE_SOURCE_DIR "/resources/python");
}

inline QByteArray readBytes(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return QByteArray();
    return f.readAll();
}

inline bool writeBytes(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(bytes) == bytes.size();
}

// SQLite's side files that a reader must never leave behind.
inline QStringList sideFiles(const QString &path)
{
    QStringList found;
    for (const char *suffix : {"-journal", "-wal", "-shm"}) {
        if (QFileInfo::exists(path + QLatin1String(suffix)))
            found.append(path + QLatin1String(suffix));
    }
    return found;
}

// Bytes and modification time of a file, to show a reader left it alone.
struct FileState
{
    bool exists = false;
    QByteArray bytes;
    QDateTime modified;
    bool operator==(const FileState &o) const
    {
        return exists == o.exists && bytes == o.bytes && modified == o.modified;
    }
};

inline FileState fileState(const QString &path)
{
    FileState s;
    const QFileInfo info(path);
    s.exists = info.exists();
    if (s.exists && info.isFile()) {
        s.bytes = readBytes(path);
        s.modified = info.lastModified();
    }
    return s;
}

inline bool runningAsRoot()
{
    return ::geteuid() == 0;
}

} // namespace readertest
