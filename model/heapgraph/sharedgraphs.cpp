#include "heapgraph/sharedgraphs.h"

#include <QFileInfo>
#include <QHash>
#include <QMutex>

#include <sys/stat.h>

#include <vector>

namespace leakscope {

namespace {

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

size_t qHash(const FileKey &k, size_t seed = 0)
{
    return ::qHash(k.path, seed) ^ ::qHash(k.inode, seed) ^ ::qHash(k.snapshot, seed);
}

// False when the file cannot be stat()ed: then nothing is shared for it.
bool keyOf(const QString &file, qint64 snapshot, FileKey *key)
{
    const QString canonical = QFileInfo(file).canonicalFilePath();
    struct stat st;
    if (canonical.isEmpty() || ::stat(QFile::encodeName(canonical).constData(), &st) != 0)
        return false;
    *key = FileKey{canonical, quint64(st.st_dev), quint64(st.st_ino), snapshot};
    return true;
}

struct Registry
{
    QMutex mutex;
    QHash<FileKey, std::weak_ptr<const HeapGraph>> graphs;
    // Keyed by the graph object; the weak graph pointer tells a live entry
    // from one whose address was reused by another graph.
    struct Tree
    {
        std::weak_ptr<const HeapGraph> graph;
        std::weak_ptr<const DominatorTree> tree;
    };
    QHash<const HeapGraph *, Tree> trees;

    void prune()
    {
        for (auto it = graphs.begin(); it != graphs.end();)
            it = it.value().expired() ? graphs.erase(it) : std::next(it);
        for (auto it = trees.begin(); it != trees.end();)
            it = it.value().graph.expired() || it.value().tree.expired() ? trees.erase(it) : std::next(it);
    }
};

Registry &registry()
{
    static Registry r;
    return r;
}

} // namespace

HeapGraphPtr SharedGraphs::find(const QString &file, qint64 snapshotId)
{
    FileKey key;
    if (!keyOf(file, snapshotId, &key))
        return nullptr;
    Registry &r = registry();
    QMutexLocker lock(&r.mutex);
    return r.graphs.value(key).lock();
}

Expected<HeapGraphPtr> SharedGraphs::load(const HeapGraphArraysReader &reader, const QString &file,
                                          qint64 snapshotId, const TaskControl &control)
{
    FileKey key;
    const bool shareable = keyOf(file, snapshotId, &key);
    Registry &r = registry();
    if (shareable) {
        QMutexLocker lock(&r.mutex);
        if (HeapGraphPtr known = r.graphs.value(key).lock())
            return known;
    }
    Expected<HeapGraph> read = HeapGraph::read(reader, file, snapshotId, control);
    if (!read)
        return Expected<HeapGraphPtr>::failure(read.error());
    HeapGraphPtr graph = std::make_shared<const HeapGraph>(read.take());
    if (!shareable)
        return graph;
    QMutexLocker lock(&r.mutex);
    if (HeapGraphPtr first = r.graphs.value(key).lock())
        return first;
    r.prune();
    r.graphs.insert(key, graph);
    return graph;
}

Expected<std::shared_ptr<const DominatorTree>> SharedGraphs::dominators(const HeapGraphPtr &graph,
                                                                        const TaskControl &control)
{
    using Result = Expected<std::shared_ptr<const DominatorTree>>;
    if (!graph)
        return Result::failure(QStringLiteral("no heap graph"));
    Registry &r = registry();
    {
        QMutexLocker lock(&r.mutex);
        const Registry::Tree known = r.trees.value(graph.get());
        if (known.graph.lock() == graph)
            if (auto tree = known.tree.lock())
                return tree;
    }
    Expected<DominatorTree> computed = DominatorTree::compute(*graph, control);
    if (!computed)
        return Result::failure(computed.error());
    auto tree = std::make_shared<const DominatorTree>(computed.take());
    QMutexLocker lock(&r.mutex);
    const Registry::Tree known = r.trees.value(graph.get());
    if (known.graph.lock() == graph)
        if (auto first = known.tree.lock())
            return first;
    r.prune();
    r.trees.insert(graph.get(), Registry::Tree{graph, tree});
    return tree;
}

} // namespace leakscope
