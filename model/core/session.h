#pragma once

#include "core/loadedfile.h"
#include "core/snapshot.h"
#include "core/typeregistry.h"

#include <limits>
#include <vector>

namespace leakscope {

// Snapshots from any number of files (and the live feed) in time order, with
// one TypeRegistry for all of them. Each snapshot keeps only the types it has
// (sorted by type id), so memory follows the rows of the files, not
// snapshots x types; a cell is a binary search. Not thread-safe; copy it to
// hand it to a worker thread (it is a value type).
class Session
{
public:
    // Merges the file's snapshots, remapping their type ids into this
    // session's registry, and keeps all snapshots sorted by takenAt (stable:
    // snapshots without a time keep their order after the one before them in
    // their file).
    void addFile(const LoadedFile &file);
    // The same, taking the file's snapshots over without a copy when the
    // session is empty (the CLI reads one file after the other).
    void addFile(LoadedFile &&file);
    void addSnapshot(const Snapshot &snapshot, const TypeRegistry &types);
    void clear();

    const TypeRegistry &types() const { return m_types; }
    int snapshotCount() const { return int(m_snapshots.size()); }
    int typeCount() const { return m_types.size(); }
    const Snapshot &snapshot(int index) const; // stats use this session's type ids

    // The snapshot's row for the type; nullptr where absent.
    const TypeStat *stat(int snapshot, int type) const;
    qint64 count(int snapshot, int type) const; // 0 where absent
    qint64 size(int snapshot, int type) const;  // 0 where absent
    std::vector<qint64> countSeries(int type) const;
    std::vector<qint64> sizeSeries(int type) const;

    // X axis for charts and slopes: seconds since the first snapshot when every
    // snapshot has a time, otherwise the snapshot index (0, 1, 2, ...).
    std::vector<double> timeAxis() const;
    bool hasTimes() const;

private:
    void sortByTime();

    TypeRegistry m_types;
    std::vector<Snapshot> m_snapshots;
};

} // namespace leakscope
