#pragma once

#include "core/expected.h"
#include "core/growth.h"
#include "core/jobrunner.h"
#include "core/loadedfile.h"
#include "heapgraph/heapgraphservice.h"
#include "heapgraph/retainedbytype.h"
#include "core/session.h"

#include <QObject>
#include <QStringList>

#include <memory>
#include <utility>
#include <vector>

namespace leakscope {

// Owns the session shown by the main window and every slow operation on it.
// Each change is computed on a worker thread on a copy of the session and
// published whole (sessionChanged, then comparisonChanged), so views reset
// once per batch. Files today; a live feed adds batches with addLoadedFiles()
// or addSnapshots() in the same way. When the compared snapshots carry heap
// graphs, their retained sizes per type follow in a second background job and
// the comparison is published again with the rows' retained fields filled.
class SessionController : public QObject
{
    Q_OBJECT
public:
    explicit SessionController(QObject *parent = nullptr);
    ~SessionController() override;

    std::shared_ptr<const Session> session() const { return m_session; }
    std::shared_ptr<const Comparison> comparison() const { return m_comparison; }
    int baseline() const { return m_baseline; }
    int current() const { return m_current; }
    QStringList files() const { return m_files; }
    bool isBusy() const;

    // Reads the files in the background and merges them into the session;
    // files that fail are reported by fileFailed and leave the others alone.
    void openFiles(const QStringList &paths);
    // Merges data that is already in memory (tests, imports, a live feed).
    void addLoadedFiles(std::vector<LoadedFile> files);
    void addSnapshots(const std::vector<Snapshot> &snapshots, const TypeRegistry &types, const QString &source);
    // Compares `current` against `baseline` (indices into the session).
    void setComparedSnapshots(int baseline, int current);
    void clear();
    // Cancels loading and comparing.
    void cancel();

    // Writes every snapshot of the session to one .lsnap file (background).
    void saveSessionAs(const QString &path);

    JobRunner *loader() const { return m_loader; }
    JobRunner *comparer() const { return m_comparer; }
    JobRunner *saver() const { return m_saver; }
    // Loads heap graphs and computes retained sizes per type.
    JobRunner *retainer() const { return m_retainer; }
    // The one owner of the session's heap graphs (read from the snapshots'
    // .lsnap files): the Retained columns, References, Retainers and the
    // Summary ask it, so each graph is read and analysed once.
    // Shared: a job on the service may outlive the controller by a moment.
    std::shared_ptr<HeapGraphService> graphs() const { return m_graphs; }
    // Retained sizes per type of snapshot `snapshotId` of `file` when they
    // were computed (they stay cached while the file is open); null otherwise.
    std::shared_ptr<const RetainedByType> cachedRetained(const QString &file, qint64 snapshotId) const;

signals:
    void sessionChanged();
    void comparisonChanged();
    void fileOpened(const QString &path);
    void fileFailed(const QString &path, const QString &error);
    void sessionSaved(const QString &path);
    void saveFailed(const QString &path, const QString &error);
    void busyChanged(bool busy);
    // The heap graph of a compared snapshot could not be loaded or analysed;
    // its retained columns stay unknown.
    void retainedFailed(const QString &error);

private:
    struct Batch
    {
        QStringList paths;
        std::vector<LoadedFile> inMemory;
    };
    void startNextBatch();
    void publish(std::shared_ptr<const Session> session, std::shared_ptr<const Comparison> comparison);

    // (file, snapshot id) of a snapshot with a heap graph that can be loaded.
    using GraphKey = std::pair<QString, qint64>;
    struct RetainedEntry
    {
        GraphKey key;
        std::shared_ptr<const RetainedByType> retained; // null when it failed
    };
    bool graphKey(int snapshot, GraphKey *key) const;
    const RetainedEntry *retainedEntry(const GraphKey &key) const;
    // The comparison with the retained fields filled from the cache (the same
    // pointer when neither compared snapshot has a graph).
    std::shared_ptr<const Comparison> withRetained(std::shared_ptr<const Comparison> comparison) const;
    // Starts computing what the current comparison misses, or supersedes a
    // job that computes something no longer shown.
    void requestRetained();
    // Whether the graph of `key` belongs to the compared baseline or current.
    bool isCompared(const GraphKey &key) const;
    void releaseUncomparedGraphs();

    JobRunner *m_loader;
    JobRunner *m_comparer;
    JobRunner *m_saver;
    JobRunner *m_retainer;
    std::vector<RetainedEntry> m_retained; // most recently computed last
    std::shared_ptr<HeapGraphService> m_graphs;
    // The graphs and dominator trees of the compared snapshots, held so the
    // tabs that draw them find them in the service.
    struct HeldGraph
    {
        GraphKey key;
        AnalysedGraphPtr graph;
    };
    std::vector<HeldGraph> m_heldGraphs;
    std::vector<Batch> m_pending;
    std::shared_ptr<const Session> m_session;
    std::shared_ptr<const Comparison> m_comparison;
    QStringList m_files;
    int m_baseline = -1;
    int m_current = -1;
    bool m_busy = false;
};

} // namespace leakscope
