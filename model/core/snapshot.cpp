#include "core/snapshot.h"

namespace leakscope {

qint64 Snapshot::totalObjects() const
{
    qint64 total = 0;
    for (const TypeStat &s : stats)
        total += s.count;
    return total;
}

qint64 Snapshot::totalSize() const
{
    qint64 total = 0;
    for (const TypeStat &s : stats)
        total += s.size;
    return total;
}

} // namespace leakscope
