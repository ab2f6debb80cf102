#pragma once

#include "core/expected.h"
#include "live/pythonprocess.h"

#include <QElapsedTimer>
#include <QObject>
#include <QString>

#include <functional>
#include <memory>

class QProcess;
class QTemporaryDir;
class QTimer;

namespace leakscope {

struct AttachOptions
{
    double timeoutSeconds = 10.0; // until the main thread reaches a safe point
    // Run the agent's start code from gdb right where the process stopped
    // (PyGILState_Ensure + PyRun_SimpleString) instead of waiting for a safe
    // point: works when the main thread is blocked in a C call, but can crash
    // or deadlock a process stopped inside the allocator or the interpreter.
    bool unsafeDirect = false;
    QString gdb;       // the gdb executable; empty: "gdb" from PATH
    QString cacheRoot; // where the agent is unpacked; empty: AgentInstaller's default
};

// Loads the agent into a running CPython 3.8+ process that was started
// without it, and starts its live server (docs/protocol.md, "Attaching").
// gdb stops the process, queues a pending call with Py_AddPendingCall and
// waits for the main thread to run it between two bytecodes (a safe point,
// GIL held); there it runs a few lines of bootstrap code that load the
// agent from its per-user unpacked copy and start the server, then detaches.
// Asynchronous (gdb runs as a QProcess): progress(), then exactly one of
// succeeded() or failed() with a one-line message that says what to do.
class AgentAttacher : public QObject
{
    Q_OBJECT
public:
    enum class Phase { Idle, Attaching, WaitingForSafePoint, Injecting, WaitingForAgent };
    Q_ENUM(Phase)

    explicit AgentAttacher(QObject *parent = nullptr);
    ~AgentAttacher() override;

    void start(qint64 pid, const AttachOptions &options = AttachOptions());
    // Gives up before the agent's code runs (the target is left as it was);
    // once the injection began it can only be waited for.
    void cancel();
    bool isRunning() const { return m_phase != Phase::Idle; }
    bool canCancel() const { return m_phase == Phase::Attaching || m_phase == Phase::WaitingForSafePoint; }
    Phase phase() const { return m_phase; }
    qint64 pid() const { return m_pid; }

    // Blocking convenience for the command line (runs a local event loop).
    static Expected<QString> attach(qint64 pid, const AttachOptions &options,
                                    const std::function<void(const QString &)> &progress = {});
    // Asks the agent of pid to stop its server (op "stop_server") and waits
    // until its socket is gone. The program keeps running.
    static Status detach(qint64 pid, int timeoutMs = 10000);

    // The line a user sees when ptrace is refused: the Yama setting read from
    // procPath (or the missing capability in a container).
    static QString ptraceRefusedMessage(qint64 pid, const QString &procPath = QStringLiteral("/proc/sys/kernel/yama/ptrace_scope"));
    // The gdb command file for an attach (exposed for tests and --verbose).
    static QByteArray gdbScript(const QString &agentDir, const QString &resultPath, bool unsafeDirect);

Q_SIGNALS:
    void progress(const QString &text);
    void phaseChanged(leakscope::AgentAttacher::Phase phase);
    void succeeded(const QString &socketPath);
    void failed(const QString &message);

private:
    void setPhase(Phase phase, const QString &text);
    void finish(const QString &socketPath, const QString &error);
    void onGdbOutput();
    void onGdbFinished();
    void onTick();
    void interruptTarget();
    void waitForAgent(const QString &socketPath);
    QString explainGdbFailure() const;
    bool tracedByGdb() const;

    QProcess *m_gdb = nullptr;
    QTimer *m_tick = nullptr;
    std::unique_ptr<QTemporaryDir> m_tmp;
    QString m_resultPath;
    QByteArray m_output;
    QByteArray m_lineBuffer;
    QElapsedTimer m_clock;
    AttachOptions m_options;
    Phase m_phase = Phase::Idle;
    qint64 m_pid = 0;
    bool m_interrupted = false; // we stopped the wait (timeout or cancel)
    bool m_cancelled = false;
    bool m_interruptSent = false;
    bool m_sawHit = false;
    QString m_mainThreadState;  // what the main thread was doing, after a timeout
};

} // namespace leakscope
