#pragma once

#include "heapgraph/dominatortree.h"
#include "heapgraph/heapgraph.h"
#include "heapgraph/rootpathindex.h"

#include <QObject>
#include <QString>

#include <memory>
#include <vector>

namespace leakscope {

class JobRunner;

// The heap graphs of the snapshots the window looks at, loaded from their
// .lsnap files off the UI thread (with progress and cancel), then analysed
// (dominator tree, root paths) in a second background job, and kept for at
// most two snapshots (the compared pair): a graph can be tens of megabytes.
// Shared by the References and Retainers tabs.
class HeapGraphCache : public QObject
{
    Q_OBJECT
public:
    struct Key
    {
        QString file;
        qint64 snapshotId = 0;
        bool operator==(const Key &o) const { return snapshotId == o.snapshotId && file == o.file; }
    };
    struct Entry
    {
        Key key;
        HeapGraphPtr graph;
        // Null until the analysis finished.
        std::shared_ptr<const DominatorTree> dominators;
        std::shared_ptr<const RootPathIndex> paths;
    };
    static constexpr int s_maxEntries = 2;

    explicit HeapGraphCache(QObject *parent = nullptr);
    ~HeapGraphCache() override;

    // Makes these graphs available (the first one is analysed too), loading
    // what is missing in one background job; emits ready() when they are.
    // True when everything was cached already (no signal then).
    bool request(const std::vector<Key> &keys);
    const Entry *entry(const Key &key) const;
    bool isLoading() const;
    QString lastError() const { return m_error; }
    void cancel();
    void clear();

    JobRunner *loader() const { return m_loader; }
    JobRunner *analyser() const { return m_analyser; }

signals:
    void ready();
    void analysed();
    void failed(const QString &error);

private:
    void store(Entry entry, const std::vector<Key> &keep);
    void analyse(const Key &key);

    JobRunner *m_loader;
    JobRunner *m_analyser;
    std::vector<Entry> m_entries; // most recently used last
    QString m_error;
};

} // namespace leakscope
