#include "gui/livecontroller.h"

#include "live/agentclient.h"
#include "live/agentdiscovery.h"
#include "live/protocol.h"
#include "gui/sessioncontroller.h"
#include "lsnap/snapshotreader.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QStandardPaths>
#include <QTimer>

#ifdef Q_OS_LINUX
#include <csignal>
#include <sys/prctl.h>
#include <unistd.h>
#endif

Q_LOGGING_CATEGORY(lcLive, "leakscope.live")

namespace leakscope {

namespace {
constexpr int s_socketWaitMs = 15000;
constexpr int s_censusTimeoutMs = 120000;
// A heap graph of a few million objects takes tens of seconds to dump.
constexpr int s_graphTimeoutMs = 600000;
// Stop waits this long for the exit snapshot before it terminates the process.
constexpr int s_exitSnapshotMs = 5000;
} // namespace

LiveController::LiveController(SessionController *sessions, QObject *parent)
    : QObject(parent), m_sessions(sessions), m_client(new AgentClient(this)), m_timer(new QTimer(this)),
      m_socketPoll(new QTimer(this)), m_stopDeadline(new QTimer(this))
{
    m_stopDeadline->setSingleShot(true);
    m_stopDeadline->setInterval(s_exitSnapshotMs + 1000);
    connect(m_stopDeadline, &QTimer::timeout, this,
            [this] { terminateOwned(tr("the agent did not answer within %1 s").arg(s_exitSnapshotMs / 1000)); });
    m_timer->setInterval(int(m_intervalSeconds * 1000));
    connect(m_timer, &QTimer::timeout, this, &LiveController::onTimer);
    m_socketPoll->setInterval(100);
    connect(m_socketPoll, &QTimer::timeout, this, &LiveController::waitForSocket);
    connect(m_client, &AgentClient::connected, this, &LiveController::onConnected);
    connect(m_client, &AgentClient::replied, this, &LiveController::onReplied);
    connect(m_client, &AgentClient::failed, this, &LiveController::onFailed);
    connect(m_client, &AgentClient::disconnected, this, [this](const QString &reason) {
        m_timer->stop();
        if (m_state == State::Connected || m_state == State::Starting) {
            // A process we started reports its exit separately, with the code.
            if (m_process && m_process->state() != QProcess::NotRunning) {
                // Its agent creates the socket file a moment before it
                // listens: a refusal while it starts means "not yet", so
                // poll again within the same wait budget.
                if (m_state != State::Starting)
                    return;
                if (m_socketWait.isValid() && m_socketWait.elapsed() <= s_socketWaitMs) {
                    m_socketPoll->start();
                    return;
                }
                setState(State::Disconnected, tr("Process %1 runs but its agent refused the connection: %2")
                                                  .arg(m_pid)
                                                  .arg(reason));
                Q_EMIT errorOccurred(m_statusText);
                return;
            }
            setState(State::Disconnected, tr("Disconnected: %1").arg(reason));
        }
    });
}

LiveController::~LiveController()
{
    if (m_process && m_process->state() != QProcess::NotRunning) {
        m_process->disconnect(this);
        m_process->kill();
        m_process->waitForFinished(3000);
    }
}

QString LiveController::autosaveDirectory()
{
    const QString forced = qEnvironmentVariable("LEAKSCOPE_AUTOSAVE_DIR");
    if (!forced.isEmpty())
        return forced;
    QString base = qEnvironmentVariable("XDG_DATA_HOME");
    if (base.isEmpty())
        base = QDir::homePath() + QStringLiteral("/.local/share");
    return base + QStringLiteral("/leakscope/autosave");
}

void LiveController::setState(State state, const QString &text)
{
    const bool changed = state != m_state;
    m_state = state;
    if (text != m_statusText) {
        m_statusText = text;
        Q_EMIT statusTextChanged(text);
    }
    if (changed)
        Q_EMIT stateChanged(state);
}

Status LiveController::openAutosave(const QString &stem)
{
    const QString dir = autosaveDirectory();
    if (!QDir().mkpath(dir))
        return Status::failure(tr("%1: cannot create the autosave directory").arg(dir));
    QFile::setPermissions(dir, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    const QString stamp = QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"));
    QString path = QStringLiteral("%1/%2-%3.lsnap").arg(dir, stem, stamp);
    for (int i = 2; QFileInfo::exists(path); ++i)
        path = QStringLiteral("%1/%2-%3-%4.lsnap").arg(dir, stem, stamp).arg(i);
    m_autosave.close();
    const Status opened = m_autosave.open(path);
    if (!opened)
        return opened;
    m_autosavePath = path;
    m_knownIds.clear();
    m_snapshotsTaken = 0;
    return Status();
}

Status LiveController::runScript(const QString &python, const QString &script, const QStringList &arguments,
                                 const QString &workDir)
{
    if (isLive())
        return Status::failure(tr("Already watching process %1; stop it first").arg(m_pid));
    if (!QFileInfo(script).isFile())
        return Status::failure(tr("%1: no such script").arg(script));
    const Expected<AgentInstall> install = AgentInstaller::install();
    if (!install)
        return Status::failure(install.error());
    const Status autosave = openAutosave(QFileInfo(script).completeBaseName());
    if (!autosave)
        return autosave;
    // A new session: the snapshots of another process never join the open one.
    m_sessions->clear();
    m_stopping = false;
    m_stoppedByUser = false;
    m_exitSnapshotTaken = false;
    m_noExitSnapshot.clear();

    RecordOptions options;
    options.output = m_autosavePath;
    options.every = 0;
    options.collect = m_collect;
    options.serve = true;
    options.trace = m_traceFrames;

    delete m_process;
    m_process = new QProcess(this);
    m_process->setProcessEnvironment(
        AgentInstaller::recordEnvironment(QProcessEnvironment::systemEnvironment(), install.value(), options));
    m_process->setWorkingDirectory(workDir.isEmpty() ? QFileInfo(script).absolutePath() : workDir);
    connect(m_process, &QProcess::readyReadStandardOutput, this, [this] {
        Q_EMIT consoleOutput(QString::fromLocal8Bit(m_process->readAllStandardOutput()), false);
    });
    connect(m_process, &QProcess::readyReadStandardError, this, [this] {
        Q_EMIT consoleOutput(QString::fromLocal8Bit(m_process->readAllStandardError()), true);
    });
    connect(m_process, &QProcess::finished, this, &LiveController::onProcessFinished);
#ifdef Q_OS_LINUX
    // The program goes when Leakscope goes, even killed (the destructor stops
    // it on a normal exit): no demo left running in the background.
    const pid_t parent = ::getpid();
    m_process->setChildProcessModifier([parent] {
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (::getppid() != parent) // Leakscope died before the line above
            ::_exit(1);
    });
#endif
    connect(m_process, &QProcess::errorOccurred, this, [this, python](QProcess::ProcessError error) {
        if (error != QProcess::FailedToStart)
            return;
        m_socketPoll->stop();
        setState(State::Exited, tr("Could not start %1: %2").arg(python, m_process->errorString()));
        Q_EMIT errorOccurred(m_statusText);
    });

    QStringList args{QFileInfo(script).absoluteFilePath()};
    args += arguments;
    m_process->start(python, args);
    if (!m_process->waitForStarted(10000))
        return Status::failure(tr("Could not start %1: %2").arg(python, m_process->errorString()));
    m_pid = m_process->processId();
    Q_EMIT consoleOutput(tr("$ %1 %2\n").arg(python, args.join(QLatin1Char(' '))), false);
    setState(State::Starting, tr("Started %1 (pid %2), waiting for its agent").arg(QFileInfo(script).fileName()).arg(m_pid));
    m_socketWait.start();
    m_socketPoll->start();
    return Status();
}

void LiveController::waitForSocket()
{
    QString refusal;
    const QString path = AgentDiscovery::socketPathForPid(m_pid, &refusal);
    if (!path.isEmpty()) {
        m_socketPoll->stop();
        m_client->connectToAgent(path);
        return;
    }
    if (m_socketWait.elapsed() > s_socketWaitMs) {
        m_socketPoll->stop();
        setState(State::Disconnected,
                 refusal.isEmpty()
                     ? tr("Process %1 has no agent socket after %2 s").arg(m_pid).arg(s_socketWaitMs / 1000)
                     : tr("Process %1: %2").arg(m_pid).arg(refusal));
        Q_EMIT errorOccurred(m_statusText);
    }
}

Status LiveController::connectToPid(qint64 pid, const QString &socketPath)
{
    if (isLive())
        return Status::failure(tr("Already watching process %1; stop it first").arg(m_pid));
    QString refusal;
    const QString path = socketPath.isEmpty() ? AgentDiscovery::socketPathForPid(pid, &refusal) : socketPath;
    if (!refusal.isEmpty() && path.isEmpty() && AgentDiscovery::processAlive(pid))
        return Status::failure(tr("Process %1: %2").arg(pid).arg(refusal));
    if (path.isEmpty() || !AgentDiscovery::processAlive(pid))
        return Status::failure(tr("No Leakscope agent serves process %1 (start it with `leakscope-cli record` or "
                                  "call leakscope_agent.start_server())")
                                   .arg(pid));
    const Status autosave = openAutosave(QStringLiteral("live-%1").arg(pid));
    if (!autosave)
        return autosave;
    m_sessions->clear();
    m_stopping = false;
    m_stoppedByUser = false;
    connectToSocket(path, pid);
    return Status();
}

void LiveController::connectToSocket(const QString &socketPath, qint64 pid)
{
    m_pid = pid;
    setState(State::Starting, tr("Connecting to process %1").arg(pid));
    m_client->connectToAgent(socketPath);
}

void LiveController::onConnected()
{
    setState(State::Connected, tr("Watching process %1").arg(m_pid));
    syncFromAutosave();
    if (m_auto && !m_paused)
        m_timer->start();
}

void LiveController::stop()
{
    m_timer->stop();
    m_socketPoll->stop();
    if (m_process && m_process->state() != QProcess::NotRunning) {
        if (m_stopping || m_stoppedByUser) {
            // Stop again while the exit snapshot is on its way: now.
            terminateOwned(tr("stopped again before it was taken"));
            return;
        }
        // The program's last state first: what it holds when the user ends it
        // is often the leak. A running census becomes that snapshot; a heap
        // graph dump holds the agent for long, so it is not waited for.
        if (m_state != State::Connected || isGraphDumpRunning()) {
            terminateOwned(m_state != State::Connected ? tr("the agent was not serving yet")
                                                       : tr("a heap graph dump was under way"));
            return;
        }
        m_stopping = true;
        m_pendingLabel = QStringLiteral("exit");
        setState(m_state, tr("Stopping process %1: taking its exit snapshot…").arg(m_pid));
        if (!isCensusRunning()) {
            QJsonObject params;
            params.insert(QStringLiteral("collect"), m_collect);
            setCensusId(m_client->request(QStringLiteral("census"), params, s_exitSnapshotMs));
        }
        m_stopDeadline->start();
        return;
    }
    if (isLive()) {
        // Said before the socket closes, so the close is not reported as a
        // lost connection.
        setState(State::Disconnected,
                 tr("This window disconnected from process %1; the process still runs").arg(m_pid));
    }
    m_client->disconnectFromAgent();
}

void LiveController::terminateOwned(const QString &why)
{
    m_stopDeadline->stop();
    const bool wasStopping = m_stopping;
    m_stopping = false;
    if (!m_process || m_process->state() == QProcess::NotRunning)
        return;
    if (!m_exitSnapshotTaken && m_noExitSnapshot.isEmpty())
        m_noExitSnapshot = why;
    if (m_stoppedByUser && !wasStopping)
        return; // already terminating
    m_stoppedByUser = true;
    m_process->terminate();
    QTimer::singleShot(3000, m_process, [p = m_process] {
        if (p->state() != QProcess::NotRunning)
            p->kill();
    });
}

void LiveController::snapshotNow(const QString &label)
{
    if (m_state != State::Connected) {
        Q_EMIT errorOccurred(tr("No live process to take a snapshot of"));
        return;
    }
    if (isCensusRunning())
        return; // one census at a time; the next tick asks again
    m_pendingLabel = label;
    // Every snapshot records its large containers, as a recorded one does.
    setCensusId(m_client->request(Protocol::census(m_collect, false, true), s_censusTimeoutMs));
}

void LiveController::snapshotWithGraph(const QString &label)
{
    if (m_state != State::Connected) {
        Q_EMIT errorOccurred(tr("No live process to take a snapshot of"));
        return;
    }
    if (isCensusRunning()) {
        Q_EMIT errorOccurred(tr("A snapshot of process %1 is still being taken; try again when it is done").arg(m_pid));
        return;
    }
    ++m_snapshotsTaken;
    m_graphLabel = label.isEmpty() ? tr("live #%1 + graph").arg(m_snapshotsTaken) : label;
    setState(m_state, tr("Recording the heap graph of process %1…").arg(m_pid));
    setGraphId(m_client->request(
        Protocol::graphDump(QFileInfo(m_autosavePath).absoluteFilePath(), m_graphLabel, m_collect), s_graphTimeoutMs));
}

void LiveController::setCensusId(qint64 id)
{
    const bool wasRunning = isCensusRunning();
    m_censusId = id;
    if (wasRunning != isCensusRunning())
        Q_EMIT censusRunningChanged(isCensusRunning());
}

void LiveController::setGraphId(qint64 id)
{
    const bool wasRunning = isCensusRunning();
    m_graphId = id;
    if (wasRunning != isCensusRunning())
        Q_EMIT censusRunningChanged(isCensusRunning());
}

void LiveController::onReplied(qint64 id, const QJsonObject &result)
{
    if (id == m_graphId && id >= 0) {
        setGraphId(-1);
        setState(m_state, tr("Watching process %1").arg(m_pid));
        // The agent appended the snapshot and its graph to the autosave file;
        // only a snapshot that is there counts.
        const Expected<qint64> written = Protocol::parseGraphDump(
            result, QFileInfo(m_autosavePath).absoluteFilePath(), tr("process %1").arg(m_pid));
        syncFromAutosave();
        if (!written) {
            Q_EMIT errorOccurred(tr("Heap graph of process %1 failed: %2").arg(m_pid).arg(written.error()));
            return;
        }
        if (!m_knownIds.contains(written.value())) {
            Q_EMIT errorOccurred(tr("Heap graph of process %1 failed: the agent reported snapshot %2, but %3 does "
                                    "not hold it")
                                     .arg(m_pid)
                                     .arg(written.value())
                                     .arg(m_autosavePath));
            return;
        }
        Q_EMIT snapshotAdded(m_graphLabel);
        return;
    }
    if (id != m_censusId)
        return;
    setCensusId(-1);
    Expected<LiveSnapshot> live = Protocol::parseCensus(result, m_autosavePath);
    if (!live) {
        if (m_stopping) {
            terminateOwned(live.error());
            return;
        }
        Q_EMIT errorOccurred(live.error());
        return;
    }
    Snapshot &snapshot = live.value().snapshot;
    ++m_snapshotsTaken;
    snapshot.info.label = m_pendingLabel.isEmpty() ? tr("live #%1").arg(m_snapshotsTaken) : m_pendingLabel;
    const Expected<qint64> written = m_autosave.append(snapshot, live.value().types);
    if (written) {
        snapshot.info.id = written.value();
        m_knownIds.insert(written.value());
    } else {
        Q_EMIT errorOccurred(written.error());
    }
    m_sessions->addSnapshots({snapshot}, live.value().types, m_autosavePath);
    Q_EMIT snapshotAdded(snapshot.info.label);
    if (m_stopping) {
        m_exitSnapshotTaken = bool(written);
        terminateOwned(written ? QString() : written.error());
    }
}

void LiveController::onFailed(qint64 id, const QString &message)
{
    if (id == m_graphId && id >= 0) {
        setGraphId(-1);
        if (m_process && m_process->state() == QProcess::NotRunning)
            return;
        if (m_state == State::Connected)
            setState(m_state, tr("Watching process %1").arg(m_pid));
        Q_EMIT errorOccurred(tr("Heap graph of process %1 failed: %2").arg(m_pid).arg(message));
        return;
    }
    if (id != m_censusId)
        return;
    setCensusId(-1);
    // When the process died, its exit is the news, not the lost census.
    if (m_process && m_process->state() == QProcess::NotRunning)
        return;
    if (m_stopping) {
        terminateOwned(message);
        return;
    }
    // A program that ends stops its agent's server before the agent takes
    // the exit snapshot (no census may come after it): a census lost that
    // way is no failure, the exit and its snapshot follow.
    if (m_process && !m_client->isConnected())
        return;
    Q_EMIT errorOccurred(tr("Snapshot of process %1 failed: %2").arg(m_pid).arg(message));
}

void LiveController::onProcessFinished(int exitCode, QProcess::ExitStatus status)
{
    m_timer->stop();
    m_socketPoll->stop();
    Q_EMIT consoleOutput(QString::fromLocal8Bit(m_process->readAllStandardOutput()), false);
    Q_EMIT consoleOutput(QString::fromLocal8Bit(m_process->readAllStandardError()), true);
    m_stopDeadline->stop();
    m_stopping = false;
    QString description = status == QProcess::CrashExit
        ? tr("Process %1 was killed (%2)").arg(m_pid).arg(m_process->errorString())
        : tr("Process %1 exited with code %2").arg(m_pid).arg(exitCode);
    if (m_stoppedByUser) {
        description = m_exitSnapshotTaken
            ? tr("Stopped by you: process %1 ended after its exit snapshot").arg(m_pid)
            : tr("Stopped by you: process %1 ended without an exit snapshot (%2)")
                  .arg(m_pid)
                  .arg(m_noExitSnapshot.isEmpty() ? tr("none was taken") : m_noExitSnapshot);
    }
    m_client->disconnectFromAgent();
    setCensusId(-1);
    setGraphId(-1);
    syncFromAutosave();
    setState(State::Exited, description);
    Q_EMIT processExited(status == QProcess::CrashExit ? -1 : exitCode, description);
}

void LiveController::onTimer()
{
    if (!m_paused && m_state == State::Connected && !isCensusRunning() && !m_stopping && !m_stoppedByUser)
        snapshotNow();
}

void LiveController::setInterval(double seconds)
{
    m_intervalSeconds = std::max(0.1, seconds);
    m_timer->setInterval(int(m_intervalSeconds * 1000));
}

void LiveController::setAutoSnapshot(bool on)
{
    m_auto = on;
    if (on && !m_paused && m_state == State::Connected && !m_stopping && !m_stoppedByUser)
        m_timer->start();
    else if (!on)
        m_timer->stop();
}

void LiveController::setPaused(bool paused)
{
    m_paused = paused;
    if (paused)
        m_timer->stop();
    else if (m_auto && m_state == State::Connected)
        m_timer->start();
}

void LiveController::syncFromAutosave()
{
    if (m_autosavePath.isEmpty())
        return;
    Expected<LoadedFile> file = SnapshotReader::read(m_autosavePath);
    if (!file) {
        qCWarning(lcLive) << "cannot read the autosave file back:" << file.error();
        return;
    }
    std::vector<Snapshot> fresh;
    for (Snapshot &s : file.value().snapshots) {
        if (m_knownIds.contains(s.info.id))
            continue;
        m_knownIds.insert(s.info.id);
        fresh.push_back(std::move(s));
    }
    if (!fresh.empty())
        m_sessions->addSnapshots(fresh, file.value().types, m_autosavePath);
}

} // namespace leakscope
