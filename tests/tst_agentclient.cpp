// The live feed client against real Python processes running the real agent
// server, plus a local test server for framing cases a well-behaved agent
// never produces (split lines, huge replies, garbage).
#include "agentclient.h"
#include "agentdiscovery.h"
#include "session.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QLocalServer>
#include <QLocalSocket>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <signal.h>

using namespace leakscope;

namespace {

// A Python program that leaks on command: "leak N" adds N objects of
// __main__.Leak to a module-level list and answers "ok <total>".
const char s_leakyScript[] = R"PY(
import sys
import leakscope_agent

class Leak:
    pass

_KEPT = []
leakscope_agent.start_server()
print("ready", flush=True)
for line in sys.stdin:
    parts = line.split()
    if parts and parts[0] == "leak":
        _KEPT.extend(Leak() for _ in range(int(parts[1])))
    elif parts and parts[0] == "big":
        _KEPT.extend([object()] for _ in range(int(parts[1])))
    print("ok", len(_KEPT), flush=True)
)PY";

class PythonTarget
{
public:
    explicit PythonTarget(const QString &socketDir)
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("PYTHONPATH"), QStringLiteral(LEAKSCOPE_SOURCE_DIR "/resources/python"));
        env.insert(QStringLiteral("LEAKSCOPE_SOCKET_DIR"), socketDir);
        m_process.setProcessEnvironment(env);
        m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_process.start(QStringLiteral(LEAKSCOPE_PYTHON), {QStringLiteral("-u"), QStringLiteral("-c"),
                                                           QString::fromLatin1(s_leakyScript)});
    }
    ~PythonTarget()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.kill();
            m_process.waitForFinished(5000);
        }
    }
    bool waitReady() { return readLine().startsWith("ready"); }
    QByteArray command(const QByteArray &line)
    {
        m_process.write(line + '\n');
        return readLine();
    }
    qint64 pid() const { return m_process.processId(); }
    QProcess &process() { return m_process; }

private:
    QByteArray readLine()
    {
        while (!m_process.canReadLine())
            if (!m_process.waitForReadyRead(20000))
                return QByteArray();
        return m_process.readLine().trimmed();
    }
    QProcess m_process;
};

qint64 countOf(const LiveSnapshot &live, const QString &name)
{
    const int id = live.types.find(name);
    for (const TypeStat &s : live.snapshot.stats)
        if (s.type == id)
            return s.count;
    return 0;
}

} // namespace

class TestAgentClient : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void discoversAndMeasuresGrowth();
    void asyncRequestsMatchReplies();
    void killedDuringCensusFailsFast();
    void stoppedProcessTimesOut();
    void staleSocketIsRemoved();
    void splitLinesAndLargeRepliesFromServer();
    void garbageFromServerFailsRequests();
    void notConnectedFails();

private:
    QTemporaryDir m_socketDir{QDir::tempPath() + QStringLiteral("/lsc-XXXXXX")};
};

void TestAgentClient::init()
{
    QVERIFY(m_socketDir.isValid());
    // The agent insists on a private directory.
    QFile::setPermissions(m_socketDir.path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    qputenv("LEAKSCOPE_SOCKET_DIR", QFile::encodeName(m_socketDir.path()));
}

void TestAgentClient::discoversAndMeasuresGrowth()
{
    PythonTarget target(m_socketDir.path());
    QVERIFY(target.waitReady());
    QCOMPARE(target.command("leak 100"), QByteArray("ok 100"));

    const std::vector<AgentEndpoint> agents = AgentDiscovery::list().agents;
    const auto it = std::find_if(agents.begin(), agents.end(), [&](const AgentEndpoint &e) { return e.pid == target.pid(); });
    QVERIFY2(it != agents.end(), "the agent's socket was not found");
    QVERIFY2(it->error.isEmpty(), qPrintable(it->error));
    QVERIFY(it->python.startsWith(QLatin1Char('3')));
    QVERIFY(it->uptimeSeconds >= 0);
    QCOMPARE(AgentDiscovery::socketPathForPid(target.pid()), it->socketPath);

    const Expected<QJsonObject> first = AgentClient::call(it->socketPath, QStringLiteral("census"));
    QVERIFY2(first, qPrintable(first.error()));
    const Expected<LiveSnapshot> a = snapshotFromCensus(first.value(), QStringLiteral("live"));
    QVERIFY2(a, qPrintable(a.error()));
    QCOMPARE(countOf(a.value(), QStringLiteral("__main__.Leak")), qint64(100));
    QCOMPARE(a.value().snapshot.info.pid, target.pid());
    QVERIFY(a.value().snapshot.info.takenAt.isValid());

    QCOMPARE(target.command("leak 250"), QByteArray("ok 350"));
    const Expected<QJsonObject> second = AgentClient::call(it->socketPath, QStringLiteral("census"));
    QVERIFY2(second, qPrintable(second.error()));
    const Expected<LiveSnapshot> b = snapshotFromCensus(second.value(), QStringLiteral("live"));
    QVERIFY2(b, qPrintable(b.error()));
    QCOMPARE(countOf(b.value(), QStringLiteral("__main__.Leak")), qint64(350));

    Session session;
    session.addSnapshot(a.value().snapshot, a.value().types);
    session.addSnapshot(b.value().snapshot, b.value().types);
    const int leak = session.types().find(QStringLiteral("__main__.Leak"));
    QCOMPARE(session.countSeries(leak), (std::vector<qint64>{100, 350}));
}

void TestAgentClient::asyncRequestsMatchReplies()
{
    PythonTarget target(m_socketDir.path());
    QVERIFY(target.waitReady());
    AgentClient client;
    QSignalSpy connected(&client, &AgentClient::connected);
    QSignalSpy replied(&client, &AgentClient::replied);
    QSignalSpy failed(&client, &AgentClient::failed);
    client.connectToAgent(AgentDiscovery::socketPathForPid(target.pid()));
    QTRY_COMPARE(connected.size(), 1);
    const qint64 census = client.request(QStringLiteral("census"));
    const qint64 hello = client.request(QStringLiteral("hello"));
    const qint64 bogus = client.request(QStringLiteral("no_such_op"));
    QTRY_COMPARE_WITH_TIMEOUT(replied.size() + failed.size(), 3, 20000);
    QCOMPARE(failed.size(), 1);
    QCOMPARE(failed.at(0).at(0).toLongLong(), bogus);
    QSet<qint64> ids;
    for (const QList<QVariant> &r : replied) {
        ids.insert(r.at(0).toLongLong());
        const QJsonObject result = r.at(1).toJsonObject();
        if (r.at(0).toLongLong() == hello)
            QCOMPARE(result.value(QStringLiteral("pid")).toInteger(), target.pid());
        else
            QVERIFY(result.value(QStringLiteral("types")).isArray());
    }
    QCOMPARE(ids, (QSet<qint64>{census, hello}));
}

void TestAgentClient::killedDuringCensusFailsFast()
{
    PythonTarget target(m_socketDir.path());
    QVERIFY(target.waitReady());
    // Enough objects that a census takes a while.
    QCOMPARE(target.command("big 1500000"), QByteArray("ok 1500000"));
    AgentClient client;
    QSignalSpy connected(&client, &AgentClient::connected);
    QSignalSpy failed(&client, &AgentClient::failed);
    QSignalSpy disconnected(&client, &AgentClient::disconnected);
    client.connectToAgent(AgentDiscovery::socketPathForPid(target.pid()));
    QTRY_COMPARE(connected.size(), 1);
    QElapsedTimer clock;
    clock.start();
    const qint64 id = client.request(QStringLiteral("census"), {}, 60000);
    ::kill(pid_t(target.pid()), SIGKILL);
    QTRY_COMPARE_WITH_TIMEOUT(failed.size(), 1, 10000);
    QVERIFY(clock.elapsed() < 10000);
    QCOMPARE(failed.at(0).at(0).toLongLong(), id);
    QVERIFY(failed.at(0).at(1).toString().contains(QStringLiteral("closed")));
    QTRY_COMPARE(disconnected.size(), 1);
}

void TestAgentClient::stoppedProcessTimesOut()
{
    PythonTarget target(m_socketDir.path());
    QVERIFY(target.waitReady());
    AgentClient client;
    QSignalSpy connected(&client, &AgentClient::connected);
    QSignalSpy failed(&client, &AgentClient::failed);
    client.connectToAgent(AgentDiscovery::socketPathForPid(target.pid()));
    QTRY_COMPARE(connected.size(), 1);
    ::kill(pid_t(target.pid()), SIGSTOP);
    client.request(QStringLiteral("hello"), {}, 500);
    QTRY_COMPARE_WITH_TIMEOUT(failed.size(), 1, 5000);
    QVERIFY(failed.at(0).at(1).toString().contains(QStringLiteral("in time")));
    ::kill(pid_t(target.pid()), SIGCONT);
}

void TestAgentClient::staleSocketIsRemoved()
{
    QString socketPath;
    {
        PythonTarget target(m_socketDir.path());
        QVERIFY(target.waitReady());
        socketPath = AgentDiscovery::socketPathForPid(target.pid());
        QVERIFY(QFileInfo::exists(socketPath));
        ::kill(pid_t(target.pid()), SIGKILL);
        QVERIFY(target.process().waitForFinished(5000));
    }
    QVERIFY2(QFileInfo::exists(socketPath), "kill -9 cannot remove the socket; the client must");
    const std::vector<AgentEndpoint> agents = AgentDiscovery::list().agents;
    QVERIFY(std::none_of(agents.begin(), agents.end(), [&](const AgentEndpoint &e) { return e.socketPath == socketPath; }));
    QVERIFY(!QFileInfo::exists(socketPath));
}

void TestAgentClient::splitLinesAndLargeRepliesFromServer()
{
    QLocalServer server;
    const QString path = m_socketDir.filePath(QStringLiteral("fake.sock"));
    QVERIFY(server.listen(path));
    AgentClient client;
    QSignalSpy replied(&client, &AgentClient::replied);
    client.connectToAgent(path);
    QTRY_VERIFY(server.hasPendingConnections());
    QLocalSocket *peer = server.nextPendingConnection();
    const qint64 small = client.request(QStringLiteral("hello"));
    const qint64 large = client.request(QStringLiteral("census"));
    QTRY_VERIFY(peer->bytesAvailable() > 0 || peer->waitForReadyRead(100));

    // A reply split across writes, then one far larger than the inline limit.
    const QByteArray first = "{\"id\": " + QByteArray::number(small) + ", \"result\": {\"pid\": 42}}\n";
    peer->write(first.left(10));
    peer->flush();
    QTest::qWait(50);
    peer->write(first.mid(10));
    QByteArray big = "{\"id\": " + QByteArray::number(large) + ", \"result\": {\"types\": [";
    const int rows = 20000;
    for (int i = 0; i < rows; ++i)
        big += (i ? "," : "") + QByteArray("[\"mod.Type") + QByteArray::number(i) + "\", " + QByteArray::number(i) + ", 0]";
    big += "]}}\n";
    QVERIFY(big.size() > AgentClient::s_inlineParseLimit);
    peer->write(big);
    peer->flush();
    QTRY_COMPARE_WITH_TIMEOUT(replied.size(), 2, 10000);
    QCOMPARE(replied.at(0).at(0).toLongLong(), small);
    QCOMPARE(replied.at(0).at(1).toJsonObject().value(QStringLiteral("pid")).toInt(), 42);
    QCOMPARE(replied.at(1).at(0).toLongLong(), large);
    QCOMPARE(replied.at(1).at(1).toJsonObject().value(QStringLiteral("types")).toArray().size(), rows);
}

void TestAgentClient::garbageFromServerFailsRequests()
{
    QLocalServer server;
    const QString path = m_socketDir.filePath(QStringLiteral("garbage.sock"));
    QVERIFY(server.listen(path));
    AgentClient client;
    QSignalSpy failed(&client, &AgentClient::failed);
    client.connectToAgent(path);
    QTRY_VERIFY(server.hasPendingConnections());
    QLocalSocket *peer = server.nextPendingConnection();
    client.request(QStringLiteral("hello"));
    peer->write("\x01\x02 this is not json\n");
    peer->flush();
    QTRY_COMPARE(failed.size(), 1);
    QVERIFY(failed.at(0).at(1).toString().contains(QStringLiteral("invalid JSON")));
    // A census reply that is well-formed JSON but not a census.
    QVERIFY(!snapshotFromCensus(QJsonObject{{QStringLiteral("types"), QJsonArray{QJsonArray{1, 2}}}}, path));
    QVERIFY(!snapshotFromCensus(QJsonObject{{QStringLiteral("types"), QJsonArray{QJsonArray{QStringLiteral("a"), -3}}}}, path));
    QVERIFY(!snapshotFromCensus(QJsonObject{}, path));
}

void TestAgentClient::notConnectedFails()
{
    AgentClient client;
    QSignalSpy failed(&client, &AgentClient::failed);
    const qint64 id = client.request(QStringLiteral("hello"));
    QTRY_COMPARE(failed.size(), 1);
    QCOMPARE(failed.at(0).at(0).toLongLong(), id);
    const Expected<QJsonObject> r = AgentClient::call(m_socketDir.filePath(QStringLiteral("nobody.sock")), QStringLiteral("hello"));
    QVERIFY(!r);
    QVERIFY(r.error().contains(QStringLiteral("nobody.sock")));
}

QTEST_GUILESS_MAIN(TestAgentClient)
#include "tst_agentclient.moc"
