#pragma once

#include "live/agentinstaller.h"
#include "core/expected.h"
#include "lsnap/snapshotwriter.h"

#include <QElapsedTimer>
#include <QObject>
#include <QProcess>
#include <QSet>
#include <QString>
#include <QStringList>

#include <memory>

class QTimer;

namespace leakscope {

class AgentClient;
class SessionController;

// Watches one live Python process through its agent: starts a script with the
// agent inside (or connects to a process that already serves), takes
// snapshots now or every N seconds, writes each one to an autosave .lsnap as it
// arrives and hands it to the SessionController. The process's output is
// relayed for the console pane; when the process exits every snapshot stays.
// Each run or connection starts a new session (never merged into the open
// one); Stop asks the agent for an exit snapshot before it terminates a
// process it started, and only disconnects from one it did not start.
class LiveController : public QObject
{
    Q_OBJECT
public:
    enum class State { Idle, Starting, Connected, Exited, Disconnected };
    Q_ENUM(State)

    explicit LiveController(SessionController *sessions, QObject *parent = nullptr);
    ~LiveController() override;

    // Starts `python script args` in workDir with the agent serving; the
    // agent itself also records a "start" and an "exit" snapshot.
    Status runScript(const QString &python, const QString &script, const QStringList &arguments,
                     const QString &workDir = QString());
    // tracemalloc frames for the next runScript (Run Python Script's "Trace
    // allocations"); 0: no tracing.
    void setTraceFrames(int frames) { m_traceFrames = frames; }
    // Connects to a process that serves (started by `leakscope-cli record`,
    // `python3 -m leakscope_agent run` or leakscope_agent.start_server()).
    // socketPath: where the agent serves when already known (an attach).
    Status connectToPid(qint64 pid, const QString &socketPath = QString());
    void connectToSocket(const QString &socketPath, qint64 pid);
    // A process we started: asks its agent for an "exit" snapshot (at most
    // a few seconds), then terminates it ("Stopped by you"). One we only
    // connected to: disconnects, and the process keeps running.
    void stop();
    // Stop was pressed and the exit snapshot is on its way.
    bool isStopping() const { return m_stopping; }

    void snapshotNow(const QString &label = QString());
    // A snapshot with the whole heap graph: the agent writes it into the
    // autosave file itself (graph_dump), and it joins the session from there,
    // with retained sizes and offline references like a recorded --graph file.
    void snapshotWithGraph(const QString &label = QString());
    void setInterval(double seconds);
    double interval() const { return m_intervalSeconds; }
    void setAutoSnapshot(bool on);
    bool autoSnapshot() const { return m_auto; }
    void setPaused(bool paused);
    bool isPaused() const { return m_paused; }
    void setCollect(bool collect) { m_collect = collect; }

    State state() const { return m_state; }
    bool isLive() const { return m_state == State::Starting || m_state == State::Connected; }
    bool ownsProcess() const { return m_process != nullptr; }
    qint64 pid() const { return m_pid; }
    // The connection to the agent, for other parts that ask it questions
    // (the References tab); requests are matched to replies by id.
    AgentClient *client() const { return m_client; }
    QString autosavePath() const { return m_autosavePath; }
    QString statusText() const { return m_statusText; }
    int snapshotsTaken() const { return m_snapshotsTaken; }
    // A census or a heap-graph dump is under way (one at a time).
    bool isCensusRunning() const { return m_censusId >= 0 || m_graphId >= 0; }
    bool isGraphDumpRunning() const { return m_graphId >= 0; }
    // The label of the heap-graph snapshot under way (snapshotAdded names it).
    QString pendingGraphLabel() const { return m_graphLabel; }

    // Where autosave files go: $XDG_DATA_HOME/leakscope/autosave (or ~/.local/share/...).
    static QString autosaveDirectory();
    // LEAKSCOPE_AUTOSAVE_DIR overrides it (tests).

Q_SIGNALS:
    void stateChanged(State state);
    void statusTextChanged(const QString &text);
    void consoleOutput(const QString &text, bool isError);
    void processExited(int exitCode, const QString &description);
    void snapshotAdded(const QString &label);
    void errorOccurred(const QString &message);
    void censusRunningChanged(bool running);

private:
    void setState(State state, const QString &text);
    Status openAutosave(const QString &stem);
    void waitForSocket();
    void onConnected();
    void onReplied(qint64 id, const QJsonObject &result);
    void onFailed(qint64 id, const QString &message);
    void onProcessFinished(int exitCode, QProcess::ExitStatus status);
    void onTimer();
    // Adds the snapshots the agent wrote into the autosave file by itself
    // ("start", "exit") that the session does not have yet.
    void syncFromAutosave();
    void setCensusId(qint64 id);
    void setGraphId(qint64 id);
    // The end of Stop for a process we started (after its exit snapshot).
    void terminateOwned(const QString &why = QString());

    SessionController *m_sessions;
    AgentClient *m_client;
    QTimer *m_timer;
    QTimer *m_socketPoll;
    QTimer *m_stopDeadline;
    QProcess *m_process = nullptr;
    int m_traceFrames = 0;
    QElapsedTimer m_socketWait;
    SnapshotWriter m_autosave;
    QString m_autosavePath;
    QSet<qint64> m_knownIds; // snapshot ids of the autosave file already in the session
    QString m_pendingLabel;
    QString m_statusText;
    State m_state = State::Idle;
    qint64 m_pid = 0;
    qint64 m_censusId = -1;
    qint64 m_graphId = -1;
    QString m_graphLabel;
    int m_snapshotsTaken = 0;
    double m_intervalSeconds = 1.0;
    bool m_auto = false;
    bool m_paused = false;
    bool m_collect = true;
    bool m_stopping = false;       // Stop pressed: exit snapshot on its way
    bool m_stoppedByUser = false;  // the process we started was terminated by Stop
    bool m_exitSnapshotTaken = false;
    QString m_noExitSnapshot;      // why there is none, when Stop could not take it
};

} // namespace leakscope
