// `leakscope-cli attach` / `detach` on real Python processes started plainly
// (no agent, no PYTHONPATH): Python 3.8, 3.11 (Debian's) and 3.13 where they
// exist, the process in states that make an attach hard (asleep, busy in C,
// threads holding locks, forking), and the errors, each one line, exit 2,
// with the target left as it was.
#include "live/agentattacher.h"
#include "live/agentdiscovery.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <signal.h>
#include <unistd.h>

using namespace leakscope;

namespace {

// Grows __main__.Leak on "leak N"; wakes every 50 ms (select with a timeout),
// so its main thread runs bytecode often: the attach's safe point.
const char s_growScript[] = R"PY(
import os, select, sys

class Leak:
    pass

_KEPT = []
_PATH = list(sys.path)
print("ready", flush=True)
buf = b""
while True:
    if not select.select([0], [], [], 0.05)[0]:
        continue
    data = os.read(0, 4096)
    if not data:
        break
    buf += data
    while b"\n" in buf:
        line, buf = buf.split(b"\n", 1)
        parts = line.split()
        if parts and parts[0] == b"leak":
            _KEPT.extend(Leak() for _ in range(int(parts[1])))
        elif parts and parts[0] == b"path":
            print("path", "same" if sys.path == _PATH else "changed", flush=True)
            continue
        elif parts and parts[0] == b"mods":
            print("mods", sum(1 for k in list(sys.modules) if k.startswith("_leakscope")), flush=True)
            continue
        elif parts and parts[0] == b"fork":
            pid = os.fork()
            if pid == 0:
                import threading
                print("child", os.getpid(), threading.active_count(), flush=True)
                select.select([], [], [], 3.0)
                os._exit(7)
            print("forked", pid, flush=True)
            print("reaped", os.waitpid(pid, 0)[1] >> 8, flush=True)
            continue
        print("ok", len(_KEPT), flush=True)
print("bye", len(_KEPT))
sys.exit(3)
)PY";

const char s_sleepScript[] = "import time\nprint('ready', flush=True)\ntime.sleep(30)\n";
const char s_busyScript[] = "print('ready', flush=True)\nsum(range(10**12))\n";
// Killed by its own alarm while the attach waits for a safe point.
const char s_shortScript[] = "import signal, time\nsignal.alarm(3)\nprint('ready', flush=True)\ntime.sleep(30)\n";
const char s_lockScript[] = R"PY(
import os, select, threading, time

lock = threading.Lock()
items = []
stop = threading.Event()

def worker():
    while not stop.is_set():
        with lock:
            items.append(object())
            time.sleep(0.001)
            del items[:-100]

threads = [threading.Thread(target=worker) for _ in range(4)]
for t in threads:
    t.start()
print("ready", flush=True)
while not select.select([0], [], [], 0.02)[0]:
    with lock:
        n = len(items)
os.read(0, 10)
stop.set()
for t in threads:
    t.join()
print("bye")
)PY";

struct CliResult
{
    int code = -1;
    QByteArray out;
    QByteArray err;
};

struct Interpreter
{
    const char *name;
    QString path;
};

QString pyenvPython(const QString &prefix)
{
    QString root = qEnvironmentVariable("PYENV_ROOT");
    if (root.isEmpty())
        root = QDir::homePath() + QStringLiteral("/.pyenv");
    const QDir versions(root + QStringLiteral("/versions"));
    const QStringList found = versions.entryList({prefix + QStringLiteral(".*")}, QDir::Dirs, QDir::Name | QDir::Reversed);
    for (const QString &v : found) {
        const QString exe = versions.filePath(v + QStringLiteral("/bin/python3"));
        if (QFileInfo(exe).isExecutable())
            return exe;
    }
    return QString();
}

int taskCount(qint64 pid)
{
    return int(QDir(QStringLiteral("/proc/%1/task").arg(pid)).entryList(QDir::Dirs | QDir::NoDotAndDotDot).size());
}

qint64 tracerOf(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/status").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : f.readAll().split('\n'))
        if (line.startsWith("TracerPid:"))
            return line.mid(10).trimmed().toLongLong();
    return -1;
}

} // namespace

class TestAttach : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void attachSnapshotsChainDetach_data();
    void attachSnapshotsChainDetach();
    void sleepingTargetTimesOutThenDirectWorks();
    void busyInCTimesOutUnchanged();
    void threadsHoldingLocks();
    void forkAfterAttachChildHasNoServer();
    void agentThatCannotServeLeavesNothing();
    void errors_data();
    void errors();
    void ptraceRefusedExplainsTheSetting_data();
    void ptraceRefusedExplainsTheSetting();
    void cleanupTestCase();

private:
    CliResult cli(const QStringList &args, const QProcessEnvironment &env = QProcessEnvironment(), int timeoutMs = 120000,
                  const QString &program = QString());
    bool start(QProcess &target, const QString &python, const char *script, const QString &name);
    QByteArray command(QProcess &target, const QByteArray &line);
    void verifyUnchanged(qint64 pid, int tasksBefore);

    QTemporaryDir m_dir;
    QString m_socketDir;
    QString m_system;
    QStringList m_cleanup;
};

void TestAttach::cleanupTestCase()
{
    for (const QString &dir : std::as_const(m_cleanup))
        QDir(dir).removeRecursively();
}

void TestAttach::initTestCase()
{
    if (QStandardPaths::findExecutable(QStringLiteral("gdb")).isEmpty())
        QSKIP("gdb is not installed (Debian package gdb): attach cannot be tested");
    QVERIFY(m_dir.isValid());
    m_socketDir = m_dir.filePath(QStringLiteral("sockets"));
    QVERIFY(QDir().mkpath(m_socketDir));
    QFile::setPermissions(m_socketDir, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    qputenv("LEAKSCOPE_SOCKET_DIR", QFile::encodeName(m_socketDir));
    qputenv("XDG_CACHE_HOME", QFile::encodeName(m_dir.filePath(QStringLiteral("cache"))));
    qunsetenv("PYTHONPATH");
    m_system = QStringLiteral(LEAKSCOPE_SYSTEM_PYTHON);
    if (m_system.isEmpty())
        m_system = QStringLiteral(LEAKSCOPE_PYTHON);
}

CliResult TestAttach::cli(const QStringList &args, const QProcessEnvironment &env, int timeoutMs, const QString &program)
{
    QProcess p;
    p.setWorkingDirectory(m_dir.path());
    if (!env.isEmpty())
        p.setProcessEnvironment(env);
    p.start(program.isEmpty() ? QStringLiteral(LEAKSCOPE_BIN_DIR "/leakscope-cli") : program, args);
    CliResult r;
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        return r;
    }
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

bool TestAttach::start(QProcess &target, const QString &python, const char *script, const QString &name)
{
    const QString path = m_dir.filePath(name);
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(script) < 0)
        return false;
    f.close();
    target.setWorkingDirectory(m_dir.path());
    target.start(python, {path});
    if (!target.waitForStarted())
        return false;
    while (!target.canReadLine())
        if (!target.waitForReadyRead(20000))
            return false;
    return target.readLine().startsWith("ready");
}

QByteArray TestAttach::command(QProcess &target, const QByteArray &line)
{
    target.write(line + '\n');
    while (!target.canReadLine())
        if (!target.waitForReadyRead(60000))
            return QByteArray();
    return target.readLine().trimmed();
}

void TestAttach::verifyUnchanged(qint64 pid, int tasksBefore)
{
    QVERIFY2(AgentDiscovery::processAlive(pid), "the target died");
    QCOMPARE(taskCount(pid), tasksBefore);
    QCOMPARE(tracerOf(pid), qint64(0));
    QVERIFY(!QFileInfo::exists(m_socketDir + QStringLiteral("/%1.sock").arg(pid)));
}

void TestAttach::attachSnapshotsChainDetach_data()
{
    QTest::addColumn<QString>("python");
    QTest::addColumn<QString>("name");
    QTest::newRow("3.8") << pyenvPython(QStringLiteral("3.8")) << QStringLiteral("pyenv Python 3.8 (~/.pyenv/versions/3.8.*)");
    QTest::newRow("3.11") << m_system << QStringLiteral("Debian's /usr/bin/python3");
    QTest::newRow("3.13") << pyenvPython(QStringLiteral("3.13")) << QStringLiteral("pyenv Python 3.13 (~/.pyenv/versions/3.13.*)");
}

// The whole story on a plain process; its output and exit code are exactly
// those of a run without the attach.
void TestAttach::attachSnapshotsChainDetach()
{
    QFETCH(QString, python);
    QFETCH(QString, name);
    if (python.isEmpty() || !QFileInfo(python).isExecutable())
        QSKIP(qPrintable(QStringLiteral("%1 is not installed: skipped").arg(name)));

    QByteArray plainOut;
    int plainCode = -1;
    {
        QProcess plain;
        QVERIFY(start(plain, python, s_growScript, QStringLiteral("grow.py")));
        plainOut = "ready\n";
        for (int round = 0; round < 3; ++round)
            plainOut += command(plain, "leak 200") + '\n';
        plainOut += command(plain, "path") + '\n';
        plainOut += command(plain, "leak 5") + '\n';
        plain.closeWriteChannel();
        QVERIFY(plain.waitForFinished(30000));
        plainOut += plain.readAllStandardOutput();
        plainCode = plain.exitCode();
        QCOMPARE(plainCode, 3);
    }

    QProcess target;
    QVERIFY(start(target, python, s_growScript, QStringLiteral("grow.py")));
    QByteArray out = "ready\n";
    const qint64 pid = target.processId();
    const CliResult attached = cli({QStringLiteral("attach"), QString::number(pid)});
    QVERIFY2(attached.code == 0, attached.err.constData());
    const QString socket = QString::fromUtf8(attached.out.trimmed());
    QCOMPARE(socket, m_socketDir + QStringLiteral("/%1.sock").arg(pid));
    QVERIFY(QFileInfo::exists(socket));
    // Already serving: just connects.
    const CliResult again = cli({QStringLiteral("attach"), QString::number(pid)});
    QVERIFY2(again.code == 0, again.err.constData());
    QCOMPARE(again.out.trimmed(), attached.out.trimmed());

    const QString file = m_dir.filePath(QStringLiteral("attached-%1.lsnap").arg(pid));
    for (int round = 0; round < 3; ++round) {
        out += command(target, "leak 200") + '\n';
        const CliResult snap = cli({QStringLiteral("snapshot"), QStringLiteral("--pid"), QString::number(pid),
                                    QStringLiteral("-o"), file});
        QVERIFY2(snap.code == 0, snap.err.constData());
    }
    const CliResult compare = cli({QStringLiteral("compare"), file, QStringLiteral("--fail-on-suspect"),
                                   QStringLiteral("^__main__\\.Leak$")});
    QVERIFY2(compare.code == 3, QByteArray(compare.out + compare.err).constData());
    QVERIFY(compare.out.contains("__main__.Leak"));
    const CliResult chain = cli({QStringLiteral("chain"), QStringLiteral("--pid"), QString::number(pid),
                                 QStringLiteral("--type"), QStringLiteral("__main__.Leak")});
    QVERIFY2(chain.code == 0, chain.err.constData());
    QVERIFY2(chain.out.contains("module __main__") && chain.out.contains("_KEPT"), chain.out.constData());

    const CliResult detached = cli({QStringLiteral("detach"), QString::number(pid)});
    QVERIFY2(detached.code == 0, detached.err.constData());
    QVERIFY(!QFileInfo::exists(socket));
    QTRY_COMPARE(taskCount(pid), 1); // the server thread is gone
    const CliResult none = cli({QStringLiteral("snapshot"), QStringLiteral("--pid"), QString::number(pid),
                                QStringLiteral("-o"), file});
    QCOMPARE(none.code, 2);

    out += command(target, "path") + '\n'; // sys.path untouched
    QCOMPARE(command(target, "mods").left(5), QByteArray("mods ")); // (not part of the compared output)
    out += command(target, "leak 5") + '\n';
    target.closeWriteChannel();
    QVERIFY(target.waitForFinished(30000));
    out += target.readAllStandardOutput();
    QCOMPARE(out, plainOut);
    QCOMPARE(target.exitCode(), plainCode);
    QCOMPARE(target.readAllStandardError(), QByteArray());
}

// time.sleep(30) in the main thread: no safe point comes; the attach says so
// and leaves the process as it was; --unsafe-direct then works (the thread
// waits in the kernel with the GIL released).
void TestAttach::sleepingTargetTimesOutThenDirectWorks()
{
    QProcess target;
    QVERIFY(start(target, m_system, s_sleepScript, QStringLiteral("sleep.py")));
    const qint64 pid = target.processId();
    const int tasks = taskCount(pid);
    const CliResult r = cli({QStringLiteral("attach"), QString::number(pid), QStringLiteral("--timeout"), QStringLiteral("2")});
    QCOMPARE(r.code, 2);
    QCOMPARE(r.err.count('\n'), 1);
    QVERIFY2(r.err.contains("did not reach a safe point within 2 s") && r.err.contains("--unsafe-direct")
                 && r.err.contains("blocked in a C call"),
             r.err.constData());
    verifyUnchanged(pid, tasks);

    const CliResult direct = cli({QStringLiteral("attach"), QString::number(pid), QStringLiteral("--unsafe-direct")});
    QVERIFY2(direct.code == 0, direct.err.constData());
    QVERIFY(QFileInfo::exists(QString::fromUtf8(direct.out.trimmed())));
    const CliResult snap = cli({QStringLiteral("snapshot"), QStringLiteral("--pid"), QString::number(pid), QStringLiteral("-o"),
                                m_dir.filePath(QStringLiteral("sleep.lsnap"))});
    QVERIFY2(snap.code == 0, snap.err.constData());
    QCOMPARE(cli({QStringLiteral("detach"), QString::number(pid)}).code, 0);
    QTRY_COMPARE(taskCount(pid), tasks);
    QVERIFY(AgentDiscovery::processAlive(pid));
    target.kill();
    target.waitForFinished();
}

// sum() over a huge range holds the GIL in C: timeout, clear message, unchanged.
void TestAttach::busyInCTimesOutUnchanged()
{
    QProcess target;
    QVERIFY(start(target, m_system, s_busyScript, QStringLiteral("busy.py")));
    const qint64 pid = target.processId();
    const int tasks = taskCount(pid);
    const CliResult r = cli({QStringLiteral("attach"), QString::number(pid), QStringLiteral("--timeout"), QStringLiteral("2")});
    QCOMPARE(r.code, 2);
    QCOMPARE(r.err.count('\n'), 1);
    QVERIFY2(r.err.contains("busy in C code that holds the GIL"), r.err.constData());
    verifyUnchanged(pid, tasks);
    QCOMPARE(target.state(), QProcess::Running);
    target.kill();
    target.waitForFinished();
}

// Four threads take a lock in a loop while the main thread takes it too: the
// attach, a census and the detach neither deadlock nor disturb them.
void TestAttach::threadsHoldingLocks()
{
    QProcess target;
    QVERIFY(start(target, m_system, s_lockScript, QStringLiteral("locks.py")));
    const qint64 pid = target.processId();
    const int tasks = taskCount(pid);
    const CliResult attached = cli({QStringLiteral("attach"), QString::number(pid)});
    QVERIFY2(attached.code == 0, attached.err.constData());
    QTRY_COMPARE(taskCount(pid), tasks + 1); // the server thread (the hello's connection thread ends)
    const CliResult snap = cli({QStringLiteral("snapshot"), QStringLiteral("--pid"), QString::number(pid), QStringLiteral("-o"),
                                m_dir.filePath(QStringLiteral("locks.lsnap"))});
    QVERIFY2(snap.code == 0, snap.err.constData());
    QCOMPARE(cli({QStringLiteral("detach"), QString::number(pid)}).code, 0);
    target.write("x\n");
    QVERIFY(target.waitForFinished(30000));
    QCOMPARE(target.exitCode(), 0);
    QCOMPARE(target.readAllStandardOutput().trimmed(), QByteArray("bye"));
    QCOMPARE(target.readAllStandardError(), QByteArray());
}

// A fork after the attach: the child has no server thread and no socket; the
// parent keeps serving.
void TestAttach::forkAfterAttachChildHasNoServer()
{
    QProcess target;
    QVERIFY(start(target, m_system, s_growScript, QStringLiteral("grow.py")));
    const qint64 pid = target.processId();
    const CliResult attached = cli({QStringLiteral("attach"), QString::number(pid)});
    QVERIFY2(attached.code == 0, attached.err.constData());
    target.write("fork\n");
    QByteArray child;
    QByteArray forked;
    while (child.isEmpty() || forked.isEmpty()) {
        while (!target.canReadLine())
            QVERIFY(target.waitForReadyRead(30000));
        const QByteArray line = target.readLine().trimmed();
        if (line.startsWith("child"))
            child = line;
        else if (line.startsWith("forked"))
            forked = line;
    }
    const QList<QByteArray> fields = child.split(' ');
    const qint64 childPid = fields.value(1).toLongLong();
    QCOMPARE(fields.value(2), QByteArray("1")); // only the child's main thread
    QCOMPARE(forked, QByteArray("forked ") + QByteArray::number(childPid));
    QVERIFY(!QFileInfo::exists(m_socketDir + QStringLiteral("/%1.sock").arg(childPid)));
    QCOMPARE(taskCount(childPid), 1);
    const CliResult snapChild = cli({QStringLiteral("snapshot"), QStringLiteral("--pid"), QString::number(childPid),
                                     QStringLiteral("-o"), m_dir.filePath(QStringLiteral("child.lsnap"))});
    QCOMPARE(snapChild.code, 2);
    const CliResult snapParent = cli({QStringLiteral("snapshot"), QStringLiteral("--pid"), QString::number(pid),
                                      QStringLiteral("-o"), m_dir.filePath(QStringLiteral("parent.lsnap"))});
    QVERIFY2(snapParent.code == 0, snapParent.err.constData());
    while (!target.canReadLine())
        QVERIFY(target.waitForReadyRead(30000));
    QCOMPARE(target.readLine().trimmed(), QByteArray("reaped 7"));
    QVERIFY(QFileInfo::exists(m_socketDir + QStringLiteral("/%1.sock").arg(pid)));
    QCOMPARE(cli({QStringLiteral("detach"), QString::number(pid)}).code, 0);
    target.closeWriteChannel();
    QVERIFY(target.waitForFinished(30000));
    QCOMPARE(target.exitCode(), 3);
}

// The process's own LEAKSCOPE_SOCKET_DIR is unsafe (mode 0777): the agent
// refuses to serve, the attach says why, and no thread, socket, agent module
// or sys.path entry stays behind.
void TestAttach::agentThatCannotServeLeavesNothing()
{
    const QString shared = m_dir.filePath(QStringLiteral("shared-sockets"));
    QVERIFY(QDir().mkpath(shared));
    QVERIFY(QFile::setPermissions(shared, QFileDevice::Permissions(0x7777)));
    QProcess target;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("LEAKSCOPE_SOCKET_DIR"), shared);
    target.setProcessEnvironment(env);
    QVERIFY(start(target, m_system, s_growScript, QStringLiteral("grow.py")));
    const qint64 pid = target.processId();
    const int tasks = taskCount(pid);
    const CliResult r = cli({QStringLiteral("attach"), QString::number(pid)});
    QCOMPARE(r.code, 2);
    QCOMPARE(r.err.count('\n'), 1);
    QVERIFY2(r.err.contains("could not start its server") && r.err.contains("0777"), r.err.constData());
    QCOMPARE(taskCount(pid), tasks);
    QCOMPARE(tracerOf(pid), qint64(0));
    QCOMPARE(QDir(shared).entryList(QDir::NoDotAndDotDot | QDir::AllEntries), QStringList());
    QCOMPARE(command(target, "mods"), QByteArray("mods 0"));
    QCOMPARE(command(target, "path"), QByteArray("path same"));
    target.closeWriteChannel();
    QVERIFY(target.waitForFinished(30000));
    QCOMPARE(target.exitCode(), 3);
    QCOMPARE(target.readAllStandardError(), QByteArray());
}

void TestAttach::errors_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("expected");
    QTest::newRow("not a Python process") << QStringLiteral("notpython") << QStringLiteral("is not a Python process");
    QTest::newRow("pid 1 as a normal user") << QStringLiteral("pid1") << QStringLiteral("belongs to another user");
    QTest::newRow("exits during the attach") << QStringLiteral("exits") << QStringLiteral("exited during the attach");
    QTest::newRow("gdb not on PATH") << QStringLiteral("nogdb") << QStringLiteral("install the Debian package `gdb`");
    QTest::newRow("no such process") << QStringLiteral("nopid") << QStringLiteral("no process with pid");
    // A program named like an interpreter, without one inside (as a static
    // or stripped Python looks to gdb).
    QTest::newRow("interpreter symbols missing") << QStringLiteral("nosymbols")
                                                 << QStringLiteral("function Py_AddPendingCall was not found");
}

void TestAttach::errors()
{
    QFETCH(QString, kind);
    QFETCH(QString, expected);
    QProcess target;
    qint64 pid = 0;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    QStringList args;
    QString program;
    if (kind == QLatin1String("notpython")) {
        target.start(QStringLiteral("/bin/sleep"), {QStringLiteral("30")});
        QVERIFY(target.waitForStarted());
        pid = target.processId();
    } else if (kind == QLatin1String("pid1")) {
        if (::getuid() != 0 || QStandardPaths::findExecutable(QStringLiteral("runuser")).isEmpty())
            QSKIP("needs root and runuser to run the CLI as user nobody");
        pid = 1;
        // A copy user nobody can run wherever the build directory lies.
        const QString shared = QDir::tempPath() + QStringLiteral("/leakscope-tst-attach-%1").arg(::getpid());
        QDir().mkpath(shared);
        QFile::setPermissions(shared, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner
                                          | QFileDevice::ReadOther | QFileDevice::ExeOther);
        const QString copy = shared + QStringLiteral("/leakscope-cli");
        QFile::remove(copy);
        QVERIFY(QFile::copy(QStringLiteral(LEAKSCOPE_BIN_DIR "/leakscope-cli"), copy));
        QFile::setPermissions(copy, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner
                                        | QFileDevice::ReadOther | QFileDevice::ExeOther);
        m_cleanup << shared;
        program = QStandardPaths::findExecutable(QStringLiteral("runuser"));
        args = QStringList{QStringLiteral("-u"), QStringLiteral("nobody"), QStringLiteral("--"), copy};
        env.insert(QStringLiteral("XDG_CACHE_HOME"), QStringLiteral("/tmp/leakscope-test-nobody-cache"));
        env.insert(QStringLiteral("LEAKSCOPE_SOCKET_DIR"), QStringLiteral("/tmp/leakscope-test-nobody-sockets"));
    } else if (kind == QLatin1String("exits")) {
        QVERIFY(start(target, m_system, s_shortScript, QStringLiteral("short.py")));
        pid = target.processId();
    } else if (kind == QLatin1String("nogdb")) {
        QVERIFY(start(target, m_system, s_sleepScript, QStringLiteral("sleep.py")));
        pid = target.processId();
        env.insert(QStringLiteral("PATH"), m_dir.filePath(QStringLiteral("empty-bin")));
    } else if (kind == QLatin1String("nosymbols")) {
        const QString fake = m_dir.filePath(QStringLiteral("python3.11"));
        QFile::remove(fake);
        QVERIFY(QFile::copy(QStringLiteral("/bin/sleep"), fake));
        QVERIFY(QFile::setPermissions(fake, QFileDevice::ReadOwner | QFileDevice::ExeOwner));
        target.start(fake, {QStringLiteral("30")});
        QVERIFY(target.waitForStarted());
        pid = target.processId();
    } else {
        pid = 4194304 + 17; // above any pid_max
    }
    const int tasks = pid > 1 ? taskCount(pid) : 0;
    const CliResult r = cli(args + QStringList{QStringLiteral("attach"), QString::number(pid), QStringLiteral("--timeout"),
                                               QStringLiteral("30")},
                            env, 120000, program);
    QCOMPARE(r.code, 2);
    QCOMPARE(r.err.count('\n'), 1);
    QVERIFY2(r.err.startsWith("leakscope-cli: ") && r.err.contains(expected.toUtf8()), r.err.constData());
    QCOMPARE(r.out, QByteArray());
    if (kind == QLatin1String("exits")) {
        QVERIFY(target.waitForFinished(10000));
        QCOMPARE(target.exitStatus(), QProcess::CrashExit); // SIGALRM, as without the attach
        QCOMPARE(target.readAllStandardError(), QByteArray());
    } else if (pid > 1 && target.state() == QProcess::Running) {
        verifyUnchanged(pid, tasks);
        target.kill();
        target.waitForFinished();
    }
}

void TestAttach::ptraceRefusedExplainsTheSetting_data()
{
    QTest::addColumn<QByteArray>("scope"); // empty: no Yama (e.g. a container)
    QTest::addColumn<QString>("expected");
    QTest::newRow("yama 1: parents only") << QByteArray("1\n") << QStringLiteral("kernel.yama.ptrace_scope=0");
    QTest::newRow("yama 2: admin only") << QByteArray("2\n") << QStringLiteral("CAP_SYS_PTRACE");
    QTest::newRow("yama 3: disabled") << QByteArray("3\n") << QStringLiteral("until the next reboot");
    QTest::newRow("no yama: container") << QByteArray() << QStringLiteral("--cap-add=SYS_PTRACE");
}

void TestAttach::ptraceRefusedExplainsTheSetting()
{
    QFETCH(QByteArray, scope);
    QFETCH(QString, expected);
    const QString path = m_dir.filePath(QStringLiteral("ptrace_scope"));
    QFile::remove(path);
    if (!scope.isEmpty()) {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(scope);
    }
    const QString message = AgentAttacher::ptraceRefusedMessage(4242, path);
    QVERIFY2(message.contains(expected) && message.contains(QStringLiteral("4242")), qPrintable(message));
    QVERIFY(!message.contains(QLatin1Char('\n')));
}

QTEST_GUILESS_MAIN(TestAttach)
#include "tst_attach.moc"
