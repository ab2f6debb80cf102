#pragma once

#include <QObject>
#include <QString>
#include <QThreadPool>

#include <atomic>
#include <functional>
#include <memory>

namespace leakscope {

// Runs slow work off the UI thread, one job at a time. Starting a job cancels
// the one before it; every job carries a generation number and a result that
// arrives after a newer job started (or after cancel()) is dropped.
class JobRunner : public QObject
{
    Q_OBJECT
public:
    // Handed to the work function on the worker thread.
    class Context
    {
    public:
        bool isCancelled() const;
        const std::atomic_bool *cancelFlag() const;
        // Thread-safe and throttled: at most one update per ~50 ms reaches the UI.
        void setProgress(qint64 done, qint64 total, const QString &text = {});

    private:
        friend class JobRunner;
        struct State;
        Context(std::shared_ptr<State> state, JobRunner *runner) : m_state(std::move(state)), m_runner(runner) {}
        std::shared_ptr<State> m_state;
        JobRunner *m_runner;
    };

    // Runs on a worker thread; returns what to do on the UI thread with the
    // result (called only when the job is still the current one).
    using Work = std::function<std::function<void()>(Context &)>;

    explicit JobRunner(QObject *parent = nullptr);
    ~JobRunner() override; // cancels and waits for the running job

    quint64 start(const QString &title, Work work);
    void cancel();
    bool isRunning() const { return m_running; }
    quint64 generation() const { return m_generation; }
    QString title() const { return m_title; }
    // Blocks until the worker thread is idle (tests, shutdown).
    void waitForIdle();

signals:
    void started(const QString &title);
    void progress(qint64 done, qint64 total, const QString &text);
    void finished();      // the result was applied
    void cancelled();     // the job was cancelled by cancel()

private:
    void postProgress(quint64 generation, qint64 done, qint64 total, const QString &text);

    QThreadPool m_pool;
    std::shared_ptr<Context::State> m_current;
    quint64 m_generation = 0;
    bool m_running = false;
    QString m_title;
};

} // namespace leakscope
