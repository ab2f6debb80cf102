#include "snapshotwriter.h"

namespace leakscope {

// Placeholder until the writer lands.
struct SnapshotWriter::Private
{
    QString path;
};

SnapshotWriter::SnapshotWriter() : d(std::make_unique<Private>()) {}
SnapshotWriter::~SnapshotWriter() = default;

Status SnapshotWriter::open(const QString &path)
{
    d->path = path;
    return Status::failure(path + QStringLiteral(": writing is not implemented yet"));
}

Expected<qint64> SnapshotWriter::append(const Snapshot &, const TypeRegistry &)
{
    return Expected<qint64>::failure(d->path + QStringLiteral(": writing is not implemented yet"));
}

void SnapshotWriter::close() {}

QString SnapshotWriter::path() const
{
    return d->path;
}

Status SnapshotWriter::writeFile(const QString &path, const std::vector<const Snapshot *> &, const TypeRegistry &)
{
    return Status::failure(path + QStringLiteral(": writing is not implemented yet"));
}

} // namespace leakscope
