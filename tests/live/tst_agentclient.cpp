// The live feed client against real Python processes running the real agent
// server, plus a local test server for framing cases a well-behaved agent
// never produces (split lines, huge replies, garbage).
#include "live/agentclient.h"
#include "live/agentdiscovery.h"
#include "live/protocol.h"
#include "core/session.h"

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
#include <sys/stat.h>
#include <unistd.h>

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
    void hostileServer_data();
    void hostileServer();
    void peerOfAnotherUidIsRefused();

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
    const Expected<LiveSnapshot> a = Protocol::parseCensus(first.value(), QStringLiteral("live"));
    QVERIFY2(a, qPrintable(a.error()));
    QCOMPARE(countOf(a.value(), QStringLiteral("__main__.Leak")), qint64(100));
    QCOMPARE(a.value().snapshot.info.pid, target.pid());
    QVERIFY(a.value().snapshot.info.takenAt.isValid());

    QCOMPARE(target.command("leak 250"), QByteArray("ok 350"));
    const Expected<QJsonObject> second = AgentClient::call(it->socketPath, QStringLiteral("census"));
    QVERIFY2(second, qPrintable(second.error()));
    const Expected<LiveSnapshot> b = Protocol::parseCensus(second.value(), QStringLiteral("live"));
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
    QVERIFY(!Protocol::parseCensus(QJsonObject{{QStringLiteral("types"), QJsonArray{QJsonArray{1, 2}}}}, path));
    QVERIFY(!Protocol::parseCensus(QJsonObject{{QStringLiteral("types"), QJsonArray{QJsonArray{QStringLiteral("a"), -3}}}}, path));
    QVERIFY(!Protocol::parseCensus(QJsonObject{}, path));
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

// Issue 12, item 10: a server that is not a well-behaved agent (it IS the
// attacker here, so a fake server is the real thing) makes the request fail
// at once with a reason, closes the connection, and never hangs until the
// deadline or returns its data as a result.
void TestAgentClient::hostileServer_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::addColumn<bool>("closeAfter");
    QTest::addColumn<QString>("reason");
    const QByteArray deep = QByteArray(100000, '[') + QByteArray(100000, ']');
    const QByteArray nested500 = QByteArray(500, '[') + QByteArray(500, ']');
    QByteArray oversize = "{\"id\": 1, \"result\": {\"x\": \"";
    oversize += QByteArray(int(AgentClient::s_maxReplyBytes), 'A');
    oversize += "\"}}\n";
    QTest::newRow("closes mid-line") << QByteArray("{\"id\": 1, \"result\": {\"pid\"") << true
                                     << "in the middle of a reply";
    QTest::newRow("closes before answering") << QByteArray() << true << "before answering";
    QTest::newRow("garbage") << QByteArray("\x01\x02\xff this is not json\n") << false << "invalid JSON";
    QTest::newRow("oversize line") << oversize << false << "longer than";
    QTest::newRow("oversize without newline") << oversize.chopped(1) << false << "longer than";
    QTest::newRow("100000 nested brackets") << "{\"id\": 1, \"result\": {\"x\": " + deep + "}}\n" << false
                                            << "nested deeper than";
    QTest::newRow("500 nested brackets") << "{\"id\": 1, \"result\": {\"x\": " + nested500 + "}}\n" << false
                                         << "nested deeper than";
    QTest::newRow("not an object") << QByteArray("[1, 2, 3]\n") << false << "other than a JSON object";
    QTest::newRow("id never sent") << QByteArray("{\"id\": 99, \"result\": {}}\n") << false << "never sent";
    QTest::newRow("id a string") << QByteArray("{\"id\": \"1\", \"result\": {}}\n") << false << "never sent";
    QTest::newRow("id missing") << QByteArray("{\"result\": {}}\n") << false << "never sent";
    QTest::newRow("result a list") << QByteArray("{\"id\": 1, \"result\": [1]}\n") << false << "not an object";
    QTest::newRow("result and error") << QByteArray("{\"id\": 1, \"result\": {}, \"error\": \"x\"}\n") << false
                                      << "both result and error";
    QTest::newRow("neither result nor error") << QByteArray("{\"id\": 1}\n") << false << "neither result nor error";
    QTest::newRow("connection error, id null")
        << QByteArray("{\"id\": null, \"error\": {\"code\": \"too_many_connections\", \"message\": \"64 open\"}}\n")
        << false << "64 open";
}

void TestAgentClient::hostileServer()
{
    QFETCH(QByteArray, payload);
    QFETCH(bool, closeAfter);
    QFETCH(QString, reason);
    QLocalServer server;
    const QString path = m_socketDir.filePath(QStringLiteral("hostile.sock"));
    QLocalServer::removeServer(path);
    QVERIFY(server.listen(path));
    QLocalSocket *peer = nullptr;
    bool peerClosed = false;
    connect(&server, &QLocalServer::newConnection, this, [&] {
        peer = server.nextPendingConnection();
        connect(peer, &QLocalSocket::disconnected, this, [&] { peerClosed = true; });
        connect(peer, &QLocalSocket::readyRead, this, [&] {
            if (!peer->canReadLine())
                return;
            peer->readAll();
            peer->write(payload);
            peer->flush();
            if (closeAfter)
                peer->disconnectFromServer();
        });
    });
    // A well-behaved agent answers hello at once; a hang would show as
    // "no answer in time" after 30 s.
    const Expected<QJsonObject> r = AgentClient::call(path, QStringLiteral("hello"), {}, 30000);
    QVERIFY2(!r, "a hostile reply was accepted");
    QVERIFY2(r.error().contains(reason), qPrintable(r.error()));
    QVERIFY2(r.error().contains(path), qPrintable(r.error()));
    QVERIFY2(!r.error().contains(QStringLiteral("in time")), qPrintable(r.error()));
    // The client hung up (call() returns only after it let go of the socket).
    QTRY_VERIFY(peerClosed);
}

// Issue 12, item 6: a socket in our own directory, owned by us, but served by
// a process of another user (it bound the socket as nobody; we moved it in):
// refused after connect by SO_PEERCRED, before a single request byte is sent,
// and not listed by discovery.
void TestAgentClient::peerOfAnotherUidIsRefused()
{
    if (::geteuid() != 0)
        QSKIP("needs root to run a server as another user (uid 65534)");
    QTemporaryDir staging(QDir::tempPath() + QStringLiteral("/lsc-nobody-XXXXXX"));
    QVERIFY(staging.isValid());
    QVERIFY(::chown(QFile::encodeName(staging.path()).constData(), 65534, 65534) == 0);
    const char script[] = R"PY(
import os, socket, sys
os.setgroups([])
os.setgid(65534)
os.setuid(65534)
path = os.path.join(sys.argv[1], "%d.sock" % os.getpid())
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(4)
print(path, flush=True)
while True:
    c, _ = srv.accept()
    got = b""
    try:
        c.sendall(b'{"id": 1, "result": {"python": "6.6.6", "argv": ["FAKE-AGENT"], "pid": 1}}\n')
        while True:
            chunk = c.recv(65536)
            if not chunk:
                break
            got += chunk
    except OSError:
        pass  # the client resets the connection, unread reply and all
    print("received %d bytes" % len(got), flush=True)
    c.close()
)PY";
    QProcess fake;
    fake.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    fake.start(QStringLiteral(LEAKSCOPE_SYSTEM_PYTHON), {QStringLiteral("-c"), QString::fromLatin1(script), staging.path()});
    QVERIFY(fake.waitForStarted());
    QTRY_VERIFY_WITH_TIMEOUT(fake.canReadLine(), 20000);
    const QString bound = QString::fromLocal8Bit(fake.readLine().trimmed());
    const QString path = m_socketDir.filePath(QStringLiteral("%1.sock").arg(fake.processId()));
    QVERIFY(::rename(QFile::encodeName(bound).constData(), QFile::encodeName(path).constData()) == 0);
    QVERIFY(::lchown(QFile::encodeName(path).constData(), 0, 0) == 0); // the file is ours now; the server is not

    QString refusal;
    const Expected<QJsonObject> r = AgentClient::call(path, QStringLiteral("census"), {}, 10000, &refusal);
    QVERIFY2(!r, "a server of uid 65534 was trusted");
    QVERIFY2(r.error().contains(QStringLiteral("runs as uid 65534, not as you (uid 0)")), qPrintable(r.error()));
    QCOMPARE(refusal, r.error());
    QTRY_VERIFY_WITH_TIMEOUT(fake.canReadLine(), 10000);
    QCOMPARE(fake.readLine().trimmed(), QByteArray("received 0 bytes"));

    // The asynchronous client (the window's) refuses the same way.
    AgentClient client;
    QSignalSpy connected(&client, &AgentClient::connected);
    QSignalSpy failed(&client, &AgentClient::failed);
    QSignalSpy disconnected(&client, &AgentClient::disconnected);
    client.connectToAgent(path);
    client.request(QStringLiteral("census"));
    QTRY_COMPARE(failed.size(), 1);
    QVERIFY(failed.at(0).at(1).toString().contains(QStringLiteral("runs as uid 65534")));
    QTRY_COMPARE(disconnected.size(), 1);
    QCOMPARE(connected.size(), 0);
    QVERIFY(!client.isConnected());
    QTRY_VERIFY_WITH_TIMEOUT(fake.canReadLine(), 10000);
    QCOMPARE(fake.readLine().trimmed(), QByteArray("received 0 bytes"));

    // Discovery (ps, Connect to Process) names it as refused, never as an agent.
    const AgentList found = AgentDiscovery::list();
    QVERIFY(std::none_of(found.agents.begin(), found.agents.end(),
                         [&](const AgentEndpoint &e) { return e.pid == fake.processId(); }));
    QVERIFY2(found.refused.join(QLatin1Char('\n')).contains(path), qPrintable(found.refused.join(QLatin1Char('\n'))));
    QString why;
    QCOMPARE(AgentDiscovery::socketPathForPid(fake.processId(), &why), path); // the file itself is fine
    fake.kill();
    fake.waitForFinished(5000);
}

QTEST_GUILESS_MAIN(TestAgentClient)
#include "tst_agentclient.moc"
