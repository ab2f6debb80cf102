#pragma once

#include "core/expected.h"
#include "core/heapgrapharrays.h"
#include "core/taskcontrol.h"
#include "heapgraph/dominatortree.h"
#include "heapgraph/heapgraph.h"
#include "heapgraph/retainedbytype.h"
#include "heapgraph/rootpathindex.h"

#include <QHash>
#include <QMutex>
#include <QString>
#include <QWaitCondition>

#include <atomic>
#include <memory>

namespace leakscope {

// The one owner of heap graphs in memory: reads a snapshot's graph through
// the reader it was made with (for .lsnap files HeapGraphStore::readArrays),
// analyses it (in-edges on read; dominators, root paths, retained bytes per
// type on request), and hands out shared read-only results. Every client (the
// growth table's Retained columns, References, Retainers, the leak report)
// asks the same service, so a graph is read and each analysis computed once
// however many clients want it, also when they ask at the same moment from
// different threads (the second waits for the first). Only the clients hold
// results: the service keeps weak references, so a graph is freed as soon as
// no AnalysedGraph that holds it is alive.
//
// get() is synchronous and thread-safe: clients call it on a worker (a
// JobRunner) with a TaskControl for cancel and progress.
class HeapGraphService
{
public:
    // A graph is known by its file and snapshot id (the snapshot table's id).
    // The service compares files by canonical path, device and inode, so a
    // file replaced by Save As is a different file.
    struct Key
    {
        QString file;
        qint64 snapshotId = 0;
        bool operator==(const Key &o) const { return snapshotId == o.snapshotId && file == o.file; }
        bool operator!=(const Key &o) const { return !(*this == o); }
    };

    // What to compute besides the graph (its in-edges always come with it).
    enum Analysis : unsigned {
        GraphOnly = 0,
        Dominators = 1,
        RootPaths = 2,
        RetainedTypes = 4 | Dominators, // retained bytes per type need the dominators
        Everything = Dominators | RootPaths | RetainedTypes,
    };
    using Analyses = unsigned;

    // A graph and the analyses asked for (only those: a client holds what it
    // uses). Immutable; share it as AnalysedGraphPtr.
    struct AnalysedGraph
    {
        Key key;
        HeapGraphPtr graph;
        std::shared_ptr<const DominatorTree> dominators;
        std::shared_ptr<const RootPathIndex> paths;
        std::shared_ptr<const RetainedByType> retained;
        bool has(Analyses analyses) const;
    };
    using AnalysedGraphPtr = std::shared_ptr<const AnalysedGraph>;

    explicit HeapGraphService(HeapGraphArraysReader reader);
    ~HeapGraphService();
    HeapGraphService(const HeapGraphService &) = delete;
    HeapGraphService &operator=(const HeapGraphService &) = delete;

    // The graph of `key` with `analyses`: what is in memory, the rest read or
    // computed now. Fails with the reader's or the analysis's error, or
    // "cancelled" when control's flag is set (also while waiting for another
    // thread that reads the same graph). Progress phases: "reading",
    // "in-edges", "dominators", "root paths" (from the computing thread).
    Expected<AnalysedGraphPtr> get(const Key &key, Analyses analyses, const TaskControl &control = {});
    // The same when everything asked for is in memory already; else null.
    AnalysedGraphPtr find(const Key &key, Analyses analyses = GraphOnly) const;

    // How many graphs were read through the reader (tests, benchmarks).
    int readCount() const { return m_reads.load(); }
    // How many graphs are in memory now (held by some client).
    int graphsInMemory() const;

private:
    struct FileKey
    {
        QString path;
        quint64 device = 0;
        quint64 inode = 0;
        qint64 snapshot = 0;
        bool operator==(const FileKey &o) const
        {
            return snapshot == o.snapshot && inode == o.inode && device == o.device && path == o.path;
        }
    };
    friend size_t qHash(const FileKey &k, size_t seed);
    struct Entry
    {
        std::weak_ptr<const HeapGraph> graph;
        std::weak_ptr<const DominatorTree> dominators;
        std::weak_ptr<const RootPathIndex> paths;
        std::weak_ptr<const RetainedByType> retained;
        bool busy = false; // a thread is reading or analysing this graph
    };
    static bool fileKey(const Key &key, FileKey *out);
    // What `entry` still holds (nulls for what was freed); the caller holds the mutex.
    static AnalysedGraph collect(const Key &key, const Entry &entry);
    // Reads and analyses without sharing (files that cannot be stat()ed), or
    // completes `have` when `store` is given, storing each step as it is done.
    Expected<AnalysedGraphPtr> compute(AnalysedGraph have, Analyses analyses, const TaskControl &control,
                                       const FileKey *store);
    void pruneLocked();

    HeapGraphArraysReader m_reader;
    mutable QMutex m_mutex;
    QWaitCondition m_changed;
    QHash<FileKey, Entry> m_entries;
    std::atomic_int m_reads{0};
};

using AnalysedGraphPtr = HeapGraphService::AnalysedGraphPtr;

} // namespace leakscope
