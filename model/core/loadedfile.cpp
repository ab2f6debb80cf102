#include "core/loadedfile.h"

namespace leakscope {

QString fileFormatName(FileFormat format)
{
    switch (format) {
    case FileFormat::Lsnap:
        return QStringLiteral("lsnap");
    case FileFormat::ObjgraphTypestats:
        return QStringLiteral("objgraph-typestats");
    case FileFormat::ObjgraphGrowthLog:
        return QStringLiteral("objgraph-growth-log");
    }
    return QString();
}

} // namespace leakscope
