#include "live/agentattacher.h"

#include "live/agentclient.h"
#include "live/agentdiscovery.h"
#include "live/agentinstaller.h"

#include <QCoreApplication>
#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QThread>
#include <QTimer>

#include <optional>

#include <signal.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcAttach, "leakscope.attach", QtWarningMsg)

namespace leakscope {

namespace {

// The name the bootstrap loads the agent package under (leakscope_agent/_attach.py).
constexpr char s_packageAlias[] = "_leakscope_attached_agent";

// The first argument register at a function's entry: the breakpoint on
// PyCallable_Check fires only for the pending call we queued (its argument
// is NULL; no other caller passes NULL).
#if defined(__x86_64__)
constexpr char s_firstArgument[] = "$rdi";
#elif defined(__aarch64__)
constexpr char s_firstArgument[] = "$x0";
#elif defined(__i386__)
constexpr char s_firstArgument[] = "*(long *)($esp + 4)";
#else
constexpr char s_firstArgument[] = "0";
#endif

QByteArray hexPath(const QString &path)
{
    return QFile::encodeName(path).toHex();
}

// Python code run inside the target, in a namespace of its own (nothing is
// bound in __main__): load the agent from the unpacked copy under a private
// name without touching sys.path, start the server, report to resultPath.
// Every failure is caught and written to the result file instead of the
// program's stderr. ASCII only: paths travel hex-encoded.
QByteArray bootstrapSource(const QString &agentDir, const QString &resultPath)
{
    QByteArray src =
        "import sys\n"
        "def _p(h):\n"
        "    return bytes.fromhex(h).decode(sys.getfilesystemencoding(), 'surrogateescape')\n"
        "r = _p('@RESULT@')\n"
        "try:\n"
        "    n = '@ALIAS@'\n"
        // A pending call also runs while the interpreter shuts down
        // (_Py_FinishPendingCalls), with no Python frame under ours: never
        // start a server in a process that is exiting.
        "    if sys.is_finalizing() or sys._getframe(1).f_back is None:\n"
        "        raise SystemExit('exiting')\n"
        "    a = sys.modules.get(n + '._attach')\n"
        "    fresh = a is None\n"
        "    if fresh:\n"
        "        d = _p('@DIR@') + '/leakscope_agent'\n"
        "        s = sys.modules['_frozen_importlib_external'].spec_from_file_location(\n"
        "            n, d + '/__init__.py', submodule_search_locations=[d])\n"
        "        m = sys.modules['_frozen_importlib'].module_from_spec(s)\n"
        "        sys.modules[n] = m\n"
        "        try:\n"
        "            s.loader.exec_module(m)\n"
        "            __import__(n + '._attach')\n"
        "            a = sys.modules[n + '._attach']\n"
        "        except BaseException:\n"
        "            for k in list(sys.modules):\n"
        "                if k == n or k.startswith(n + '.'):\n"
        "                    del sys.modules[k]\n"
        "            raise\n"
        // A server that did not start leaves no agent modules behind.
        "    if not a.attach(r) and fresh:\n"
        "        for k in list(sys.modules):\n"
        "            if k == n or k.startswith(n + '.'):\n"
        "                del sys.modules[k]\n"
        "except BaseException as x:\n"
        "    try:\n"
        "        with open(r, 'x') as f:\n"
        "            f.write('%s: %s' % (type(x).__name__, x))\n"
        "    except BaseException:\n"
        "        pass\n";
    src.replace("@RESULT@", hexPath(resultPath));
    src.replace("@DIR@", hexPath(agentDir));
    src.replace("@ALIAS@", s_packageAlias);
    // One statement for PyRun_SimpleString (which runs in __main__'s
    // namespace): exec of the source in a fresh dict.
    QByteArray literal;
    for (char c : src) {
        if (c == '\n')
            literal += "\\n";
        else if (c == '\'' || c == '\\')
            literal += QByteArray("\\") + c;
        else
            literal += c;
    }
    return "exec('" + literal + "', {'__name__': '" + s_packageAlias + "_bootstrap'})\n";
}

// A C string literal for gdb.
QByteArray gdbString(const QByteArray &text)
{
    QByteArray out = "\"";
    for (char c : text) {
        if (c == '\n')
            out += "\\n";
        else if (c == '"' || c == '\\')
            out += QByteArray("\\") + c;
        else
            out += c;
    }
    return out + '"';
}

QString readSmallFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return QString();
    return QString::fromUtf8(f.read(64 * 1024));
}

// Gone, or a zombie its parent has not reaped yet.
bool processGone(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return true;
    const QByteArray stat = f.readAll();
    const qsizetype close = stat.lastIndexOf(')');
    const char state = close >= 0 && close + 2 < stat.size() ? stat.at(close + 2) : '?';
    return state == 'Z' || state == 'X';
}

} // namespace

AgentAttacher::AgentAttacher(QObject *parent)
    : QObject(parent)
    , m_tick(new QTimer(this))
{
    m_tick->setInterval(50);
    connect(m_tick, &QTimer::timeout, this, &AgentAttacher::onTick);
}

AgentAttacher::~AgentAttacher()
{
    if (m_gdb && m_gdb->state() != QProcess::NotRunning) {
        // Never kill gdb while it has the process stopped with breakpoints
        // in it: stop the wait and let gdb detach cleanly.
        if (canCancel())
            interruptTarget();
        m_gdb->waitForFinished(30000);
    }
}

QByteArray AgentAttacher::gdbScript(const QString &agentDir, const QString &resultPath, bool unsafeDirect)
{
    const QByteArray code = bootstrapSource(agentDir, resultPath);
    const QByteArray size = QByteArray::number(code.size() + 1);
    QByteArray s;
    s += "set pagination off\nset confirm off\nset width 0\nset height 0\n"
         // A signal inside a function gdb called unwinds that call.
         "set unwindonsignal on\n"
         // The program's own signals pass straight through while gdb waits;
         // SIGURG is how the attacher stops the wait (timeout, cancel).
         "handle all nostop noprint pass\n"
         "handle SIGINT nostop noprint pass\n"
         "handle SIGURG stop print nopass\n"
         "sharedlibrary libpython\n"
         "echo LEAKSCOPE-STEP symbols\\n\n";
    for (const char *symbol : {"Py_AddPendingCall", "PyCallable_Check", "PyRun_SimpleString", "PyMem_RawMalloc",
                               "PyMem_RawFree", "PyGILState_Ensure", "PyGILState_Release", "PyGILState_Check"})
        s += QByteArray("info address ") + symbol + '\n';
    const QByteArray inject =
        "handle SIGURG nostop noprint nopass\n"
        "echo LEAKSCOPE-STEP inject\\n\n"
        "set $ls_buf = (char *) PyMem_RawMalloc(" + size + ")\n"
        "if $ls_buf == 0\n"
        "  echo LEAKSCOPE-NOMEM\\n\n"
        "else\n"
        "  set {char[" + size + "]} $ls_buf = " + gdbString(code) + "\n"
        "  set $ls_rc = (int) PyRun_SimpleString($ls_buf)\n"
        "  call (void) PyMem_RawFree($ls_buf)\n"
        "  printf \"LEAKSCOPE-RAN %d\\n\", $ls_rc\n"
        "end\n";
    if (unsafeDirect) {
        s += "thread 1\n"
             "set $ls_gil = (int) PyGILState_Ensure()\n" + inject +
             "call (void) PyGILState_Release($ls_gil)\n";
    } else {
        s += "set $ls_hit = 0\n"
             "break *PyCallable_Check if " + QByteArray(s_firstArgument) + " == 0\n"
             "commands\nsilent\nset $ls_hit = 1\nend\n"
             "set $ls_rc = (int) Py_AddPendingCall((void *) &PyCallable_Check, (void *) 0)\n"
             "printf \"LEAKSCOPE-PENDING %d\\n\", $ls_rc\n"
             "if $ls_rc != 0\n  delete\n  detach\n  quit\nend\n"
             "echo LEAKSCOPE-STEP waiting\\n\n"
             "continue\n"
             "delete\n"
             "if $ls_hit == 1\n" + inject +
             "else\n"
             "  echo LEAKSCOPE-NOHIT\\n\n"
             "  handle SIGURG nostop noprint nopass\n"
             "  thread 1\n"
             "  printf \"LEAKSCOPE-GIL %d\\n\", (int) PyGILState_Check()\n"
             "  sharedlibrary libc\n"
             "  echo LEAKSCOPE-BT\\n\n"
             "  bt 4\n"
             "  echo LEAKSCOPE-BT-END\\n\n"
             "end\n";
    }
    s += "detach\nquit\n";
    return s;
}

void AgentAttacher::setPhase(Phase phase, const QString &text)
{
    if (m_phase != phase) {
        m_phase = phase;
        Q_EMIT phaseChanged(phase);
    }
    if (!text.isEmpty())
        Q_EMIT progress(text);
}

void AgentAttacher::start(qint64 pid, const AttachOptions &options)
{
    if (isRunning())
        return;
    m_pid = pid;
    m_options = options;
    m_output.clear();
    m_lineBuffer.clear();
    m_interrupted = m_cancelled = m_sawHit = m_interruptSent = false;
    m_mainThreadState.clear();
    m_clock.start();
    setPhase(Phase::Attaching, tr("Checking process %1").arg(pid));
    // Report asynchronously even for errors found right away.
    auto fail = [this](const QString &message) {
        QTimer::singleShot(0, this, [this, message] { finish(QString(), message); });
    };
    const Expected<PythonProcess> process = PythonProcessScanner::inspect(pid);
    if (!process)
        return fail(process.error());
    const PythonProcess &p = process.value();
    if (p.major > 0 && !p.isSupportedVersion())
        return fail(tr("process %1 runs Python %2: Leakscope's agent needs Python 3.8 or newer").arg(pid).arg(p.version()));
    if (!p.agentSocket.isEmpty()) {
        // An agent already serves: just connect.
        QTimer::singleShot(0, this, [this, socket = p.agentSocket] { waitForAgent(socket); });
        return;
    }
    if (p.tracerPid > 0)
        return fail(tr("process %1 is already being traced by process %2 (a debugger?): detach it first").arg(pid).arg(p.tracerPid));
    const QString gdb = m_options.gdb.isEmpty() ? QStandardPaths::findExecutable(QStringLiteral("gdb")) : m_options.gdb;
    if (gdb.isEmpty() || !QFileInfo(gdb).isExecutable())
        return fail(tr("gdb is not installed (attach runs it to load the agent): install the Debian package `gdb` "
                       "(sudo apt install gdb)"));
    const Expected<AgentInstall> install = AgentInstaller::install(m_options.cacheRoot);
    if (!install)
        return fail(install.error());
    m_tmp = std::make_unique<QTemporaryDir>(QDir::tempPath() + QStringLiteral("/leakscope-attach-XXXXXX"));
    if (!m_tmp->isValid())
        return fail(tr("cannot create a temporary directory: %1").arg(m_tmp->errorString()));
    QFile::setPermissions(m_tmp->path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    m_resultPath = m_tmp->filePath(QStringLiteral("result.json"));
    const QString scriptPath = m_tmp->filePath(QStringLiteral("attach.gdb"));
    QFile script(scriptPath);
    if (!script.open(QIODevice::WriteOnly) || script.write(gdbScript(install.value().packageParentDir, m_resultPath,
                                                                     m_options.unsafeDirect)) < 0)
        return fail(tr("%1: cannot write the gdb script").arg(scriptPath));
    script.close();

    m_gdb = new QProcess(this);
    m_gdb->setProcessChannelMode(QProcess::MergedChannels);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("DEBUGINFOD_URLS")); // never ask a server for symbols
    env.insert(QStringLiteral("LC_ALL"), QStringLiteral("C")); // messages we can read
    m_gdb->setProcessEnvironment(env);
    connect(m_gdb, &QProcess::readyReadStandardOutput, this, &AgentAttacher::onGdbOutput);
    connect(m_gdb, &QProcess::finished, this, &AgentAttacher::onGdbFinished);
    connect(m_gdb, &QProcess::errorOccurred, this, [this, gdb](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart)
            finish(QString(), tr("%1: cannot start gdb (%2)").arg(gdb, m_gdb->errorString()));
    });
    m_gdb->start(gdb, {QStringLiteral("-p"), QString::number(pid), QStringLiteral("--batch"), QStringLiteral("-nx"),
                       QStringLiteral("-nw"), QStringLiteral("--readnever"), QStringLiteral("-iex"),
                       QStringLiteral("set debuginfod enabled off"),
                       QStringLiteral("-iex"), QStringLiteral("set auto-solib-add off"), QStringLiteral("-x"), scriptPath},
                 QIODevice::ReadOnly);
    setPhase(Phase::Attaching, tr("Attaching gdb to process %1").arg(pid));
    m_tick->start();
}

void AgentAttacher::cancel()
{
    if (!isRunning())
        return;
    if (!m_gdb) {
        // Connecting to an agent that serves, or about to report an error.
        m_cancelled = true;
        finish(QString(), tr("attach to process %1 cancelled").arg(m_pid));
        return;
    }
    if (!canCancel())
        return;
    m_cancelled = true;
    m_interrupted = true;
    Q_EMIT progress(tr("Cancelling: waiting for gdb to leave process %1 as it was").arg(m_pid));
    interruptTarget();
}

bool AgentAttacher::tracedByGdb() const
{
    QFile status(QStringLiteral("/proc/%1/status").arg(m_pid));
    if (!m_gdb || !status.open(QIODevice::ReadOnly))
        return false;
    for (const QByteArray &line : status.readAll().split('\n'))
        if (line.startsWith("TracerPid:"))
            return line.mid(10).trimmed().toLongLong() == m_gdb->processId();
    return false;
}

void AgentAttacher::interruptTarget()
{
    // Only while gdb waits in `continue` (a signal during a function call
    // gdb makes would unwind it half-done) and only while gdb traces the
    // process, which then never sees the signal (gdb swallows it). onTick
    // retries until both hold.
    if (m_phase == Phase::WaitingForSafePoint && tracedByGdb()) {
        ::kill(pid_t(m_pid), SIGURG);
        m_interruptSent = true;
    }
}

void AgentAttacher::onTick()
{
    if (m_phase != Phase::Attaching && m_phase != Phase::WaitingForSafePoint)
        return;
    if (!m_interrupted && m_clock.elapsed() > qint64(m_options.timeoutSeconds * 1000)) {
        m_interrupted = true;
        Q_EMIT progress(tr("No safe point within %1 s: leaving process %2 as it was").arg(m_options.timeoutSeconds).arg(m_pid));
    }
    if (m_interrupted && !m_interruptSent)
        interruptTarget();
}

void AgentAttacher::onGdbOutput()
{
    const QByteArray data = m_gdb->readAllStandardOutput();
    m_output += data;
    m_lineBuffer += data;
    qsizetype nl;
    while ((nl = m_lineBuffer.indexOf('\n')) >= 0) {
        const QByteArray line = m_lineBuffer.left(nl).trimmed();
        m_lineBuffer.remove(0, nl + 1);
        qCDebug(lcAttach) << "gdb:" << line;
        if (line == "LEAKSCOPE-STEP symbols")
            Q_EMIT progress(tr("gdb attached to process %1; looking up the interpreter's functions").arg(m_pid));
        else if (line == "LEAKSCOPE-STEP waiting")
            setPhase(Phase::WaitingForSafePoint,
                     tr("Waiting for the main thread of process %1 to reach a safe point (between two bytecodes)").arg(m_pid));
        else if (line == "LEAKSCOPE-STEP inject") {
            m_sawHit = true;
            setPhase(Phase::Injecting, tr("Loading the agent into process %1").arg(m_pid));
        }
    }
    if (m_phase == Phase::WaitingForSafePoint && m_interrupted && !m_interruptSent)
        interruptTarget();
}

QString AgentAttacher::ptraceRefusedMessage(qint64 pid, const QString &procPath)
{
    QFile f(procPath);
    if (f.open(QIODevice::ReadOnly)) {
        const int scope = f.readAll().trimmed().toInt();
        switch (scope) {
        case 1:
            return tr("the kernel refused to let gdb trace process %1: /proc/sys/kernel/yama/ptrace_scope is 1 "
                      "(only a parent may trace its children); allow it with `sudo sysctl kernel.yama.ptrace_scope=0`, "
                      "or run leakscope-cli attach as root")
                .arg(pid);
        case 2:
            return tr("the kernel refused to let gdb trace process %1: /proc/sys/kernel/yama/ptrace_scope is 2 "
                      "(only processes with CAP_SYS_PTRACE may trace); run leakscope-cli attach as root")
                .arg(pid);
        case 3:
            return tr("the kernel refused to let gdb trace process %1: /proc/sys/kernel/yama/ptrace_scope is 3 "
                      "(tracing is disabled until the next reboot)")
                .arg(pid);
        default:
            break;
        }
    }
    return tr("the kernel refused to let gdb trace process %1 (ptrace: operation not permitted); in a container, "
              "start it with --cap-add=SYS_PTRACE (Docker) or give the tracer CAP_SYS_PTRACE")
        .arg(pid);
}

QString AgentAttacher::explainGdbFailure() const
{
    const QString out = QString::fromLocal8Bit(m_output);
    if (out.contains(QLatin1String("ptrace: Operation not permitted")) || out.contains(QLatin1String("Could not attach to process")))
        return ptraceRefusedMessage(m_pid);
    if (out.contains(QLatin1String("ptrace: No such process")) || out.contains(QLatin1String(") exited"))
        || out.contains(QLatin1String("The program is not being run")) || processGone(m_pid))
        return tr("process %1 exited during the attach").arg(m_pid);
    static const QRegularExpression noSymbol(QStringLiteral("No symbol \"(\\w+)\" in current context"));
    const QRegularExpressionMatch m = noSymbol.match(out);
    if (m.hasMatch())
        return tr("the interpreter's function %1 was not found in process %2 (a statically linked or stripped "
                  "Python without its dynamic symbols): attach needs a Python built with exported symbols, "
                  "or start the program with `leakscope-cli record`")
            .arg(m.captured(1))
            .arg(m_pid);
    if (out.contains(QLatin1String("LEAKSCOPE-PENDING -1")))
        return tr("process %1: the interpreter's queue of pending calls is full; try again").arg(m_pid);
    if (out.contains(QLatin1String("LEAKSCOPE-NOMEM")))
        return tr("process %1 is out of memory: the agent was not loaded").arg(m_pid);
    // The last line gdb printed that is not one of ours says most.
    QString last;
    for (const QString &line : out.split(QLatin1Char('\n'), Qt::SkipEmptyParts))
        if (!line.startsWith(QLatin1String("LEAKSCOPE")))
            last = line.trimmed();
    return tr("gdb could not load the agent into process %1 (%2)").arg(m_pid).arg(last.isEmpty() ? tr("no output") : last);
}

void AgentAttacher::onGdbFinished()
{
    m_tick->stop();
    onGdbOutput();
    const QString out = QString::fromLocal8Bit(m_output);
    if (out.contains(QLatin1String("LEAKSCOPE-RAN"))) {
        const QString result = readSmallFile(m_resultPath);
        if (!out.contains(QLatin1String("LEAKSCOPE-RAN 0")) && result.isEmpty())
            return finish(QString(), tr("process %1: the agent's start code failed (PyRun_SimpleString returned -1)").arg(m_pid));
        if (result.isEmpty())
            return finish(QString(), tr("process %1 ran the agent's start code but it gave no answer").arg(m_pid));
        const QJsonObject json = QJsonDocument::fromJson(result.toUtf8()).object();
        const QString socket = json.value(QStringLiteral("socket")).toString();
        if (!socket.isEmpty())
            return waitForAgent(socket);
        const QString error = json.isEmpty() ? result.trimmed() : json.value(QStringLiteral("error")).toString();
        if (error == QLatin1String("SystemExit: exiting"))
            return finish(QString(), tr("process %1 exited during the attach (it was shutting down; the agent was not "
                                        "loaded)").arg(m_pid));
        return finish(QString(), tr("process %1: the agent could not start its server: %2").arg(m_pid).arg(error));
    }
    if (out.contains(QLatin1String("LEAKSCOPE-NOHIT")) && !processGone(m_pid)) {
        if (m_cancelled)
            return finish(QString(), tr("attach to process %1 cancelled; the process was left as it was").arg(m_pid));
        // What the main thread was doing: in C code holding the GIL (busy),
        // or blocked in a call that released it (sleep, I/O, a lock).
        QString where;
        const qsizetype bt = out.indexOf(QLatin1String("LEAKSCOPE-BT\n"));
        if (bt >= 0) {
            static const QRegularExpression frame(QStringLiteral("#\\d+\\s+(?:0x[0-9a-f]+ in )?([A-Za-z_][\\w.]*)"));
            QStringList names;
            auto it = frame.globalMatch(out.mid(bt, out.indexOf(QLatin1String("LEAKSCOPE-BT-END"), bt) - bt));
            while (it.hasNext() && names.size() < 2)
                names << it.next().captured(1);
            where = names.join(QStringLiteral(" < "));
        }
        const bool holdsGil = out.contains(QLatin1String("LEAKSCOPE-GIL 1"));
        const QString state =
            holdsGil ? tr("it is busy in C code that holds the GIL%1").arg(where.isEmpty() ? QString() : QStringLiteral(": ") + where)
                     : tr("it is blocked in a C call%1").arg(where.isEmpty() ? QString() : QStringLiteral(": ") + where);
        return finish(QString(),
                      tr("process %1: the main thread did not reach a safe point within %2 s (%3); nothing was changed. "
                         "Retry with a longer --timeout, or use --unsafe-direct to load the agent where the thread "
                         "stands (%4)")
                          .arg(m_pid)
                          .arg(m_options.timeoutSeconds)
                          .arg(state)
                          .arg(holdsGil ? tr("risky: it interrupts that C code") : tr("usually fine while it waits")));
    }
    finish(QString(), explainGdbFailure());
}

void AgentAttacher::waitForAgent(const QString &socketPath)
{
    setPhase(Phase::WaitingForAgent, tr("Saying hello to the agent of process %1").arg(m_pid));
    auto *client = new AgentClient(this);
    auto done = std::make_shared<bool>(false);
    auto end = [this, client, done](const QString &path, const QString &error) {
        if (*done)
            return;
        *done = true;
        client->disconnect(this);
        client->deleteLater();
        finish(path, error);
    };
    connect(client, &AgentClient::connected, this, [client] { client->request(Protocol::hello(), 10000); });
    connect(client, &AgentClient::replied, this, [end, socketPath, this](qint64, const QJsonObject &result) {
        const Expected<Protocol::Hello> hello = Protocol::parseHello(result, tr("process %1").arg(m_pid));
        end(hello ? socketPath : QString(), hello ? QString() : hello.error());
    });
    connect(client, &AgentClient::failed, this, [end, this](qint64, const QString &message) {
        end(QString(), tr("process %1: the agent does not answer: %2").arg(m_pid).arg(message));
    });
    connect(client, &AgentClient::disconnected, this, [end, this](const QString &reason) {
        end(QString(), tr("process %1: the agent does not answer: %2").arg(m_pid).arg(reason));
    });
    // The program may end right after the agent started (the safe point was
    // its last bytecode): watch for that instead of waiting for a timeout.
    auto *watch = new QTimer(client);
    QElapsedTimer waited;
    waited.start();
    connect(watch, &QTimer::timeout, client, [end, this, waited] {
        if (processGone(m_pid))
            end(QString(), tr("process %1 exited during the attach").arg(m_pid));
        else if (waited.elapsed() > 15000)
            end(QString(), tr("process %1: the agent does not answer within 15 s").arg(m_pid));
    });
    watch->start(100);
    client->connectToAgent(socketPath);
}

void AgentAttacher::finish(const QString &socketPath, const QString &error)
{
    if (m_phase == Phase::Idle)
        return;
    m_tick->stop();
    if (m_gdb) {
        m_gdb->disconnect(this);
        m_gdb->deleteLater();
        m_gdb = nullptr;
    }
    m_tmp.reset();
    m_phase = Phase::Idle;
    Q_EMIT phaseChanged(m_phase);
    if (error.isEmpty())
        Q_EMIT succeeded(socketPath);
    else
        Q_EMIT failed(error);
}

Expected<QString> AgentAttacher::attach(qint64 pid, const AttachOptions &options,
                                        const std::function<void(const QString &)> &progress)
{
    AgentAttacher attacher;
    QEventLoop loop;
    std::optional<Expected<QString>> outcome;
    connect(&attacher, &AgentAttacher::succeeded, &loop, [&](const QString &path) {
        outcome = Expected<QString>(path);
        loop.quit();
    });
    connect(&attacher, &AgentAttacher::failed, &loop, [&](const QString &message) {
        outcome = Expected<QString>::failure(message);
        loop.quit();
    });
    if (progress)
        connect(&attacher, &AgentAttacher::progress, &loop, [&](const QString &text) { progress(text); });
    attacher.start(pid, options);
    if (!outcome)
        loop.exec();
    return *outcome;
}

Status AgentAttacher::detach(qint64 pid, int timeoutMs)
{
    if (!AgentDiscovery::processAlive(pid))
        return Status::failure(tr("no process with pid %1").arg(pid));
    const QString socket = AgentDiscovery::socketPathForPid(pid);
    if (socket.isEmpty())
        return Status::failure(tr("process %1 has no Leakscope agent serving (nothing to detach)").arg(pid));
    const Expected<QJsonObject> reply = AgentClient::call(socket, Protocol::stopServer(), timeoutMs);
    if (!reply) {
        if (reply.error().contains(QLatin1String("unknown op")))
            return Status::failure(tr("the agent of process %1 is too old to stop its server (no stop_server op)").arg(pid));
        return Status::failure(tr("process %1: %2").arg(pid).arg(reply.error()));
    }
    const Expected<Protocol::StopServer> stopped = Protocol::parseStopServer(reply.value(), tr("process %1").arg(pid));
    if (!stopped)
        return Status::failure(stopped.error());
    QElapsedTimer clock;
    clock.start();
    while (QFileInfo::exists(socket) && clock.elapsed() < timeoutMs)
        QThread::msleep(20);
    // The agent removes its socket as it stops; one left behind is ours to remove.
    if (QFileInfo::exists(socket) && !QFile::remove(socket))
        return Status::failure(tr("%1: the server stopped but the socket could not be removed").arg(socket));
    return Status();
}

} // namespace leakscope
