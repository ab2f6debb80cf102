#include "snapshotreader.h"

#include <QCoreApplication>

namespace leakscope {

// Placeholder until the reader lands.
Expected<LoadedFile> SnapshotReader::read(const QString &path, const Progress &, const std::atomic_bool *)
{
    return Expected<LoadedFile>::failure(path + QStringLiteral(": reading is not implemented yet"));
}

} // namespace leakscope
