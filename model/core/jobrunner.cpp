#include "core/jobrunner.h"

#include <QElapsedTimer>
#include <QMetaObject>
#include <QMutex>

namespace leakscope {

struct JobRunner::Context::State
{
    quint64 generation = 0;
    std::atomic_bool cancel{false};
    QMutex mutex; // guards the throttle timer
    QElapsedTimer sinceLastProgress;
};

bool JobRunner::Context::isCancelled() const
{
    return m_state->cancel.load();
}

const std::atomic_bool *JobRunner::Context::cancelFlag() const
{
    return &m_state->cancel;
}

void JobRunner::Context::setProgress(qint64 done, qint64 total, const QString &text)
{
    {
        QMutexLocker lock(&m_state->mutex);
        const bool last = done >= total;
        if (m_state->sinceLastProgress.isValid() && m_state->sinceLastProgress.elapsed() < 50 && !last && text.isEmpty())
            return;
        m_state->sinceLastProgress.restart();
    }
    m_runner->postProgress(m_state->generation, done, total, text);
}

JobRunner::JobRunner(QObject *parent) : QObject(parent)
{
    // One worker: jobs of one runner never overlap, so they need no locking
    // between them; a superseded job finishes in the background and is dropped.
    m_pool.setMaxThreadCount(1);
}

JobRunner::~JobRunner()
{
    if (m_current)
        m_current->cancel = true;
    m_pool.waitForDone();
}

quint64 JobRunner::start(const QString &title, Work work)
{
    if (m_current)
        m_current->cancel = true;
    auto state = std::make_shared<Context::State>();
    state->generation = ++m_generation;
    m_current = state;
    m_running = true;
    m_title = title;
    emit started(title);

    m_pool.start([this, state, work = std::move(work)]() {
        if (state->cancel)
            return;
        Context context(state, this);
        std::function<void()> apply = work(context);
        const quint64 generation = state->generation;
        // Queued to the runner's thread; dropped there if a newer job started.
        QMetaObject::invokeMethod(
            this,
            [this, generation, apply = std::move(apply)]() {
                if (generation != m_generation)
                    return;
                m_running = false;
                m_current.reset();
                if (apply)
                    apply();
                emit finished();
            },
            Qt::QueuedConnection);
    });
    return state->generation;
}

void JobRunner::cancel()
{
    if (!m_running)
        return;
    if (m_current)
        m_current->cancel = true;
    m_current.reset();
    ++m_generation; // drop whatever the cancelled job still delivers
    m_running = false;
    emit cancelled();
}

void JobRunner::waitForIdle()
{
    m_pool.waitForDone();
}

void JobRunner::postProgress(quint64 generation, qint64 done, qint64 total, const QString &text)
{
    QMetaObject::invokeMethod(
        this,
        [this, generation, done, total, text]() {
            if (generation == m_generation && m_running)
                emit progress(done, total, text);
        },
        Qt::QueuedConnection);
}

} // namespace leakscope
