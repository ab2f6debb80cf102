#include "gui/sessioncontroller.h"

#include "lsnap/heapgraphstore.h"
#include "lsnap/snapshotreader.h"
#include "lsnap/snapshotwriter.h"

#include <QFileInfo>
#include <QLoggingCategory>

#include <algorithm>

Q_LOGGING_CATEGORY(lcController, "leakscope.gui.controller", QtWarningMsg)

namespace leakscope {

namespace {

// Retained sizes per type are a few kilobytes per snapshot; the graphs they
// come from are dropped as soon as they are computed.
constexpr size_t s_maxRetainedEntries = 256;

QString canonical(const QString &path)
{
    const QFileInfo info(path);
    const QString c = info.canonicalFilePath();
    return c.isEmpty() ? info.absoluteFilePath() : c;
}

// True when `after` holds the snapshots of `before` at the same indices, with
// the new ones after them (what a live feed does), so indices stay meaningful.
bool appendedAfter(const Session &before, const Session &after)
{
    const int n = before.snapshotCount();
    if (n == 0 || after.snapshotCount() < n)
        return false;
    const SnapshotInfo &a = before.snapshot(n - 1).info;
    const SnapshotInfo &b = after.snapshot(n - 1).info;
    return a.id == b.id && a.sourceFile == b.sourceFile && a.takenAt == b.takenAt;
}

} // namespace

SessionController::SessionController(QObject *parent)
    : QObject(parent),
      m_loader(new JobRunner(this)),
      m_comparer(new JobRunner(this)),
      m_saver(new JobRunner(this)),
      m_retainer(new JobRunner(this)),
      m_graphs(std::make_shared<HeapGraphService>(HeapGraphStore::readArrays)),
      m_session(std::make_shared<Session>())
{
    auto updateBusy = [this] {
        const bool busy = isBusy();
        if (busy != m_busy) {
            m_busy = busy;
            emit busyChanged(busy);
        }
    };
    for (JobRunner *r : {m_loader, m_comparer, m_saver, m_retainer}) {
        connect(r, &JobRunner::started, this, updateBusy);
        connect(r, &JobRunner::finished, this, updateBusy);
        connect(r, &JobRunner::cancelled, this, updateBusy);
    }
    connect(m_loader, &JobRunner::cancelled, this, [this] { m_pending.clear(); });
}

SessionController::~SessionController() = default;

bool SessionController::isBusy() const
{
    return m_loader->isRunning() || m_comparer->isRunning() || m_saver->isRunning() || m_retainer->isRunning();
}

void SessionController::openFiles(const QStringList &paths)
{
    Batch batch;
    for (const QString &p : paths) {
        const QString path = canonical(p);
        if (m_files.contains(path)) {
            qCInfo(lcController) << "already open:" << path;
            emit fileFailed(path, tr("%1: already open in this session").arg(path));
            continue;
        }
        bool queued = batch.paths.contains(path);
        for (const Batch &b : m_pending)
            queued = queued || b.paths.contains(path);
        if (!queued)
            batch.paths << path;
    }
    if (batch.paths.isEmpty())
        return;
    m_pending.push_back(std::move(batch));
    if (!m_loader->isRunning())
        startNextBatch();
}

void SessionController::addLoadedFiles(std::vector<LoadedFile> files)
{
    Batch batch;
    batch.inMemory = std::move(files);
    m_pending.push_back(std::move(batch));
    if (!m_loader->isRunning())
        startNextBatch();
}

void SessionController::addSnapshots(const std::vector<Snapshot> &snapshots, const TypeRegistry &types,
                                     const QString &source)
{
    LoadedFile f;
    f.path = source;
    f.types = types;
    f.snapshots = snapshots;
    std::vector<LoadedFile> files;
    files.push_back(std::move(f));
    addLoadedFiles(std::move(files));
}

void SessionController::startNextBatch()
{
    if (m_pending.empty())
        return;
    auto batch = std::make_shared<Batch>(std::move(m_pending.front()));
    m_pending.erase(m_pending.begin());
    const std::shared_ptr<const Session> base = m_session;
    // A live feed appends one snapshot at a time: keep the baseline the user
    // chose and let "current" follow the newest snapshot when it was the newest.
    const int keptBaseline = m_baseline;
    const int keptCurrent = m_current;

    const QString title = batch->paths.size() == 1 ? tr("Opening %1").arg(QFileInfo(batch->paths.front()).fileName())
                          : batch->paths.isEmpty() ? tr("Adding snapshots")
                                                   : tr("Opening %1 files").arg(batch->paths.size());
    m_loader->start(title, [this, batch, base, keptBaseline, keptCurrent](JobRunner::Context &ctx) -> std::function<void()> {
        // Reading is the long part: it gets 90% of the bar.
        constexpr qint64 scale = 1000;
        const qint64 files = std::max<qint64>(1, batch->paths.size());
        std::vector<LoadedFile> loaded = std::move(batch->inMemory);
        QStringList opened;
        std::vector<std::pair<QString, QString>> failed;
        for (qint64 f = 0; f < batch->paths.size(); ++f) {
            const QString &path = batch->paths[int(f)];
            const QString name = QFileInfo(path).fileName();
            ctx.setProgress(f * scale * 9 / 10 / files, scale, tr("Reading %1").arg(name));
            auto result = SnapshotReader::read(
                path,
                [&](qint64 done, qint64 total) {
                    const qint64 part = total > 0 ? done * scale / total : 0;
                    ctx.setProgress((f * scale + part) * 9 / 10 / files, scale);
                },
                ctx.cancelFlag());
            if (ctx.isCancelled())
                return {};
            if (!result) {
                failed.emplace_back(path, result.error());
                continue;
            }
            opened << path;
            loaded.push_back(result.take());
        }
        ctx.setProgress(scale * 9 / 10, scale, tr("Merging snapshots"));
        auto session = std::make_shared<Session>(*base);
        for (const LoadedFile &f : loaded)
            session->addFile(f);
        if (ctx.isCancelled())
            return {};
        ctx.setProgress(scale * 95 / 100, scale, tr("Computing growth"));
        const int n = session->snapshotCount();
        int baseline = n > 0 ? 0 : -1;
        int current = n - 1;
        const int oldCount = base->snapshotCount();
        if (appendedAfter(*base, *session) && keptBaseline >= 0 && keptBaseline < oldCount) {
            baseline = keptBaseline;
            current = keptCurrent == oldCount - 1 ? n - 1 : keptCurrent;
        }
        auto comparison = std::make_shared<Comparison>(GrowthAnalysis::compare(*session, baseline, current));
        ctx.setProgress(scale, scale);
        const bool changed = !loaded.empty();
        return [this, session, comparison, opened, failed, changed]() {
            for (const auto &[path, error] : failed)
                emit fileFailed(path, error);
            m_files << opened;
            if (changed) {
                m_baseline = comparison->baseline;
                m_current = comparison->current;
                publish(session, comparison);
            }
            for (const QString &p : opened)
                emit fileOpened(p);
            startNextBatch();
        };
    });
}

void SessionController::publish(std::shared_ptr<const Session> session, std::shared_ptr<const Comparison> comparison)
{
    const bool sessionChangedToo = session != m_session;
    m_session = std::move(session);
    m_comparison = withRetained(std::move(comparison));
    // Started first, so whoever sees the comparison sees the job too.
    requestRetained();
    if (sessionChangedToo)
        emit sessionChanged();
    emit comparisonChanged();
}

std::shared_ptr<const RetainedByType> SessionController::cachedRetained(const QString &file, qint64 snapshotId) const
{
    const RetainedEntry *e = retainedEntry(GraphKey(file, snapshotId));
    return e ? e->retained : nullptr;
}

bool SessionController::graphKey(int snapshot, GraphKey *key) const
{
    if (!m_session || snapshot < 0 || snapshot >= m_session->snapshotCount())
        return false;
    const SnapshotInfo &info = m_session->snapshot(snapshot).info;
    // A live snapshot has no file to load its graph from.
    if (!info.hasGraph || info.sourceFile.isEmpty())
        return false;
    *key = GraphKey(info.sourceFile, info.id);
    return true;
}

const SessionController::RetainedEntry *SessionController::retainedEntry(const GraphKey &key) const
{
    for (const RetainedEntry &e : m_retained)
        if (e.key == key)
            return &e;
    return nullptr;
}

std::shared_ptr<const Comparison> SessionController::withRetained(std::shared_ptr<const Comparison> comparison) const
{
    if (!comparison)
        return comparison;
    GraphKey key;
    const RetainedEntry *baseline = graphKey(comparison->baseline, &key) ? retainedEntry(key) : nullptr;
    const RetainedEntry *current = graphKey(comparison->current, &key) ? retainedEntry(key) : nullptr;
    // Fresh comparisons have every retained field unknown already.
    if (!baseline && !current)
        return comparison;
    auto filled = std::make_shared<Comparison>(*comparison);
    RetainedByType::fill(*filled, m_session->types(), baseline ? baseline->retained.get() : nullptr,
                         current ? current->retained.get() : nullptr);
    return filled;
}

bool SessionController::isCompared(const GraphKey &key) const
{
    if (!m_comparison)
        return false;
    GraphKey k;
    return (graphKey(m_comparison->baseline, &k) && k == key) || (graphKey(m_comparison->current, &k) && k == key);
}

void SessionController::releaseUncomparedGraphs()
{
    m_heldGraphs.erase(std::remove_if(m_heldGraphs.begin(), m_heldGraphs.end(),
                                      [this](const HeldGraph &h) { return !isCompared(h.key); }),
                       m_heldGraphs.end());
}

void SessionController::requestRetained()
{
    // Graphs of snapshots no longer compared are let go.
    releaseUncomparedGraphs();
    std::vector<GraphKey> missing;
    if (m_comparison) {
        for (int snapshot : {m_comparison->current, m_comparison->baseline}) {
            GraphKey key;
            if (graphKey(snapshot, &key) && !retainedEntry(key)
                && std::find(missing.begin(), missing.end(), key) == missing.end())
                missing.push_back(key);
        }
    }
    const QString title = tr("Computing retained sizes\u2026");
    if (missing.empty()) {
        // Whatever a running job computes is no longer shown: supersede it
        // quietly (cancel() would say "Cancelled" in the status bar).
        if (m_retainer->isRunning())
            m_retainer->start(title, [](JobRunner::Context &) -> std::function<void()> { return {}; });
        return;
    }
    const std::shared_ptr<HeapGraphService> graphs = m_graphs;
    m_retainer->start(title, [this, graphs, missing, title](JobRunner::Context &ctx) -> std::function<void()> {
        // Reading the graph and its dominator tree take about as long: the
        // service reports both phases, each snapshot gets an equal part.
        constexpr qint64 scale = 1000;
        const qint64 parts = qint64(missing.size());
        qint64 part = 0;
        TaskControl control;
        control.cancel = ctx.cancelFlag();
        control.progress = [&ctx, &part, parts](const char *phase, qint64 done, qint64 total) {
            const qint64 within = total > 0 ? std::min(done, total) * scale / total : 0;
            const qint64 half = qstrcmp(phase, "dominators") == 0 ? scale / 2 : 0;
            ctx.setProgress((part * scale + half + within / 2) / parts, scale);
        };
        std::vector<RetainedEntry> computed;
        std::vector<HeldGraph> held;
        QStringList errors;
        for (const GraphKey &key : missing) {
            const QString what = tr("%1, snapshot %2").arg(QFileInfo(key.first).fileName()).arg(key.second);
            ctx.setProgress(part * scale / parts, scale, tr("%1 heap graph of %2").arg(title, what));
            Expected<AnalysedGraphPtr> graph = graphs->get({key.first, key.second}, HeapGraphService::RetainedTypes, control);
            if (ctx.isCancelled())
                return {};
            ++part;
            if (!graph) {
                errors << graph.error();
                computed.push_back(RetainedEntry{key, nullptr});
                continue;
            }
            computed.push_back(RetainedEntry{key, graph.value()->retained});
            held.push_back(HeldGraph{key, graph.value()});
        }
        ctx.setProgress(scale, scale);
        return [this, computed = std::move(computed), held = std::move(held), errors]() {
            // The compared graphs stay in memory for the References and
            // Retainers tabs (the service hands them the same objects).
            releaseUncomparedGraphs();
            for (const HeldGraph &h : held)
                if (isCompared(h.key))
                    m_heldGraphs.push_back(h);
            for (const RetainedEntry &e : computed) {
                m_retained.erase(std::remove_if(m_retained.begin(), m_retained.end(),
                                                [&e](const RetainedEntry &x) { return x.key == e.key; }),
                                 m_retained.end());
                m_retained.push_back(e);
            }
            if (m_retained.size() > s_maxRetainedEntries)
                m_retained.erase(m_retained.begin(), m_retained.end() - std::ptrdiff_t(s_maxRetainedEntries));
            for (const QString &error : errors) {
                qCWarning(lcController) << error;
                emit retainedFailed(tr("Retained sizes unknown: %1").arg(error));
            }
            // A newer comparison would have superseded this job: the one shown
            // is the one these sizes were computed for.
            std::shared_ptr<const Comparison> filled = withRetained(m_comparison);
            if (filled != m_comparison) {
                m_comparison = std::move(filled);
                emit comparisonChanged();
            }
        };
    });
}

void SessionController::setComparedSnapshots(int baseline, int current)
{
    const int n = m_session->snapshotCount();
    if (baseline < 0 || baseline >= n || current < 0 || current >= n)
        return;
    if (baseline == m_baseline && current == m_current && !m_comparer->isRunning())
        return;
    m_baseline = baseline;
    m_current = current;
    const std::shared_ptr<const Session> session = m_session;
    m_comparer->start(tr("Computing growth"), [this, session, baseline, current](JobRunner::Context &) -> std::function<void()> {
        auto comparison = std::make_shared<Comparison>(GrowthAnalysis::compare(*session, baseline, current));
        return [this, session, comparison]() {
            // A load that finished meanwhile published a newer session.
            if (session != m_session)
                return;
            publish(session, comparison);
        };
    });
}

void SessionController::clear()
{
    m_pending.clear();
    m_loader->cancel();
    m_comparer->cancel();
    m_retainer->cancel();
    m_retained.clear();
    m_heldGraphs.clear();
    m_files.clear();
    m_baseline = m_current = -1;
    publish(std::make_shared<Session>(), std::make_shared<Comparison>());
}

void SessionController::cancel()
{
    m_pending.clear();
    m_loader->cancel();
    m_comparer->cancel();
    m_retainer->cancel();
}

void SessionController::saveSessionAs(const QString &path)
{
    const std::shared_ptr<const Session> session = m_session;
    const QString title = tr("Saving %1").arg(QFileInfo(path).fileName());
    m_saver->start(title, [this, session, path, title](JobRunner::Context &ctx) -> std::function<void()> {
        std::vector<const Snapshot *> snapshots;
        snapshots.reserve(size_t(session->snapshotCount()));
        for (int i = 0; i < session->snapshotCount(); ++i)
            snapshots.push_back(&session->snapshot(i));
        // Heap graphs go along: read from the file each came from, written
        // into the new file before it replaces anything.
        const auto copyGraphs = [&ctx, &snapshots, &title](const QString &temporary,
                                                          const std::vector<qint64> &ids) -> Status {
            int total = 0;
            for (const Snapshot *s : snapshots)
                total += s->info.hasGraph && !s->info.sourceFile.isEmpty() ? 1 : 0;
            int done = 0;
            TaskControl control;
            control.cancel = ctx.cancelFlag();
            for (size_t i = 0; i < snapshots.size(); ++i) {
                const SnapshotInfo &info = snapshots[i]->info;
                if (!info.hasGraph || info.sourceFile.isEmpty() || ids[i] < 0)
                    continue;
                ctx.setProgress(done, total, tr("%1: heap graph of %2").arg(title, info.label));
                Expected<HeapGraphArrays> arrays = HeapGraphStore::readArrays(info.sourceFile, info.id, control);
                if (ctx.isCancelled())
                    return Status::failure(tr("cancelled"));
                if (!arrays)
                    return Status::failure(tr("cannot copy the heap graph of \u201c%1\u201d: %2").arg(info.label, arrays.error()));
                const Status written = HeapGraphStore::write(temporary, ids[i], arrays.value());
                if (!written)
                    return Status::failure(tr("cannot copy the heap graph of \u201c%1\u201d: %2").arg(info.label, written.error()));
                ++done;
            }
            return Status();
        };
        const Status status = SnapshotWriter::writeFile(path, snapshots, session->types(), copyGraphs);
        return [this, status, path]() {
            if (status)
                emit sessionSaved(path);
            else
                emit saveFailed(path, status.error());
        };
    });
}

} // namespace leakscope
