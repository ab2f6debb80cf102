#include "gui/examplesession.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QSaveFile>
#include <QStandardPaths>

namespace leakscope {

Expected<QString> exampleSessionPath()
{
    const QString resource = QStringLiteral(":/examples/demo-session.lsnap");
    QFile in(resource);
    if (!in.open(QIODevice::ReadOnly))
        return Expected<QString>::failure(
            QCoreApplication::translate("leakscope", "The example session is not part of this build (%1 missing)").arg(resource));
    const QByteArray data = in.readAll();

    QString dir = QStandardPaths::writableLocation(QStandardPaths::CacheLocation);
    if (dir.isEmpty())
        dir = QDir::tempPath();
    if (!QDir().mkpath(dir))
        return Expected<QString>::failure(
            QCoreApplication::translate("leakscope", "%1: cannot create the directory for the example session").arg(dir));
    const QString path = QDir(dir).filePath(QStringLiteral("demo-session.lsnap"));
    QFile existing(path);
    if (existing.open(QIODevice::ReadOnly) && existing.readAll() == data)
        return path;
    existing.close();
    QSaveFile out(path);
    if (!out.open(QIODevice::WriteOnly) || out.write(data) != data.size() || !out.commit())
        return Expected<QString>::failure(
            QCoreApplication::translate("leakscope", "%1: cannot write the example session: %2").arg(path, out.errorString()));
    return path;
}

} // namespace leakscope
