// `leakscope-cli ps` and `leakscope-cli snapshot` against a real Python
// program started with `leakscope-cli record` (which serves by default).
#include "lsnap/snapshotreader.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

using namespace leakscope;

namespace {

const char s_script[] = R"PY(
import sys

class Leak:
    pass

_KEPT = []
print("ready", flush=True)
for line in sys.stdin:
    parts = line.split()
    if parts and parts[0] == "leak":
        _KEPT.extend(Leak() for _ in range(int(parts[1])))
    elif parts and parts[0] == "big":
        _KEPT.extend([object()] for _ in range(int(parts[1])))
    print("ok", len(_KEPT), flush=True)
)PY";

// An impostor: serves "<pid>.sock" in argv[1] and answers every request with
// a made-up result (argv[2] names an op whose result is argv[3], JSON, or
// "silent" for an op it never answers). Prints the socket path when ready.
const char s_fakeAgent[] = R"PY(
import json, os, socket, sys, threading
where = sys.argv[1]
special_op = sys.argv[2] if len(sys.argv) > 2 else ""
special = sys.argv[3] if len(sys.argv) > 3 else "null"
path = os.path.join(where, "%d.sock" % os.getpid())
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(16)
print(path, flush=True)
def serve(c):
    for line in c.makefile("rb"):
        req = json.loads(line)
        op = req.get("op")
        if op == special_op:
            if special == "silent":
                continue
            res = json.loads(special)
        elif op == "hello":
            res = {"python": "6.6.6", "argv": ["FAKE-AGENT"], "uptime": 1, "pid": os.getpid()}
        elif op == "census":
            res = {"pid": os.getpid(), "taken_at": 1.0, "types": [["fake.Attacker", 1234, 0]], "meta": {}}
        elif op == "graph_dump":
            res = {"snapshot_id": 1}
        else:
            res = {}
        c.sendall((json.dumps({"id": req.get("id"), "result": res}) + "\n").encode())
while True:
    conn, _ = srv.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
)PY";

// Runs s_fakeAgent; kills it on destruction.
class FakeAgent
{
public:
    FakeAgent(const QString &dir, const QString &op = QString(), const QString &result = QString())
    {
        QStringList args{QStringLiteral("-c"), QString::fromLatin1(s_fakeAgent), dir};
        if (!op.isEmpty())
            args << op << result;
        m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_process.start(QStringLiteral(LEAKSCOPE_PYTHON), args);
        if (m_process.waitForStarted())
            while (!m_process.canReadLine() && m_process.waitForReadyRead(20000)) {
            }
        m_path = QString::fromLocal8Bit(m_process.readLine().trimmed());
    }
    ~FakeAgent()
    {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
    qint64 pid() const { return m_process.processId(); }
    QString socketPath() const { return m_path; }

private:
    QProcess m_process;
    QString m_path;
};

// A socket file nobody serves (what `kill -9` leaves behind).
bool makeStaleSocket(const QString &path)
{
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address = {};
    address.sun_family = AF_UNIX;
    const QByteArray native = QFile::encodeName(path);
    if (fd < 0 || size_t(native.size()) >= sizeof address.sun_path)
        return false;
    memcpy(address.sun_path, native.constData(), size_t(native.size()));
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0;
    ::close(fd);
    return ok;
}

// The pid of a process that has just exited.
qint64 deadPid()
{
    QProcess p;
    p.start(QStringLiteral("true"), QStringList());
    const qint64 pid = p.waitForStarted() ? p.processId() : 0;
    p.waitForFinished();
    return pid > 0 ? pid : 999999;
}

bool chownTo(const QString &path, uid_t uid)
{
    return ::lchown(QFile::encodeName(path).constData(), uid, gid_t(uid)) == 0;
}

constexpr uid_t s_nobody = 65534;

struct CliResult
{
    int code = -1;
    QByteArray out;
    QByteArray err;
};

} // namespace

class TestLiveCli : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void psFindsRecordedProcessAndSnapshotsGrow();
    void deadPidFailsFast();
    void killedDuringSnapshotFailsWithinSeconds();
    void snapshotWithGraphAnswersChainOffline();
    void unsafeSocketIsRefused_data();
    void unsafeSocketIsRefused();
    void staleSocketBehindSymlinkIsKept();
    void badRepliesAreRefused_data();
    void badRepliesAreRefused();
    void liveTimeoutIsHonoured_data();
    void liveTimeoutIsHonoured();

private:
    CliResult cli(const QStringList &args, int timeoutMs = 60000,
                  const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment());
    bool startTarget(QProcess &target);
    QByteArray command(QProcess &target, const QByteArray &line);
    qint64 pidOfTarget();

    QTemporaryDir m_dir;
    QString m_socketDir;
    QString m_script;
};

void TestLiveCli::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_socketDir = m_dir.filePath(QStringLiteral("sockets"));
    QVERIFY(QDir().mkpath(m_socketDir));
    QFile::setPermissions(m_socketDir, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    qputenv("LEAKSCOPE_SOCKET_DIR", QFile::encodeName(m_socketDir));
    qputenv("XDG_CACHE_HOME", QFile::encodeName(m_dir.filePath(QStringLiteral("cache"))));
    qunsetenv("PYTHONPATH");
    m_script = m_dir.filePath(QStringLiteral("target.py"));
    QFile f(m_script);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(s_script);
}

CliResult TestLiveCli::cli(const QStringList &args, int timeoutMs, const QProcessEnvironment &env)
{
    QProcess p;
    p.setProcessEnvironment(env);
    p.setWorkingDirectory(m_dir.path());
    p.start(QStringLiteral(LEAKSCOPE_BIN_DIR "/leakscope-cli"), args);
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

bool TestLiveCli::startTarget(QProcess &target)
{
    target.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    target.start(QStringLiteral(LEAKSCOPE_BIN_DIR "/leakscope-cli"),
                 {QStringLiteral("record"), QStringLiteral("-o"), m_dir.filePath(QStringLiteral("record.lsnap")),
                  QStringLiteral("--"), QStringLiteral(LEAKSCOPE_PYTHON), m_script});
    if (!target.waitForStarted())
        return false;
    while (!target.canReadLine())
        if (!target.waitForReadyRead(20000))
            return false;
    return target.readLine().startsWith("ready");
}

QByteArray TestLiveCli::command(QProcess &target, const QByteArray &line)
{
    target.write(line + '\n');
    while (!target.canReadLine())
        if (!target.waitForReadyRead(60000))
            return QByteArray();
    return target.readLine().trimmed();
}

qint64 TestLiveCli::pidOfTarget()
{
    const CliResult ps = cli({QStringLiteral("ps")});
    if (ps.code != 0)
        return -1;
    const QList<QByteArray> lines = ps.out.split('\n');
    for (const QByteArray &l : lines)
        if (l.contains("target.py"))
            return l.split(' ').first().toLongLong();
    return -1;
}

void TestLiveCli::psFindsRecordedProcessAndSnapshotsGrow()
{
    QProcess target;
    QVERIFY(startTarget(target));
    const qint64 pid = pidOfTarget();
    QVERIFY2(pid > 0, "ps did not list the recorded process");
    const CliResult ps = cli({QStringLiteral("ps")});
    // pid first, then the Python version, uptime and command line.
    const QList<QByteArray> fields = ps.out.split('\n').first().simplified().split(' ');
    QVERIFY(fields.size() >= 4);
    QVERIFY(fields.at(1).startsWith("3."));

    const QString out = m_dir.filePath(QStringLiteral("live.lsnap"));
    for (int round = 0; round < 3; ++round) {
        QCOMPARE(command(target, "leak 200"), QByteArray("ok ") + QByteArray::number(200 * (round + 1)));
        const CliResult snap = cli({QStringLiteral("snapshot"), QStringLiteral("--pid"), QString::number(pid),
                                    QStringLiteral("-o"), out, QStringLiteral("--label"), QStringLiteral("round %1").arg(round)});
        QVERIFY2(snap.code == 0, snap.err.constData());
        QVERIFY(snap.out.contains("appended"));
    }
    const Expected<LoadedFile> file = SnapshotReader::read(out);
    QVERIFY2(file, qPrintable(file.error()));
    QCOMPARE(int(file.value().snapshots.size()), 3);
    const int leak = file.value().types.find(QStringLiteral("__main__.Leak"));
    QVERIFY(leak >= 0);
    for (int i = 0; i < 3; ++i) {
        const Snapshot &s = file.value().snapshots[size_t(i)];
        QCOMPARE(s.info.label, QStringLiteral("round %1").arg(i));
        QCOMPARE(s.info.pid, pid);
        const auto it = std::find_if(s.stats.begin(), s.stats.end(), [&](const TypeStat &t) { return t.type == leak; });
        QVERIFY(it != s.stats.end());
        QCOMPARE(it->count, qint64(200 * (i + 1)));
    }
    target.closeWriteChannel();
    QVERIFY(target.waitForFinished(30000));
    QCOMPARE(target.exitCode(), 0);
    QCOMPARE(pidOfTarget(), qint64(-1));
}

// `snapshot --graph`: the agent appends a snapshot with its heap graph; a
// relative -o is the caller's directory, not the process's; `chain` then
// answers from the file after the process has gone.
void TestLiveCli::snapshotWithGraphAnswersChainOffline()
{
    QProcess target;
    QVERIFY(startTarget(target));
    const qint64 pid = pidOfTarget();
    QVERIFY(pid > 0);
    QCOMPARE(command(target, "leak 50"), QByteArray("ok 50"));
    const CliResult snap = cli({QStringLiteral("snapshot"), QStringLiteral("--pid"), QString::number(pid),
                                QStringLiteral("-o"), QStringLiteral("graph.lsnap"), QStringLiteral("--graph"),
                                QStringLiteral("--label"), QStringLiteral("with graph")});
    QVERIFY2(snap.code == 0, snap.err.constData());
    QVERIFY2(snap.out.contains("with its heap graph"), snap.out.constData());
    const QString out = m_dir.filePath(QStringLiteral("graph.lsnap"));
    const CliResult bad = cli({QStringLiteral("snapshot"), QStringLiteral("--pid"), QString::number(pid), QStringLiteral("-o"),
                               m_dir.filePath(QStringLiteral("no/such/dir/x.lsnap")), QStringLiteral("--graph")});
    QCOMPARE(bad.code, 2);
    QVERIFY2(bad.err.contains("no/such/dir"), bad.err.constData());
    QCOMPARE(bad.err.count('\n'), 1);

    target.closeWriteChannel();
    QVERIFY(target.waitForFinished(30000));
    const Expected<LoadedFile> file = SnapshotReader::read(out);
    QVERIFY2(file, qPrintable(file.error()));
    QCOMPARE(int(file.value().snapshots.size()), 1);
    QCOMPARE(file.value().snapshots.front().info.label, QStringLiteral("with graph"));
    QVERIFY(file.value().snapshots.front().info.hasGraph);
    const CliResult chain = cli({QStringLiteral("chain"), out, QStringLiteral("--type"), QStringLiteral("__main__.Leak")});
    QVERIFY2(chain.code == 0, chain.err.constData());
    QVERIFY2(chain.out.contains("_KEPT"), chain.out.constData());
}

void TestLiveCli::deadPidFailsFast()
{
    QElapsedTimer clock;
    clock.start();
    const CliResult r = cli({QStringLiteral("snapshot"), QStringLiteral("--pid"), QStringLiteral("999999"),
                             QStringLiteral("-o"), m_dir.filePath(QStringLiteral("dead.lsnap"))});
    QCOMPARE(r.code, 2);
    QVERIFY(r.err.contains("999999"));
    QVERIFY(clock.elapsed() < 5000);
    QVERIFY(!QFile::exists(m_dir.filePath(QStringLiteral("dead.lsnap"))));
}

void TestLiveCli::killedDuringSnapshotFailsWithinSeconds()
{
    QProcess target;
    QVERIFY(startTarget(target));
    const qint64 pid = pidOfTarget();
    QVERIFY(pid > 0);
    QCOMPARE(command(target, "big 1500000"), QByteArray("ok 1500000"));
    const QString out = m_dir.filePath(QStringLiteral("killed.lsnap"));
    QProcess snap;
    snap.start(QStringLiteral(LEAKSCOPE_BIN_DIR "/leakscope-cli"),
               {QStringLiteral("snapshot"), QStringLiteral("--graph"), QStringLiteral("--pid"), QString::number(pid),
                QStringLiteral("-o"), out});
    QVERIFY(snap.waitForStarted());
    // Let the snapshot start. With the native census, 1.5M objects are
    // counted in well under 300 ms: the heap-graph dump keeps it busy.
    QTest::qWait(300);
    QVERIFY2(snap.state() != QProcess::NotRunning, "the snapshot ended before the kill");
    ::kill(pid_t(pid), SIGKILL);
    QElapsedTimer clock;
    clock.start();
    QVERIFY(snap.waitForFinished(10000));
    QVERIFY(clock.elapsed() < 10000);
    QCOMPARE(snap.exitCode(), 2);
    QVERIFY(snap.readAllStandardError().contains(QByteArray::number(pid)));
    // Nothing half-written: either no file or a readable one.
    if (QFile::exists(out))
        QVERIFY(SnapshotReader::read(out));
    // The recording's own file, written by the agent before the kill, is readable.
    QVERIFY(target.waitForFinished(10000));
    const Expected<LoadedFile> rec = SnapshotReader::read(m_dir.filePath(QStringLiteral("record.lsnap")));
    QVERIFY2(rec, qPrintable(rec.error()));
}

// Issue 12, item 6: a socket directory or socket that is not safely ours is
// refused and named: `ps` lists no impostor, `snapshot` writes nothing.
void TestLiveCli::unsafeSocketIsRefused_data()
{
    QTest::addColumn<QString>("layout");
    QTest::addColumn<bool>("needsRoot");
    QTest::addColumn<QString>("reason"); // in stderr; empty: silently not looked at
    QTest::newRow("directory owned by nobody") << "dir-nobody" << true << "owned by uid 65534, not you";
    QTest::newRow("directory mode 0777") << "dir-0777" << false << "mode 0777, expected 0700";
    QTest::newRow("directory mode 0750") << "dir-0750" << false << "mode 0750, expected 0700";
    QTest::newRow("directory is a symlink") << "dir-symlink" << false << "is a symbolic link";
    QTest::newRow("socket is a symlink") << "sock-symlink" << false << "is a symbolic link";
    QTest::newRow("socket owned by nobody") << "sock-nobody" << true << "owned by uid 65534, not you";
    QTest::newRow("XDG_RUNTIME_DIR of nobody") << "xdg-nobody" << true << "";
}

void TestLiveCli::unsafeSocketIsRefused()
{
    QFETCH(QString, layout);
    QFETCH(bool, needsRoot);
    QFETCH(QString, reason);
    if (needsRoot && ::geteuid() != 0)
        QSKIP("needs root to make files owned by another user (uid 65534)");
    QTemporaryDir scratch(QDir::tempPath() + QStringLiteral("/lsc-unsafe-XXXXXX"));
    QVERIFY(scratch.isValid());
    const QString real = scratch.filePath(QStringLiteral("real"));
    QVERIFY(QDir().mkpath(real));
    QVERIFY(QFile::setPermissions(real, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner));
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    QString agentDir = real; // where the impostor serves
    QString socketDir = real; // what LEAKSCOPE_SOCKET_DIR names
    if (layout == QLatin1String("dir-nobody")) {
        QVERIFY(chownTo(real, s_nobody));
    } else if (layout == QLatin1String("dir-0777")) {
        QVERIFY(::chmod(QFile::encodeName(real).constData(), 0777) == 0);
    } else if (layout == QLatin1String("dir-0750")) {
        QVERIFY(::chmod(QFile::encodeName(real).constData(), 0750) == 0);
    } else if (layout == QLatin1String("dir-symlink")) {
        socketDir = scratch.filePath(QStringLiteral("link"));
        QVERIFY(QFile::link(real, socketDir));
        agentDir = real;
    } else if (layout == QLatin1String("xdg-nobody")) {
        // sudo keeps XDG_RUNTIME_DIR: another user's runtime directory with a
        // leakscope/ directory in it that looks right.
        const QString runtime = scratch.filePath(QStringLiteral("run-user-65534"));
        agentDir = runtime + QStringLiteral("/leakscope");
        QVERIFY(QDir().mkpath(agentDir));
        QVERIFY(QFile::setPermissions(agentDir, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner));
        QVERIFY(chownTo(runtime, s_nobody));
        env.remove(QStringLiteral("LEAKSCOPE_SOCKET_DIR"));
        env.insert(QStringLiteral("XDG_RUNTIME_DIR"), runtime);
    }
    // sock-*: the directory is fine, the socket entry is not.
    const bool socketLayout = layout.startsWith(QLatin1String("sock-"));
    const QString hidden = scratch.filePath(QStringLiteral("hidden"));
    if (socketLayout) {
        QVERIFY(QDir().mkpath(hidden));
        agentDir = hidden;
    }
    if (layout != QLatin1String("xdg-nobody"))
        env.insert(QStringLiteral("LEAKSCOPE_SOCKET_DIR"), socketDir);

    FakeAgent fake(agentDir);
    QVERIFY2(!fake.socketPath().isEmpty(), "the impostor did not start");
    const QString name = QStringLiteral("%1.sock").arg(fake.pid());
    if (layout == QLatin1String("sock-symlink")) {
        QVERIFY(QFile::link(fake.socketPath(), real + QLatin1Char('/') + name));
    } else if (layout == QLatin1String("sock-nobody")) {
        QVERIFY(::rename(QFile::encodeName(fake.socketPath()).constData(),
                         QFile::encodeName(real + QLatin1Char('/') + name).constData()) == 0);
        QVERIFY(chownTo(real + QLatin1Char('/') + name, s_nobody));
    }

    const CliResult ps = cli({QStringLiteral("ps")}, 60000, env);
    QCOMPARE(ps.code, 0);
    QVERIFY2(!ps.out.contains("FAKE-AGENT") && !ps.out.contains(QByteArray::number(fake.pid())), ps.out.constData());
    if (!reason.isEmpty()) {
        QVERIFY2(ps.err.contains(reason.toUtf8()), ps.err.constData());
        // The message names the path it refuses.
        QVERIFY2(ps.err.contains(QFile::encodeName(socketLayout ? real + QLatin1Char('/') + name : socketDir)),
                 ps.err.constData());
    }

    const QString out = scratch.filePath(QStringLiteral("root.lsnap"));
    for (const bool graph : {false, true}) {
        QStringList args{QStringLiteral("snapshot"), QStringLiteral("--pid"), QString::number(fake.pid()),
                         QStringLiteral("-o"), out, QStringLiteral("--timeout"), QStringLiteral("20")};
        if (graph)
            args << QStringLiteral("--graph");
        const CliResult snap = cli(args, 60000, env);
        QCOMPARE(snap.code, 2);
        QVERIFY2(!snap.out.contains("appended"), snap.out.constData());
        QVERIFY2(snap.err.contains(reason.isEmpty() ? QByteArray("no Leakscope agent serving") : reason.toUtf8()),
                 snap.err.constData());
        QVERIFY(!QFile::exists(out));
    }
    const CliResult chain = cli({QStringLiteral("chain"), QStringLiteral("--pid"), QString::number(fake.pid()),
                                 QStringLiteral("--type"), QStringLiteral("dict")},
                                60000, env);
    QCOMPARE(chain.code, 2);
    QVERIFY2(!chain.out.contains("Chain"), chain.out.constData());
}

// Issue 12, item 6: with a symbolic link at the socket directory's path,
// `ps` removed the stale sockets in whatever directory it pointed to.
void TestLiveCli::staleSocketBehindSymlinkIsKept()
{
    QTemporaryDir scratch(QDir::tempPath() + QStringLiteral("/lsc-link-XXXXXX"));
    QVERIFY(scratch.isValid());
    const QString victim = scratch.filePath(QStringLiteral("victim"));
    QVERIFY(QDir().mkpath(victim));
    QVERIFY(QFile::setPermissions(victim, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner));
    const QString stale = victim + QStringLiteral("/%1.sock").arg(deadPid());
    QVERIFY(makeStaleSocket(stale));
    const QString link = scratch.filePath(QStringLiteral("leakscope-link"));
    QVERIFY(QFile::link(victim, link));
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("LEAKSCOPE_SOCKET_DIR"), link);
    const CliResult ps = cli({QStringLiteral("ps")}, 60000, env);
    QCOMPARE(ps.code, 0);
    QVERIFY2(ps.err.contains("is a symbolic link"), ps.err.constData());
    QVERIFY2(QFileInfo(stale).exists(), "ps removed a socket through a symbolic link");

    // In the real (verified) directory the same stale socket goes.
    env.insert(QStringLiteral("LEAKSCOPE_SOCKET_DIR"), victim);
    const CliResult direct = cli({QStringLiteral("ps")}, 60000, env);
    QCOMPARE(direct.code, 0);
    QVERIFY2(!QFileInfo(stale).exists(), direct.err.constData());
}

// Issue 12, item 10: replies of the wrong shape are refused, never reported
// as written. The impostor runs as us in our own directory, so only the
// reply checks stand between it and the file.
void TestLiveCli::badRepliesAreRefused_data()
{
    QTest::addColumn<bool>("graph");
    QTest::addColumn<QString>("result");
    QTest::addColumn<QString>("reason");
    QTest::newRow("graph_dump without snapshot_id") << true << "{}" << "no valid snapshot_id";
    QTest::newRow("graph_dump snapshot_id a string") << true << R"({"snapshot_id": "7"})" << "no valid snapshot_id";
    QTest::newRow("graph_dump snapshot_id 0") << true << R"({"snapshot_id": 0})" << "no valid snapshot_id";
    QTest::newRow("graph_dump snapshot_id 7.5") << true << R"({"snapshot_id": 7.5})" << "no valid snapshot_id";
    QTest::newRow("graph_dump path a number") << true << R"({"snapshot_id": 7, "path": 3})" << "another file";
    QTest::newRow("graph_dump nothing written") << true << R"({"snapshot_id": 7})" << "cannot be read back";
    QTest::newRow("census pid a string") << false << R"({"pid": "1", "types": [["a", 1, 0]]})" << "'pid'";
    QTest::newRow("census count 1.5") << false << R"({"types": [["a", 1.5, 0]]})" << "malformed census row";
    QTest::newRow("census size a string") << false << R"({"types": [["a", 1, "0"]]})" << "malformed census row";
    QTest::newRow("census meta a list") << false << R"({"types": [], "meta": []})" << "'meta'";
    QTest::newRow("census argv of numbers") << false << R"({"types": [], "meta": {"argv": [1]}})" << "'meta.argv'";
    QTest::newRow("census of another pid") << false << R"({"pid": 1, "types": [["a", 1, 0]]})" << "from pid 1";
}

void TestLiveCli::badRepliesAreRefused()
{
    QFETCH(bool, graph);
    QFETCH(QString, result);
    QFETCH(QString, reason);
    FakeAgent fake(m_socketDir, graph ? QStringLiteral("graph_dump") : QStringLiteral("census"), result);
    QVERIFY2(!fake.socketPath().isEmpty(), "the impostor did not start");
    const QString out = m_dir.filePath(QStringLiteral("bad-reply.lsnap"));
    QFile::remove(out);
    QStringList args{QStringLiteral("snapshot"), QStringLiteral("--pid"), QString::number(fake.pid()),
                     QStringLiteral("-o"), out, QStringLiteral("--timeout"), QStringLiteral("20")};
    if (graph)
        args << QStringLiteral("--graph");
    const CliResult snap = cli(args);
    QCOMPARE(snap.code, 2);
    QVERIFY2(snap.out.isEmpty(), snap.out.constData());
    QVERIFY2(snap.err.contains(reason.toUtf8()), snap.err.constData());
    QVERIFY(!QFile::exists(out));
}

// Issue 12, item 10: chain and backrefs wait --timeout seconds, not 120.
void TestLiveCli::liveTimeoutIsHonoured_data()
{
    QTest::addColumn<QString>("op");
    QTest::addColumn<QStringList>("extra");
    QTest::newRow("chain") << "chain" << QStringList();
    QTest::newRow("backrefs") << "backrefs" << QStringList{QStringLiteral("--dot"), QStringLiteral("never.dot")};
}

void TestLiveCli::liveTimeoutIsHonoured()
{
    QFETCH(QString, op);
    QFETCH(QStringList, extra);
    FakeAgent fake(m_socketDir, op, QStringLiteral("silent"));
    QVERIFY2(!fake.socketPath().isEmpty(), "the impostor did not start");
    const CliResult r = cli(QStringList{op, QStringLiteral("--pid"), QString::number(fake.pid()), QStringLiteral("--type"),
                                        QStringLiteral("dict"), QStringLiteral("--timeout"), QStringLiteral("0.5")}
                                + extra,
                            60000);
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains(QStringLiteral("no answer to '%1' in time").arg(op).toUtf8()), r.err.constData());
    const CliResult help = cli({op, QStringLiteral("--help")});
    QVERIFY(help.out.contains("--timeout S"));
    const CliResult onFile = cli({op, QStringLiteral("x.lsnap"), QStringLiteral("--type"), QStringLiteral("dict"),
                                  QStringLiteral("--timeout"), QStringLiteral("5")});
    QCOMPARE(onFile.code, 2);
    QVERIFY(onFile.err.contains("--timeout applies to --pid"));
}

QTEST_GUILESS_MAIN(TestLiveCli)
#include "tst_livecli.moc"
