#pragma once

#include "core/loadedfile.h"
#include "core/snapshot.h"
#include "core/typeregistry.h"

#include <limits>
#include <vector>

namespace leakscope {

// Snapshots from any number of files (and the live feed) in time order, with
// one TypeRegistry for all of them and dense per-type counts and sizes, so
// series and diffs are array work. Not thread-safe; copy it to hand it to a
// worker thread (it is a value type).
class Session
{
public:
    // Merges the file's snapshots, remapping their type ids into this
    // session's registry, and keeps all snapshots sorted by takenAt (stable:
    // snapshots without a time keep their order after the one before them in
    // their file).
    void addFile(const LoadedFile &file);
    void addSnapshot(const Snapshot &snapshot, const TypeRegistry &types);
    void clear();

    const TypeRegistry &types() const { return m_types; }
    int snapshotCount() const { return int(m_snapshots.size()); }
    int typeCount() const { return m_types.size(); }
    const Snapshot &snapshot(int index) const; // stats use this session's type ids

    qint64 count(int snapshot, int type) const; // 0 where absent
    qint64 size(int snapshot, int type) const;  // 0 where absent
    std::vector<qint64> countSeries(int type) const;
    std::vector<qint64> sizeSeries(int type) const;

    // X axis for charts and slopes: seconds since the first snapshot when every
    // snapshot has a time, otherwise the snapshot index (0, 1, 2, ...).
    std::vector<double> timeAxis() const;
    bool hasTimes() const;

private:
    void rebuildDense();

    TypeRegistry m_types;
    std::vector<Snapshot> m_snapshots;
    // m_counts[snapshot * stride + type]; stride == m_types.size() at build time.
    std::vector<qint64> m_counts;
    std::vector<qint64> m_sizes;
    int m_stride = 0;
};

} // namespace leakscope
