#include "gui/heapgraphcache.h"

#include "core/jobrunner.h"
#include "heapgraph/sharedgraphs.h"
#include "lsnap/heapgraphstore.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QLoggingCategory>

#include <algorithm>

Q_LOGGING_CATEGORY(lcGraphCache, "leakscope.gui.graphs", QtInfoMsg)

namespace leakscope {

namespace {

TaskControl controlFor(JobRunner::Context &context, const QString &what)
{
    TaskControl control;
    control.cancel = context.cancelFlag();
    control.progress = [&context, what](const char *phase, qint64 done, qint64 total) {
        context.setProgress(done, total, QStringLiteral("%1: %2").arg(what, QString::fromUtf8(phase)));
    };
    return control;
}

} // namespace

HeapGraphCache::HeapGraphCache(QObject *parent)
    : QObject(parent), m_loader(new JobRunner(this)), m_analyser(new JobRunner(this))
{
}

HeapGraphCache::~HeapGraphCache() = default;

const HeapGraphCache::Entry *HeapGraphCache::entry(const Key &key) const
{
    for (const Entry &e : m_entries)
        if (e.key == key)
            return &e;
    return nullptr;
}

bool HeapGraphCache::isLoading() const
{
    return m_loader->isRunning() || m_analyser->isRunning();
}

void HeapGraphCache::cancel()
{
    m_loader->cancel();
    m_analyser->cancel();
}

void HeapGraphCache::clear()
{
    cancel();
    m_entries.clear();
}

bool HeapGraphCache::request(const std::vector<Key> &keys)
{
    std::vector<Key> missing;
    for (const Key &k : keys)
        if (!entry(k))
            missing.push_back(k);
    if (missing.empty()) {
        if (!keys.empty()) {
            const Entry *first = entry(keys.front());
            if (!first->dominators && !m_analyser->isRunning())
                analyse(keys.front());
        }
        return true;
    }
    m_error.clear();
    const QString title = tr("Loading heap graph of %1").arg(QFileInfo(missing.front().file).fileName());
    m_loader->start(title, [this, missing, keys](JobRunner::Context &context) -> std::function<void()> {
        std::vector<Entry> loaded;
        QString error;
        for (const Key &k : missing) {
            const QString what = tr("%1, snapshot %2").arg(QFileInfo(k.file).fileName()).arg(k.snapshotId);
            // Already read for the growth table's retained sizes, most likely.
            Expected<HeapGraphPtr> graph = SharedGraphs::load(HeapGraphStore::readArrays, k.file, k.snapshotId, controlFor(context, what));
            if (context.isCancelled())
                return {};
            if (!graph) {
                error = graph.error();
                break;
            }
            loaded.push_back(Entry{k, graph.take(), nullptr, nullptr});
        }
        return [this, loaded = std::move(loaded), error, keys]() mutable {
            for (Entry &e : loaded)
                store(std::move(e), keys);
            if (!error.isEmpty()) {
                m_error = error;
                qCWarning(lcGraphCache) << error;
                emit failed(error);
                return;
            }
            emit ready();
            if (!keys.empty())
                analyse(keys.front());
        };
    });
    return false;
}

void HeapGraphCache::store(Entry e, const std::vector<Key> &keep)
{
    m_entries.erase(std::remove_if(m_entries.begin(), m_entries.end(), [&](const Entry &x) { return x.key == e.key; }),
                    m_entries.end());
    m_entries.push_back(std::move(e));
    // Evict the least recently used entries the caller does not need now.
    while (int(m_entries.size()) > s_maxEntries) {
        auto victim = std::find_if(m_entries.begin(), m_entries.end(), [&](const Entry &x) {
            return std::find(keep.begin(), keep.end(), x.key) == keep.end();
        });
        if (victim == m_entries.end())
            victim = m_entries.begin();
        m_entries.erase(victim);
    }
}

void HeapGraphCache::analyse(const Key &key)
{
    const Entry *e = entry(key);
    if (!e || e->dominators)
        return;
    HeapGraphPtr graph = e->graph;
    m_analyser->start(tr("Computing retained sizes"), [this, graph, key](JobRunner::Context &context) -> std::function<void()> {
        const QString what = tr("retained sizes");
        Expected<std::shared_ptr<const DominatorTree>> dom = SharedGraphs::dominators(graph, controlFor(context, what));
        if (context.isCancelled())
            return {};
        Expected<RootPathIndex> paths = RootPathIndex::build(*graph, controlFor(context, what));
        if (context.isCancelled())
            return {};
        if (!dom || !paths) {
            const QString error = !dom ? dom.error() : paths.error();
            return [this, error] {
                m_error = error;
                emit failed(error);
            };
        }
        std::shared_ptr<const DominatorTree> domPtr = dom.take();
        auto pathPtr = std::make_shared<const RootPathIndex>(paths.take());
        return [this, key, graph, domPtr, pathPtr] {
            for (Entry &x : m_entries) {
                if (x.key == key && x.graph == graph) {
                    x.dominators = domPtr;
                    x.paths = pathPtr;
                    emit analysed();
                }
            }
        };
    });
}

} // namespace leakscope
