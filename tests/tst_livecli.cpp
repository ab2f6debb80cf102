// `leakscope-cli ps` and `leakscope-cli snapshot` against a real Python
// program started with `leakscope-cli record` (which serves by default).
#include "snapshotreader.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <signal.h>

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

private:
    CliResult cli(const QStringList &args, int timeoutMs = 60000);
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

CliResult TestLiveCli::cli(const QStringList &args, int timeoutMs)
{
    QProcess p;
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
               {QStringLiteral("snapshot"), QStringLiteral("--pid"), QString::number(pid), QStringLiteral("-o"), out});
    QVERIFY(snap.waitForStarted());
    QTest::qWait(300); // let the census start
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

QTEST_GUILESS_MAIN(TestLiveCli)
#include "tst_livecli.moc"
