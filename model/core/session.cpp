#include "core/session.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace leakscope {

namespace {

// Remaps a snapshot's type ids from the registry it was read with into ours.
Snapshot remapped(const Snapshot &snapshot, const TypeRegistry &from, TypeRegistry &to)
{
    Snapshot out;
    out.info = snapshot.info;
    out.stats.reserve(snapshot.stats.size());
    for (const TypeStat &s : snapshot.stats)
        out.stats.push_back(TypeStat{to.intern(from.name(s.type)), s.count, s.size});
    std::sort(out.stats.begin(), out.stats.end(),
              [](const TypeStat &a, const TypeStat &b) { return a.type < b.type; });
    // Merge duplicates defensively (a well-formed source has none).
    std::vector<TypeStat> merged;
    merged.reserve(out.stats.size());
    for (const TypeStat &s : out.stats) {
        if (!merged.empty() && merged.back().type == s.type) {
            merged.back().count += s.count;
            merged.back().size += s.size;
        } else {
            merged.push_back(s);
        }
    }
    out.stats = std::move(merged);
    out.containers = snapshot.containers;
    for (ContainerStat &c : out.containers)
        c.type = c.type >= 0 ? to.intern(from.name(c.type)) : -1;
    if (snapshot.allocations) {
        auto allocations = std::make_shared<AllocationData>(*snapshot.allocations);
        for (ObjectTraceback &o : allocations->objects)
            o.objectType = o.objectType >= 0 ? to.intern(from.name(o.objectType)) : -1;
        out.allocations = std::move(allocations);
    }
    return out;
}

bool sortedUnique(const std::vector<TypeStat> &stats)
{
    return std::adjacent_find(stats.begin(), stats.end(), [](const TypeStat &a, const TypeStat &b) {
               return a.type >= b.type;
           }) == stats.end();
}

} // namespace

void Session::addFile(const LoadedFile &file)
{
    for (const Snapshot &s : file.snapshots)
        m_snapshots.push_back(remapped(s, file.types, m_types));
    sortByTime();
}

void Session::addFile(LoadedFile &&file)
{
    // Into an empty session a file's ids stay as they are: interning its
    // names in order would give the same dense ids.
    if (!m_snapshots.empty() || m_types.size() != 0) {
        addFile(std::as_const(file));
        return;
    }
    m_types = std::move(file.types);
    m_snapshots = std::move(file.snapshots);
    file.snapshots.clear();
    for (Snapshot &s : m_snapshots) {
        if (!sortedUnique(s.stats))
            s = remapped(s, m_types, m_types);
    }
    sortByTime();
}

void Session::addSnapshot(const Snapshot &snapshot, const TypeRegistry &types)
{
    m_snapshots.push_back(remapped(snapshot, types, m_types));
    sortByTime();
}

void Session::clear()
{
    m_types = TypeRegistry();
    m_snapshots.clear();
}

const Snapshot &Session::snapshot(int index) const
{
    return m_snapshots.at(size_t(index));
}

void Session::sortByTime()
{
    // Stable sort by time; a snapshot without a time sorts right after the
    // snapshot before it in insertion order (it inherits its predecessor's key).
    std::vector<std::pair<qint64, size_t>> keys;
    keys.reserve(m_snapshots.size());
    qint64 lastKey = std::numeric_limits<qint64>::min();
    for (size_t i = 0; i < m_snapshots.size(); ++i) {
        const QDateTime &t = m_snapshots[i].info.takenAt;
        if (t.isValid())
            lastKey = t.toMSecsSinceEpoch();
        keys.emplace_back(lastKey, i);
    }
    std::stable_sort(keys.begin(), keys.end(),
                     [](const auto &a, const auto &b) { return a.first < b.first; });
    bool inOrder = true;
    for (size_t i = 0; i < keys.size(); ++i)
        inOrder = inOrder && keys[i].second == i;
    if (!inOrder) {
        std::vector<Snapshot> sorted;
        sorted.reserve(m_snapshots.size());
        for (const auto &k : keys)
            sorted.push_back(std::move(m_snapshots[k.second]));
        m_snapshots = std::move(sorted);
    }
}

const TypeStat *Session::stat(int snapshot, int type) const
{
    if (snapshot < 0 || snapshot >= snapshotCount() || type < 0)
        return nullptr;
    const std::vector<TypeStat> &stats = m_snapshots[size_t(snapshot)].stats;
    const auto it = std::lower_bound(stats.begin(), stats.end(), type,
                                     [](const TypeStat &s, int t) { return s.type < t; });
    return it != stats.end() && it->type == type ? &*it : nullptr;
}

qint64 Session::count(int snapshot, int type) const
{
    const TypeStat *s = stat(snapshot, type);
    return s ? s->count : 0;
}

qint64 Session::size(int snapshot, int type) const
{
    const TypeStat *s = stat(snapshot, type);
    return s ? s->size : 0;
}

std::vector<qint64> Session::countSeries(int type) const
{
    std::vector<qint64> out(m_snapshots.size());
    for (int i = 0; i < snapshotCount(); ++i)
        out[size_t(i)] = count(i, type);
    return out;
}

std::vector<qint64> Session::sizeSeries(int type) const
{
    std::vector<qint64> out(m_snapshots.size());
    for (int i = 0; i < snapshotCount(); ++i)
        out[size_t(i)] = size(i, type);
    return out;
}

bool Session::hasTimes() const
{
    if (m_snapshots.empty())
        return false;
    return std::all_of(m_snapshots.begin(), m_snapshots.end(),
                       [](const Snapshot &s) { return s.info.takenAt.isValid(); });
}

std::vector<double> Session::timeAxis() const
{
    std::vector<double> out(m_snapshots.size());
    if (hasTimes()) {
        const qint64 t0 = m_snapshots.front().info.takenAt.toMSecsSinceEpoch();
        for (size_t i = 0; i < m_snapshots.size(); ++i)
            out[i] = double(m_snapshots[i].info.takenAt.toMSecsSinceEpoch() - t0) / 1000.0;
    } else {
        for (size_t i = 0; i < m_snapshots.size(); ++i)
            out[i] = double(i);
    }
    return out;
}

} // namespace leakscope
