#include "heapgraph/heapgraphrequest.h"

#include "core/jobrunner.h"

#include <QFileInfo>

#include <algorithm>

namespace leakscope {

HeapGraphRequest::HeapGraphRequest(std::shared_ptr<HeapGraphService> service, QObject *parent)
    : QObject(parent), m_service(std::move(service)), m_runner(new JobRunner(this))
{
}

HeapGraphRequest::~HeapGraphRequest() = default;

AnalysedGraphPtr HeapGraphRequest::result(const Key &key) const
{
    for (const AnalysedGraphPtr &r : m_results)
        if (r->key == key)
            return r;
    return nullptr;
}

bool HeapGraphRequest::isRunning() const
{
    return m_runner->isRunning();
}

void HeapGraphRequest::cancel()
{
    m_runner->cancel();
}

void HeapGraphRequest::clear()
{
    m_runner->cancel();
    m_results.clear();
}

bool HeapGraphRequest::request(const std::vector<Item> &items)
{
    std::vector<AnalysedGraphPtr> found;
    for (const Item &item : items) {
        AnalysedGraphPtr r = result(item.key);
        if (!r || !r->has(item.analyses))
            r = m_service->find(item.key, item.analyses);
        if (!r)
            break;
        found.push_back(std::move(r));
    }
    if (found.size() == items.size()) {
        // A job still running for an older request must not replace these.
        if (m_runner->isRunning())
            m_runner->start(QString(), [](JobRunner::Context &) -> std::function<void()> { return {}; });
        m_results = std::move(found);
        return true;
    }
    // The same graphs are being fetched already: let that job deliver
    // (restarting it would throw away what it read so far).
    const auto same = [](const Item &a, const Item &b) { return a.key == b.key && a.analyses == b.analyses; };
    if (m_runner->isRunning() && std::equal(items.begin(), items.end(), m_running.begin(), m_running.end(), same))
        return false;
    m_running = items;
    m_error.clear();
    const std::shared_ptr<HeapGraphService> service = m_service;
    const QString title = tr("Loading heap graph of %1").arg(QFileInfo(items.front().key.file).fileName());
    m_runner->start(title, [this, service, items](JobRunner::Context &context) -> std::function<void()> {
        std::vector<AnalysedGraphPtr> got;
        QString error;
        // Each item is an equal part of the bar; the phases of one item
        // ("reading", "in-edges", "dominators", "root paths") share it.
        const qint64 scale = 1000;
        const qint64 parts = qint64(items.size());
        qint64 part = 0;
        for (const Item &item : items) {
            const QString what = tr("%1, snapshot %2").arg(QFileInfo(item.key.file).fileName()).arg(item.key.snapshotId);
            TaskControl control;
            control.cancel = context.cancelFlag();
            control.progress = [&context, &part, parts, what](const char *phase, qint64 done, qint64 total) {
                const qint64 within = total > 0 ? std::min(done, total) * scale / total : 0;
                context.setProgress((part * scale + within) / parts, scale,
                                    tr("%1: %2").arg(what, QString::fromUtf8(phase)));
            };
            Expected<AnalysedGraphPtr> r = service->get(item.key, item.analyses, control);
            if (context.isCancelled())
                return {};
            ++part;
            if (!r) {
                error = r.error();
                break;
            }
            got.push_back(r.take());
        }
        return [this, got = std::move(got), error]() mutable {
            if (!error.isEmpty()) {
                m_error = error;
                emit failed(error);
                return;
            }
            m_results = std::move(got);
            emit ready();
        };
    });
    return false;
}

} // namespace leakscope
