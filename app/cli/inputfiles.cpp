#include "cli/inputfiles.h"

#include "lsnap/snapshotreader.h"

#include <QCoreApplication>

namespace leakscope {

Expected<std::vector<LoadedFile>> InputFiles::readAll(const QStringList &paths, bool totalsOnly)
{
    std::vector<LoadedFile> files;
    files.reserve(size_t(paths.size()));
    for (const QString &path : paths) {
        Expected<LoadedFile> file = SnapshotReader::read(
            path, {}, nullptr, SnapshotReader::Content{!totalsOnly, !totalsOnly});
        if (!file)
            return Expected<std::vector<LoadedFile>>::failure(file.error());
        files.push_back(file.take());
    }
    return files;
}

Expected<Session> InputFiles::readSession(const QStringList &paths, bool keepMeta)
{
    // One file in memory at a time besides the session: the first one's
    // snapshots move into it without a copy.
    Session session;
    for (const QString &path : paths) {
        Expected<LoadedFile> file = SnapshotReader::read(path, {}, nullptr, SnapshotReader::Content{true, keepMeta});
        if (!file)
            return Expected<Session>::failure(file.error());
        if (file.value().snapshots.empty())
            return Expected<Session>::failure(
                file.value().path + QCoreApplication::translate("InputFiles", ": no snapshots in this file"));
        session.addFile(file.take());
    }
    return session;
}

} // namespace leakscope
