#include "cli/inputfiles.h"

#include "lsnap/snapshotreader.h"

#include <QCoreApplication>

namespace leakscope {

Expected<std::vector<LoadedFile>> InputFiles::readAll(const QStringList &paths)
{
    std::vector<LoadedFile> files;
    files.reserve(size_t(paths.size()));
    for (const QString &path : paths) {
        Expected<LoadedFile> file = SnapshotReader::read(path);
        if (!file)
            return Expected<std::vector<LoadedFile>>::failure(file.error());
        files.push_back(file.take());
    }
    return files;
}

Expected<Session> InputFiles::readSession(const QStringList &paths)
{
    Expected<std::vector<LoadedFile>> files = readAll(paths);
    if (!files)
        return Expected<Session>::failure(files.error());
    Session session;
    for (const LoadedFile &f : files.value()) {
        if (f.snapshots.empty())
            return Expected<Session>::failure(
                f.path + QCoreApplication::translate("InputFiles", ": no snapshots in this file"));
        session.addFile(f);
    }
    return session;
}

} // namespace leakscope
