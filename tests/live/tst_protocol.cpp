// Every message of docs/protocol.md built by Protocol, sent to a real Python
// process running the real agent, and its reply parsed; then hostile replies
// (wrong types, missing keys, edges to nowhere) that every parser must refuse
// with a sentence naming the source.
#include "live/agentclient.h"
#include "live/protocol.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

#include <functional>
#include <map>

using namespace leakscope;

namespace {

// A program whose leak hangs off a module global: _HELD -> list -> Held.
const char s_script[] = R"PY(
import sys
import leakscope_agent

class Held:
    pass

_HELD = [Held() for _ in range(5)]
_BIG = ["line %d" % i for i in range(1500)]  # a container of str payloads
print(leakscope_agent.start_server(), flush=True)
sys.stdin.readline()
)PY";

class Target
{
public:
    explicit Target(const QString &socketDir)
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("PYTHONPATH"), QStringLiteral(LEAKSCOPE_SOURCE_DIR "/resources/python"));
        env.insert(QStringLiteral("LEAKSCOPE_SOCKET_DIR"), socketDir);
        m_process.setProcessEnvironment(env);
        m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_process.start(QStringLiteral(LEAKSCOPE_PYTHON),
                        {QStringLiteral("-u"), QStringLiteral("-c"), QString::fromLatin1(s_script)});
        if (m_process.waitForStarted())
            while (!m_process.canReadLine() && m_process.waitForReadyRead(20000)) {
            }
        m_socket = QString::fromLocal8Bit(m_process.readLine().trimmed());
    }
    ~Target()
    {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
    QString socket() const { return m_socket; }
    qint64 pid() const { return m_process.processId(); }

private:
    QProcess m_process;
    QString m_socket;
};

} // namespace

class TestProtocol : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void everyOpAgainstTheRealAgent();
    void hostileReplies_data();
    void hostileReplies();
    void objectReplyIsTamed();

private:
    QTemporaryDir m_socketDir{QDir::tempPath() + QStringLiteral("/lsp-XXXXXX")};
};

void TestProtocol::init()
{
    QVERIFY(m_socketDir.isValid());
    QFile::setPermissions(m_socketDir.path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
}

void TestProtocol::everyOpAgainstTheRealAgent()
{
    Target target(m_socketDir.path());
    QVERIFY2(target.socket().endsWith(QStringLiteral(".sock")), qPrintable(target.socket()));
    const QString source = QStringLiteral("test agent");
    auto call = [&](const AgentRequest &r) {
        const Expected<QJsonObject> reply = AgentClient::call(target.socket(), r, 60000);
        if (!reply)
            qWarning("%s: %s", qPrintable(r.op), qPrintable(reply.error()));
        return reply ? reply.value() : QJsonObject{{QStringLiteral("call failed"), true}};
    };
    QSet<QString> sent;
    auto send = [&](const AgentRequest &r) {
        sent.insert(r.op);
        return call(r);
    };

    const Expected<Protocol::Hello> hello = Protocol::parseHello(send(Protocol::hello()), source);
    QVERIFY2(hello, qPrintable(hello.error()));
    QCOMPARE(hello.value().protocol, 1);
    QCOMPARE(hello.value().pid, target.pid());
    QVERIFY(!hello.value().python.isEmpty());
    QVERIFY(hello.value().uptime >= 0);

    const Expected<double> ping = Protocol::parsePing(send(Protocol::ping()), source);
    QVERIFY2(ping, qPrintable(ping.error()));
    QVERIFY(ping.value() > 1.6e9);

    const Expected<LiveSnapshot> census = Protocol::parseCensus(send(Protocol::census(true, true)), source);
    QVERIFY2(census, qPrintable(census.error()));
    const int held = census.value().types.find(QStringLiteral("__main__.Held"));
    QVERIFY(held >= 0);
    qint64 heldCount = 0;
    for (const TypeStat &s : census.value().snapshot.stats)
        heldCount += s.type == held ? s.count : 0;
    QCOMPARE(heldCount, qint64(5));
    QCOMPARE(census.value().snapshot.info.pid, target.pid());
    QVERIFY(!census.value().snapshot.info.hasContainerPass);
    QVERIFY(census.value().snapshot.containers.empty());

    // With the container pass: _BIG (1,500 items, at least 1,000: always
    // recorded) and its str payload.
    const Expected<LiveSnapshot> withContainers =
        Protocol::parseCensus(call(Protocol::census(true, false, true)), source);
    QVERIFY2(withContainers, qPrintable(withContainers.error()));
    const Snapshot &cs = withContainers.value().snapshot;
    QVERIFY(cs.info.hasContainerPass);
    QVERIFY(cs.info.meta.contains(QStringLiteral("containers")));
    const int listType = withContainers.value().types.find(QStringLiteral("list"));
    QVERIFY(listType >= 0);
    bool heldList = false;
    for (const ContainerStat &c : cs.containers) {
        QVERIFY(c.type >= 0 && c.type < withContainers.value().types.size());
        QVERIFY(c.objectId != 0);
        heldList = heldList || (c.type == listType && c.items == 1500 && !c.value && c.payloadBytes > 1500 * 40);
    }
    QVERIFY2(heldList, "no 1,500-item list of str among the containers");

    const Expected<Protocol::Instances> instances =
        Protocol::parseInstances(send(Protocol::instances(QStringLiteral("__main__.Held"), 1, 2)), source);
    QVERIFY2(instances, qPrintable(instances.error()));
    QCOMPARE(instances.value().total, qint64(5));
    QCOMPARE(instances.value().offset, qint64(1));
    QCOMPARE(instances.value().items.size(), size_t(2));
    const qint64 one = instances.value().items.front().id;

    const Expected<Protocol::ObjectInfo> object = Protocol::parseObject(send(Protocol::object(one)), source);
    QVERIFY2(object, qPrintable(object.error()));
    QCOMPARE(object.value().id, one);
    QCOMPARE(object.value().type, QStringLiteral("__main__.Held"));
    QCOMPARE(object.value().referrersCount, qint64(1));
    // The lists: the instance's class, and _HELD's list by index.
    QVERIFY(object.value().listed);
    QCOMPARE(object.value().referrers.size(), size_t(1));
    QCOMPARE(object.value().referrers.front().type, QStringLiteral("list"));
    QVERIFY2(object.value().referrers.front().edge.startsWith(QLatin1Char('[')),
             qPrintable(object.value().referrers.front().edge));
    bool classField = false;
    for (const Protocol::ObjectInfo::Field &f : object.value().fields)
        classField = classField || (f.name == QLatin1String("__class__") && f.value == QLatin1String("class __main__.Held"));
    QVERIFY(classField);

    // By type and by object: the chain from the module to a Held through _HELD.
    for (const AgentRequest &r : {Protocol::chainOfType(QStringLiteral("__main__.Held")), Protocol::chainOfObject(one)}) {
        const Expected<Protocol::Chain> chain = Protocol::parseChain(send(r), source);
        QVERIFY2(chain, qPrintable(chain.error()));
        QVERIFY(chain.value().found);
        QCOMPARE(chain.value().end, Protocol::Chain::End::Root);
        const std::vector<Protocol::RefNode> &steps = chain.value().steps;
        QVERIFY(steps.size() >= 3);
        QCOMPARE(steps.front().label, QStringLiteral("module __main__"));
        QVERIFY(!steps.front().hasEdge);
        QCOMPARE(steps.back().type, QStringLiteral("__main__.Held"));
        QCOMPARE(steps[steps.size() - 2].edge, QStringLiteral("_HELD"));
    }
    const Expected<Protocol::Chain> byObject = Protocol::parseChain(call(Protocol::chainOfObject(one)), source);
    QVERIFY(byObject);
    QCOMPARE(byObject.value().steps.back().id, one);

    Protocol::BackrefsQuery byType;
    byType.type = QStringLiteral("__main__.Held");
    byType.k = 2;
    byType.depth = 3;
    const Expected<Protocol::Backrefs> refs = Protocol::parseBackrefs(send(Protocol::backrefs(byType)), source);
    QVERIFY2(refs, qPrintable(refs.error()));
    int targets = 0;
    for (const Protocol::RefNode &n : refs.value().nodes)
        targets += n.kind == QLatin1String("target") ? 1 : 0;
    QCOMPARE(targets, 2);
    QVERIFY(!refs.value().edges.empty());
    Protocol::BackrefsQuery byIds;
    byIds.ids = {one};
    byIds.depth = 1;
    const Expected<Protocol::Backrefs> direct = Protocol::parseBackrefs(call(Protocol::backrefs(byIds)), source);
    QVERIFY2(direct, qPrintable(direct.error()));
    QCOMPARE(direct.value().nodes.front().id, one);
    QCOMPARE(direct.value().edges.size(), size_t(1)); // the list _HELD

    QTemporaryDir files;
    const QString path = QFileInfo(files.filePath(QStringLiteral("dump.lsnap"))).absoluteFilePath();
    const Expected<qint64> dumped =
        Protocol::parseGraphDump(send(Protocol::graphDump(path, QStringLiteral("by test"))), path, source);
    QVERIFY2(dumped, qPrintable(dumped.error()));
    QCOMPARE(dumped.value(), qint64(1));
    QVERIFY(QFileInfo(path).size() > 0);

    // Every op the agent serves has a builder and a parser here.
    const QStringList ops = hello.value().ops;
    QSet<QString> served(ops.begin(), ops.end());
    served.insert(Protocol::stopServer().op); // sent last: it ends the server
    sent.insert(Protocol::stopServer().op);
    QCOMPARE(sent, served);
    const Expected<Protocol::StopServer> stopped = Protocol::parseStopServer(call(Protocol::stopServer()), source);
    QVERIFY2(stopped, qPrintable(stopped.error()));
    QCOMPARE(stopped.value().path, target.socket());
}

void TestProtocol::hostileReplies_data()
{
    QTest::addColumn<QString>("op");
    QTest::addColumn<QByteArray>("reply");
    QTest::addColumn<QString>("error");

    QTest::newRow("hello pid a string") << "hello" << QByteArray(R"({"pid": "1"})") << "'pid' that is not a whole";
    QTest::newRow("hello argv of numbers") << "hello" << QByteArray(R"({"argv": [1]})") << "other than strings";
    QTest::newRow("hello protocol 0") << "hello" << QByteArray(R"({"protocol": 0})") << "of at least 1";
    QTest::newRow("ping without pong") << "ping" << QByteArray(R"({"time": 1})") << "has no 'pong'";
    QTest::newRow("census without types") << "census" << QByteArray(R"({})") << "without a type list";
    QTest::newRow("census count 1.5") << "census" << QByteArray(R"({"types": [["a", 1.5, 0]]})") << "malformed census row";
    QTest::newRow("census type twice") << "census" << QByteArray(R"({"types": [["a", 1, 0], ["a", 2, 0]]})")
                                       << "lists a type twice";
    QTest::newRow("census meta a list") << "census" << QByteArray(R"({"types": [], "meta": []})") << "'meta' is not an object";
    QTest::newRow("backrefs without edges") << "backrefs" << QByteArray(R"({"nodes": []})") << "has no 'edges'";
    QTest::newRow("backrefs node id a string")
        << "backrefs" << QByteArray(R"({"nodes": [{"id": "7"}], "edges": []})") << "not a whole number";
    QTest::newRow("backrefs node id 0") << "backrefs" << QByteArray(R"({"nodes": [{"id": 0}], "edges": []})")
                                        << "not a positive object id";
    QTest::newRow("backrefs collapsed id positive")
        << "backrefs" << QByteArray(R"({"nodes": [{"id": 5, "kind": "collapsed"}], "edges": []})") << "not negative";
    QTest::newRow("backrefs edge to nowhere")
        << "backrefs" << QByteArray(R"({"nodes": [{"id": 5}], "edges": [{"from": 6, "to": 5}]})") << "unknown nodes";
    QTest::newRow("backrefs edge label a number")
        << "backrefs" << QByteArray(R"({"nodes": [{"id": 5}], "edges": [{"from": 5, "to": 5, "label": 3}]})")
        << "'label' that is not a string";
    QTest::newRow("backrefs truncated a string")
        << "backrefs" << QByteArray(R"({"truncated": "no", "nodes": [], "edges": []})") << "not true or false";
    QTest::newRow("chain not a list") << "chain" << QByteArray(R"({"chain": {}})") << "'chain' that is not a list";
    QTest::newRow("chain root without steps") << "chain" << QByteArray(R"({"end": "root", "chain": []})") << "has no steps";
    QTest::newRow("chain none with steps")
        << "chain" << QByteArray(R"({"end": "none", "chain": [{"id": 5}]})") << "ends nowhere";
    QTest::newRow("chain unknown end") << "chain" << QByteArray(R"({"end": "moon", "chain": [{"id": 5}]})") << "unknown 'end'";
    QTest::newRow("chain step a number") << "chain" << QByteArray(R"({"end": "root", "chain": [5]})") << "not an object";
    QTest::newRow("chain edge a list")
        << "chain" << QByteArray(R"({"end": "root", "chain": [{"id": 5, "edge": []}]})") << "'edge' that is not a string";
    QTest::newRow("instances without total") << "instances" << QByteArray(R"({"items": []})") << "has no 'total'";
    QTest::newRow("instances item id negative")
        << "instances" << QByteArray(R"({"total": 1, "items": [{"id": -4}]})") << "of at least 1";
    QTest::newRow("object without type") << "object" << QByteArray(R"({"id": 5})") << "has no 'type'";
    QTest::newRow("object size a string") << "object" << QByteArray(R"({"id": 5, "type": "x", "size": "8"})")
                                          << "'size' that is not a whole";
    QTest::newRow("object fields an object") << "object" << QByteArray(R"({"id": 5, "type": "x", "fields": {}})")
                                             << "'fields' that is not a list";
    QTest::newRow("object field a number") << "object" << QByteArray(R"({"id": 5, "type": "x", "fields": [3], "referrers": []})")
                                           << "field that is not an object";
    QTest::newRow("object field id 0")
        << "object" << QByteArray(R"({"id": 5, "type": "x", "fields": [{"id": 0, "type": "int"}], "referrers": []})")
        << "field that has a 'id' that is not a whole number of at least 1";
    QTest::newRow("object field without type")
        << "object" << QByteArray(R"({"id": 5, "type": "x", "fields": [{"id": 9}], "referrers": []})")
        << "field that has no 'type'";
    QTest::newRow("object field value a number")
        << "object" << QByteArray(R"({"id": 5, "type": "x", "fields": [{"id": 9, "type": "int", "value": 3}], "referrers": []})")
        << "'value' that is not a string";
    QTest::newRow("object field size negative")
        << "object"
        << QByteArray(R"({"id": 5, "type": "x", "fields": [{"id": 9, "type": "int", "size": -1}], "referrers": []})")
        << "'size' that is not a whole number of at least 0";
    QTest::newRow("object fields without referrers") << "object" << QByteArray(R"({"id": 5, "type": "x", "fields": []})")
                                                     << "has no 'referrers'";
    QTest::newRow("object referrer id 1e300")
        << "object" << QByteArray(R"({"id": 5, "type": "x", "fields": [], "referrers": [{"id": 1e300, "type": "dict"}]})")
        << "referrer that has a 'id' that is not a whole";
    QTest::newRow("object referrer edge a list")
        << "object"
        << QByteArray(R"({"id": 5, "type": "x", "fields": [], "referrers": [{"id": 6, "type": "dict", "edge": []}]})")
        << "'edge' that is not a string";
    QTest::newRow("object owner a string")
        << "object"
        << QByteArray(R"({"id": 5, "type": "x", "fields": [], "referrers": [{"id": 6, "type": "dict", "owner": "me"}]})")
        << "'owner' that is not an object";
    QTest::newRow("object held_as a number")
        << "object"
        << QByteArray(R"({"id": 5, "type": "x", "fields": [], "referrers": [{"id": 6, "type": "dict", "held_as": 1}]})")
        << "'held_as' that is not a string";
    QTest::newRow("object owner without id")
        << "object"
        << QByteArray(R"({"id": 5, "type": "x", "fields": [], "referrers": [{"id": 6, "type": "dict", "owner": {"type": "A"}}]})")
        << "referrer that has no 'id'";
    QTest::newRow("object fields_truncated a number")
        << "object" << QByteArray(R"({"id": 5, "type": "x", "fields": [], "referrers": [], "fields_truncated": 1})")
        << "not true or false";
    {
        QByteArray many = R"({"id": 5, "type": "x", "referrers": [], "fields": [)";
        for (int i = 0; i <= Protocol::ObjectInfo::s_maxFields; ++i)
            many += QByteArray(i ? "," : "") + R"({"id": 9, "type": "int"})";
        QTest::newRow("object 201 fields") << "object" << QByteArray(many + "]}") << "201 fields (at most 200)";
        QByteArray referrers = R"({"id": 5, "type": "x", "fields": [], "referrers": [)";
        for (int i = 0; i <= Protocol::ObjectInfo::s_maxReferrers; ++i)
            referrers += QByteArray(i ? "," : "") + R"({"id": 9, "type": "dict"})";
        QTest::newRow("object 51 referrers") << "object" << QByteArray(referrers + "]}") << "51 referrers (at most 50)";
    }
    const QByteArray census = R"("types": [["list", 3, 168]], "containers": )";
    QTest::newRow("census containers an object") << "census" << QByteArray("{" + census + "{}}") << "'containers' is not a list";
    QTest::newRow("census container row short")
        << "census" << QByteArray("{" + census + R"([[5, "list", "container", 3]]})") << "malformed container row";
    QTest::newRow("census container type a number")
        << "census"
        << QByteArray("{" + census + R"([[5, 7, "container", 3, 88, null, false, null, null, null, null]]})")
        << "malformed container row";
    QTest::newRow("census container kind unknown")
        << "census"
        << QByteArray("{" + census + R"([[5, "list", "moon", 3, 88, null, false, null, null, null, null]]})")
        << "unknown kind 'moon'";
    QTest::newRow("census container items negative")
        << "census"
        << QByteArray("{" + census + R"([[5, "list", "container", -3, 88, null, false, null, null, null, null]]})")
        << "negative count or size";
    QTest::newRow("census container held_by a list")
        << "census"
        << QByteArray("{" + census + R"([[5, "list", "container", 3, 88, null, false, null, [], null, null]]})")
        << "malformed container row";
    QTest::newRow("census container estimated a number")
        << "census"
        << QByteArray("{" + census + R"([[5, "list", "container", 3, 88, 10, 1, null, null, null, null]]})")
        << "malformed container row";
    QTest::newRow("graph_dump without snapshot_id") << "graph_dump" << QByteArray(R"({})") << "no valid snapshot_id";
    QTest::newRow("graph_dump snapshot_id 0") << "graph_dump" << QByteArray(R"({"snapshot_id": 0})")
                                              << "no valid snapshot_id";
    QTest::newRow("graph_dump other path") << "graph_dump" << QByteArray(R"({"snapshot_id": 2, "path": "/etc/x"})")
                                           << "names another file";
    QTest::newRow("stop_server not stopping") << "stop_server" << QByteArray(R"({"stopping": false})")
                                              << "does not say it is stopping";
}

void TestProtocol::hostileReplies()
{
    QFETCH(QString, op);
    QFETCH(QByteArray, reply);
    QFETCH(QString, error);
    const QJsonObject result = QJsonDocument::fromJson(reply).object();
    const QString source = QStringLiteral("pid 4242");
    const std::map<QString, std::function<QString()>> parsers{
        {QStringLiteral("hello"), [&] { return Protocol::parseHello(result, source).error(); }},
        {QStringLiteral("ping"), [&] { return Protocol::parsePing(result, source).error(); }},
        {QStringLiteral("census"), [&] { return Protocol::parseCensus(result, source).error(); }},
        {QStringLiteral("backrefs"), [&] { return Protocol::parseBackrefs(result, source).error(); }},
        {QStringLiteral("chain"), [&] { return Protocol::parseChain(result, source).error(); }},
        {QStringLiteral("instances"), [&] { return Protocol::parseInstances(result, source).error(); }},
        {QStringLiteral("object"), [&] { return Protocol::parseObject(result, source).error(); }},
        {QStringLiteral("graph_dump"),
         [&] { return Protocol::parseGraphDump(result, QStringLiteral("/tmp/a.lsnap"), source).error(); }},
        {QStringLiteral("stop_server"), [&] { return Protocol::parseStopServer(result, source).error(); }},
    };
    const QString message = parsers.at(op)();
    QVERIFY2(message.startsWith(source + QStringLiteral(": ")), qPrintable(message));
    QVERIFY2(message.contains(error), qPrintable(message));
}

void TestProtocol::objectReplyIsTamed()
{
    // What an agent (or whoever holds its socket) writes is shown in one
    // line and never at any length; counts never say less than the lists.
    const QString longText(5000, QLatin1Char('x'));
    const QJsonObject result{
        {QStringLiteral("id"), 5},
        {QStringLiteral("type"), QStringLiteral("evil\ntype")},
        {QStringLiteral("fields_count"), 0},
        {QStringLiteral("referrers_count"), 0},
        {QStringLiteral("fields"),
         QJsonArray{QJsonObject{{QStringLiteral("name"), QStringLiteral(".a\r\nb")},
                                {QStringLiteral("id"), 9},
                                {QStringLiteral("type"), QStringLiteral("str")},
                                {QStringLiteral("value"), longText},
                                {QStringLiteral("size"), 49}},
                    QJsonObject{{QStringLiteral("name"), QJsonValue()},
                                {QStringLiteral("id"), 10},
                                {QStringLiteral("type"), QStringLiteral("x.Y")},
                                {QStringLiteral("value"), QJsonValue()}}}},
        {QStringLiteral("referrers"),
         QJsonArray{QJsonObject{{QStringLiteral("id"), 11},
                                {QStringLiteral("type"), QStringLiteral("dict")},
                                {QStringLiteral("edge"), QStringLiteral(".a")},
                                {QStringLiteral("owner"), QJsonObject{{QStringLiteral("id"), 12},
                                                                      {QStringLiteral("type"), QStringLiteral("m.Owner")}}}}}},
    };
    const Expected<Protocol::ObjectInfo> parsed = Protocol::parseObject(result, QStringLiteral("pid 1"));
    QVERIFY2(parsed, qPrintable(parsed.error()));
    const Protocol::ObjectInfo &o = parsed.value();
    QVERIFY(o.listed);
    QVERIFY(!o.type.contains(QLatin1Char('\n')));
    QCOMPARE(o.fields.size(), size_t(2));
    QVERIFY(!o.fields[0].name.contains(QLatin1Char('\n')) && !o.fields[0].name.contains(QLatin1Char('\r')));
    QVERIFY(o.fields[0].value.size() <= 300);
    QVERIFY(o.fields[1].name.isEmpty());
    QVERIFY(o.fields[1].value.isEmpty());
    QCOMPARE(o.fieldsCount, qint64(2));
    QCOMPARE(o.referrersCount, qint64(1));
    QCOMPARE(o.referrers[0].ownerId, qint64(12));
    QCOMPARE(o.referrers[0].ownerType, QStringLiteral("m.Owner"));

    // An agent from before the lists: counts only.
    const Expected<Protocol::ObjectInfo> old = Protocol::parseObject(
        QJsonObject{{QStringLiteral("id"), 5}, {QStringLiteral("type"), QStringLiteral("x")},
                    {QStringLiteral("referents_count"), 3}, {QStringLiteral("referrers_count"), 2}},
        QStringLiteral("pid 1"));
    QVERIFY2(old, qPrintable(old.error()));
    QVERIFY(!old.value().listed);
    QCOMPARE(old.value().referrersCount, qint64(2));
}

QTEST_GUILESS_MAIN(TestProtocol)
#include "tst_protocol.moc"
