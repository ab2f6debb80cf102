#include "heapgraph/heapgraphservice.h"

#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>

#include <sys/stat.h>

namespace leakscope {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("HeapGraphService", text);
}

} // namespace

size_t qHash(const HeapGraphService::FileKey &k, size_t seed)
{
    return ::qHash(k.path, seed) ^ ::qHash(k.inode, seed) ^ ::qHash(k.snapshot, seed);
}

namespace {

// Only what was asked for: a client holds the analyses it uses, so an
// analysis is freed as soon as no client that needs it is left.
HeapGraphService::AnalysedGraphPtr handOut(HeapGraphService::AnalysedGraph have, HeapGraphService::Analyses analyses)
{
    if (!(analyses & HeapGraphService::Dominators))
        have.dominators.reset();
    if (!(analyses & HeapGraphService::RootPaths))
        have.paths.reset();
    if ((analyses & HeapGraphService::RetainedTypes) != HeapGraphService::RetainedTypes)
        have.retained.reset();
    return std::make_shared<const HeapGraphService::AnalysedGraph>(std::move(have));
}

} // namespace

bool HeapGraphService::AnalysedGraph::has(Analyses analyses) const
{
    return graph && (!(analyses & Dominators) || dominators) && (!(analyses & RootPaths) || paths)
        && ((analyses & RetainedTypes) != RetainedTypes || retained);
}

HeapGraphService::HeapGraphService(HeapGraphArraysReader reader) : m_reader(std::move(reader)) {}

HeapGraphService::~HeapGraphService() = default;

bool HeapGraphService::fileKey(const Key &key, FileKey *out)
{
    const QString canonical = QFileInfo(key.file).canonicalFilePath();
    struct stat st;
    if (canonical.isEmpty() || ::stat(QFile::encodeName(canonical).constData(), &st) != 0)
        return false;
    *out = FileKey{canonical, quint64(st.st_dev), quint64(st.st_ino), key.snapshotId};
    return true;
}

HeapGraphService::AnalysedGraph HeapGraphService::collect(const Key &key, const Entry &entry)
{
    AnalysedGraph out;
    out.key = key;
    out.graph = entry.graph.lock();
    // Analyses are stored only beside the graph they were computed from, and
    // an entry whose graph was freed is reset before anything new is stored.
    if (out.graph) {
        out.dominators = entry.dominators.lock();
        out.paths = entry.paths.lock();
        out.retained = entry.retained.lock();
    }
    return out;
}

int HeapGraphService::graphsInMemory() const
{
    QMutexLocker lock(&m_mutex);
    int n = 0;
    for (const Entry &e : m_entries)
        n += e.graph.expired() ? 0 : 1;
    return n;
}

void HeapGraphService::pruneLocked()
{
    for (auto it = m_entries.begin(); it != m_entries.end();)
        it = !it.value().busy && it.value().graph.expired() ? m_entries.erase(it) : std::next(it);
}

HeapGraphService::AnalysedGraphPtr HeapGraphService::find(const Key &key, Analyses analyses) const
{
    FileKey fk;
    if (!fileKey(key, &fk))
        return nullptr;
    QMutexLocker lock(&m_mutex);
    const auto it = m_entries.constFind(fk);
    if (it == m_entries.constEnd())
        return nullptr;
    AnalysedGraph have = collect(key, it.value());
    return have.has(analyses) ? handOut(std::move(have), analyses) : nullptr;
}

Expected<HeapGraphService::AnalysedGraphPtr> HeapGraphService::get(const Key &key, Analyses analyses,
                                                                   const TaskControl &control)
{
    using Result = Expected<AnalysedGraphPtr>;
    FileKey fk;
    if (!fileKey(key, &fk)) {
        AnalysedGraph none;
        none.key = key;
        return compute(std::move(none), analyses, control, nullptr);
    }
    AnalysedGraph have;
    {
        QMutexLocker lock(&m_mutex);
        for (;;) {
            Entry &entry = m_entries[fk];
            have = collect(key, entry);
            if (have.has(analyses))
                return handOut(std::move(have), analyses);
            if (!entry.busy) {
                if (!have.graph)
                    entry = Entry();
                entry.busy = true;
                break;
            }
            // Another thread reads or analyses this graph: wait for it, and
            // take over if it gives up (cancelled or failed).
            if (control.cancelled())
                return Result::failure(tr("cancelled"));
            m_changed.wait(&m_mutex, 50);
        }
    }
    Result result = compute(std::move(have), analyses, control, &fk);
    QMutexLocker lock(&m_mutex);
    m_entries[fk].busy = false;
    pruneLocked();
    m_changed.wakeAll();
    return result;
}

Expected<HeapGraphService::AnalysedGraphPtr> HeapGraphService::compute(AnalysedGraph have, Analyses analyses,
                                                                       const TaskControl &control,
                                                                       const FileKey *store)
{
    using Result = Expected<AnalysedGraphPtr>;
    // Each step is published as soon as it is done, so a client that needs
    // less than this one need not wait for the rest.
    const auto publish = [this, store](auto member, const auto &value) {
        if (!store)
            return;
        QMutexLocker lock(&m_mutex);
        m_entries[*store].*member = value;
        m_changed.wakeAll();
    };
    if (!have.graph) {
        if (control.cancelled())
            return Result::failure(tr("cancelled"));
        control.report("reading", 0, 1);
        ++m_reads;
        Expected<HeapGraph> read = HeapGraph::read(m_reader, have.key.file, have.key.snapshotId, control);
        if (control.cancelled())
            return Result::failure(tr("cancelled"));
        if (!read)
            return Result::failure(read.error());
        have.graph = std::make_shared<const HeapGraph>(read.take());
        publish(&Entry::graph, std::weak_ptr<const HeapGraph>(have.graph));
    }
    if ((analyses & Dominators) && !have.dominators) {
        Expected<DominatorTree> tree = DominatorTree::compute(*have.graph, control);
        if (control.cancelled())
            return Result::failure(tr("cancelled"));
        if (!tree)
            return Result::failure(tree.error());
        have.dominators = std::make_shared<const DominatorTree>(tree.take());
        publish(&Entry::dominators, std::weak_ptr<const DominatorTree>(have.dominators));
    }
    if ((analyses & RetainedTypes) == RetainedTypes && !have.retained) {
        have.retained = std::make_shared<const RetainedByType>(RetainedByType::fromDominators(*have.graph, *have.dominators));
        publish(&Entry::retained, std::weak_ptr<const RetainedByType>(have.retained));
    }
    if ((analyses & RootPaths) && !have.paths) {
        Expected<RootPathIndex> paths = RootPathIndex::build(*have.graph, control);
        if (control.cancelled())
            return Result::failure(tr("cancelled"));
        if (!paths)
            return Result::failure(paths.error());
        have.paths = std::make_shared<const RootPathIndex>(paths.take());
        publish(&Entry::paths, std::weak_ptr<const RootPathIndex>(have.paths));
    }
    return handOut(std::move(have), analyses);
}

} // namespace leakscope
