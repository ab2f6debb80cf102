// leakscope-cli chain / backrefs / retained, run as the real binary on real
// .lsnap files whose heap graphs were written by HeapGraphStore.

#include "graphlayout/graphlayout.h"
#include "lsnap/heapgraphstore.h"
#include "testutil/heapgraphtestutil.h"
#include "core/packedarray.h"
#include "lsnap/snapshotwriter.h"
#include "lsnap/sqlitedatabase.h"

#include <QDir>
#include <QFile>
#include <QScopeGuard>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <cerrno>
#include <csignal>
#include <sys/types.h>
#include <unistd.h>

using namespace leakscope;
using leakscope::test::GraphSpec;
using leakscope::test::cacheHeap;

namespace {

// The DOT file a backrefs run wrote, parsed; a file that cannot be opened is
// an error too.
Expected<DotGraphInfo> readDotFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Expected<DotGraphInfo>::failure(path + QStringLiteral(": cannot open"));
    return GraphLayout::readDot(file.readAll());
}

struct Run
{
    int code = -1;
    QString out;
    QString err;
};

Run cli(const QStringList &args)
{
    QProcess p;
    p.start(QStringLiteral(LEAKSCOPE_BIN_DIR "/leakscope-cli"), args);
    Run r;
    if (!p.waitForFinished(60000)) {
        p.kill();
        p.waitForFinished();
        r.err = QStringLiteral("timed out");
        return r;
    }
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

constexpr quint8 Module = HeapGraph::ModuleRoot;

GraphSpec listenerHeap()
{
    GraphSpec g;
    g.typeNames = {QStringLiteral("module"), QStringLiteral("dict"), QStringLiteral("list"),
                   QStringLiteral("method"), QStringLiteral("__main__.Listener"), QStringLiteral("function")};
    g.nodes = 8;
    g.types = {0, 1, 2, 3, 3, 4, 4, 5};
    g.flags = {{0, Module}};
    g.labels = {{0, QStringLiteral("module __main__")}, {7, QStringLiteral("Listener.on_event")}};
    g.edge(0, 1, QStringLiteral("__dict__"));
    g.edge(1, 2, QStringLiteral("['_listeners']"));
    g.edge(2, 3, QStringLiteral("[0]"));
    g.edge(2, 4, QStringLiteral("[1]"));
    g.edge(3, 5, QStringLiteral("__self__"));
    g.edge(3, 7, QStringLiteral("__func__"));
    g.edge(4, 6, QStringLiteral("__self__"));
    g.edge(4, 7, QStringLiteral("__func__"));
    return g;
}

// __main__.Node objects only in a cycle nothing refers to; a __main__.Leaf
// held by an object nothing refers to (no root leads to either).
GraphSpec orphans()
{
    GraphSpec g;
    g.typeNames = {QStringLiteral("module"), QStringLiteral("__main__.Node"), QStringLiteral("__main__.Holder"),
                   QStringLiteral("__main__.Leaf")};
    g.nodes = 5;
    g.types = {0, 1, 1, 2, 3};
    g.flags = {{0, Module}};
    g.labels = {{3, QStringLiteral("<Holder>")}};
    g.edge(1, 2, QStringLiteral(".next"));
    g.edge(2, 1, QStringLiteral(".prev"));
    g.edge(3, 4, QStringLiteral(".leaf"));
    return g;
}

QString makeFile(const QString &path, int snapshots)
{
    TypeRegistry types;
    SnapshotWriter writer;
    if (!writer.open(path))
        return QString();
    for (int k = 0; k < snapshots; ++k) {
        Snapshot s;
        s.info.label = QStringLiteral("step %1").arg(k);
        s.info.takenAt = QDateTime::fromMSecsSinceEpoch(1767225600000LL + 1000 * k, Qt::UTC);
        s.info.pid = 4242;
        s.stats.push_back(TypeStat{types.intern(QStringLiteral("__main__.Session")), 3 * k + 1, 56 * (3 * k + 1)});
        if (!writer.append(s, types))
            return QString();
    }
    return path;
}

qint64 deadPid()
{
    for (qint64 pid = 4000000; pid > 300000; pid -= 7919) {
        if (::kill(pid_t(pid), 0) != 0 && errno == ESRCH)
            return pid;
    }
    return 0;
}

QStringList lines(const QString &text)
{
    return text.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
}

} // namespace

class TestGraphCommands : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void chainFromModuleCache();
    void chainOfAnOlderSnapshot_data();
    void chainOfAnOlderSnapshot();
    void chainFromUnreferencedObject();
    void failures_data();
    void failures();
    void backrefsDot();
    void backrefsCaps();
    void backrefsSvgAndPng();
    void retainedByType();
    void retainedByObject();
    void help();
    void realPythonHeap();
    void livePid();
    void agentGraphDump();
    void recordGraph();
    void chainFollowsANewInstance();

private:
    QString path(const QString &name) const { return m_dir.filePath(name); }
    QTemporaryDir m_dir;
    QString m_file;    // 3 snapshots: listeners graph, cache graph, no graph
    QString m_noGraph; // version 1
    QString m_corrupt;
    QString m_cycle;
};

void TestGraphCommands::initTestCase()
{
    QVERIFY(m_dir.isValid());
    if (qEnvironmentVariableIsSet("LEAKSCOPE_KEEP_TEST_FILES")) {
        m_dir.setAutoRemove(false);
        qInfo("test files kept in %s", qPrintable(m_dir.path()));
    }
    QVERIFY(QFile::exists(QStringLiteral(LEAKSCOPE_BIN_DIR "/leakscope-cli")));
    m_file = makeFile(path(QStringLiteral("run.lsnap")), 3);
    QVERIFY(!m_file.isEmpty());
    QVERIFY(HeapGraphStore::write(m_file, 1, listenerHeap().arrays()).ok());
    QVERIFY(HeapGraphStore::write(m_file, 2, cacheHeap().arrays()).ok());
    m_noGraph = makeFile(path(QStringLiteral("plain.lsnap")), 2);
    QVERIFY(!m_noGraph.isEmpty());
    m_corrupt = makeFile(path(QStringLiteral("corrupt.lsnap")), 1);
    QVERIFY(HeapGraphStore::write(m_corrupt, 1, cacheHeap().arrays(), HeapGraphStore::Compression::None).ok());
    {
        SqliteDatabase db;
        QVERIFY(db.open(m_corrupt, SqliteDatabase::ReadWriteCreate));
        std::vector<quint32> targets = cacheHeap().arrays().edgeTargets;
        targets[4] = 10;
        SqliteStatement s = db.prepare("UPDATE graph SET edge_targets = ?1");
        s.bindBlob(1, PackedArray::encode(targets));
        QCOMPARE(s.step(), SqliteStatement::Done);
    }
    m_cycle = makeFile(path(QStringLiteral("cycle.lsnap")), 1);
    QVERIFY(HeapGraphStore::write(m_cycle, 1, orphans().arrays()).ok());
}

void TestGraphCommands::chainFromModuleCache()
{
    const Run r = cli({QStringLiteral("chain"), m_file, QStringLiteral("--type"), QStringLiteral("__main__.Session")});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QCOMPARE(r.err, QString());
    const QStringList out = lines(r.out);
    // Summary, the instance followed, column header, then one line per step,
    // root first.
    QCOMPARE(out.size(), 3 + 4);
    QVERIFY2(out[0].startsWith(QStringLiteral("Chain to __main__.Session in ") + m_file
                               + QStringLiteral(", snapshot 2 (\"step 1\"): 3 reference(s) from a root (3 instances)")),
             qPrintable(out[0]));
    QVERIFY(out[2].startsWith(QStringLiteral("#  via ")));
    const auto columns = [&](int line) { return out[line].split(QLatin1Char(' '), Qt::SkipEmptyParts); };
    QCOMPARE(columns(3).mid(0, 6), (QStringList{QStringLiteral("0"), QStringLiteral("(module"),
                                                QStringLiteral("root)"), QStringLiteral("module"),
                                                QStringLiteral("0x7f0000001000"), QStringLiteral("module")}));
    QVERIFY(out[3].endsWith(QStringLiteral("module __main__")));
    QCOMPARE(columns(4).mid(0, 3), (QStringList{QStringLiteral("1"), QStringLiteral("__dict__"), QStringLiteral("dict")}));
    QVERIFY(out[4].endsWith(QStringLiteral(" -")));
    // The global's name is on the line of the cache dict.
    QCOMPARE(columns(5).mid(0, 3), (QStringList{QStringLiteral("2"), QStringLiteral("['_CACHE']"), QStringLiteral("dict")}));
    QVERIFY(out[5].endsWith(QStringLiteral("dict (3 items)")));
    QCOMPARE(columns(6).mid(0, 3),
             (QStringList{QStringLiteral("3"), QStringLiteral("['s0']"), QStringLiteral("__main__.Session")}));
    QVERIFY(out[6].endsWith(QStringLiteral("<Session s0>")));
}

void TestGraphCommands::chainOfAnOlderSnapshot_data()
{
    QTest::addColumn<QStringList>("options");
    QTest::newRow("--snapshot 1") << QStringList{QStringLiteral("--snapshot"), QStringLiteral("1")};
    QTest::newRow("--snapshot=1") << QStringList{QStringLiteral("--snapshot=1")};
    QTest::newRow("options, --, then the file") << QStringList{QStringLiteral("--snapshot=1"), QStringLiteral("--")};
}

void TestGraphCommands::chainOfAnOlderSnapshot()
{
    QFETCH(QStringList, options);
    const Run r = cli(QStringList{QStringLiteral("chain"), QStringLiteral("--type=__main__.Listener")} + options
                      + QStringList{m_file});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const QStringList out = lines(r.out);
    QCOMPARE(out.size(), 3 + 5);
    QVERIFY(out[0].contains(QStringLiteral(", snapshot 1 (\"step 0\"): 4 reference(s) from a root (2 instances)")));
    QStringList via;
    for (int i = 4; i < out.size(); ++i)
        via << out[i].split(QLatin1Char(' '), Qt::SkipEmptyParts).at(1);
    QCOMPARE(via, (QStringList{QStringLiteral("__dict__"), QStringLiteral("['_listeners']"), QStringLiteral("[0]"),
                               QStringLiteral("__self__")}));
}

void TestGraphCommands::chainFromUnreferencedObject()
{
    const Run r = cli({QStringLiteral("chain"), m_cycle, QStringLiteral("--type"), QStringLiteral("__main__.Leaf")});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const QStringList out = lines(r.out);
    QCOMPARE(out.size(), 3 + 2 + 1);
    QVERIFY(out[0].contains(QStringLiteral("1 reference(s) from an unreferenced object (1 instances)")));
    QCOMPARE(out[3].split(QLatin1Char(' '), Qt::SkipEmptyParts).mid(0, 3),
             (QStringList{QStringLiteral("0"), QStringLiteral("(unreferenced)"), QStringLiteral("__main__.Holder")}));
    QCOMPARE(out[4].split(QLatin1Char(' '), Qt::SkipEmptyParts).mid(0, 3),
             (QStringList{QStringLiteral("1"), QStringLiteral(".leaf"), QStringLiteral("__main__.Leaf")}));
    QVERIFY(out[5].startsWith(QStringLiteral("(no module, class or thread frame leads to any instance")));

    // Held by an unreferenced cycle alone: no chain at all, one line.
    const Run cycle = cli({QStringLiteral("chain"), m_cycle, QStringLiteral("--type"), QStringLiteral("__main__.Node")});
    QCOMPARE(cycle.code, 2);
    QCOMPARE(cycle.out, QString());
    QCOMPARE(lines(cycle.err).size(), 1);
    QVERIFY2(cycle.err.startsWith(QStringLiteral("leakscope-cli: ") + m_cycle + QStringLiteral(", snapshot 1 (\"step 0\"): ")),
             qPrintable(cycle.err));
}

void TestGraphCommands::failures_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("error");
    QTest::addColumn<bool>("usage");
    const QString type = QStringLiteral("--type=__main__.Session");
    const QString missing = path(QStringLiteral("missing.lsnap"));
    const QString pid = QString::number(deadPid());
    const QString dot = path(QStringLiteral("never.dot"));

    QTest::newRow("chain: file without heap graphs")
        << QStringList{QStringLiteral("chain"), m_noGraph, type}
        << m_noGraph + QStringLiteral(": no snapshot has a heap graph") << false;
    QTest::newRow("retained: file without heap graphs")
        << QStringList{QStringLiteral("retained"), m_noGraph} << m_noGraph + QStringLiteral(": no snapshot has a heap graph")
        << false;
    QTest::newRow("chain: snapshot index out of range")
        << QStringList{QStringLiteral("chain"), m_file, type, QStringLiteral("--snapshot"), QStringLiteral("4")}
        << m_file + QStringLiteral(": snapshot 4 is out of range (the file has 3 snapshots: 1 to 3)") << false;
    QTest::newRow("chain: --snapshot 0 (numbers start at 1)")
        << QStringList{QStringLiteral("chain"), m_file, type, QStringLiteral("--snapshot"), QStringLiteral("0")}
        << QStringLiteral("--snapshot: '0' is not a snapshot number (1 is the first") << true;
    QTest::newRow("chain: --baseline out of range")
        << QStringList{QStringLiteral("chain"), m_file, type, QStringLiteral("--baseline=9")}
        << m_file + QStringLiteral(": --baseline 9 is out of range (the file has 3 snapshots: 1 to 3)") << false;
    QTest::newRow("chain: --baseline with --pid")
        << QStringList{QStringLiteral("chain"), QStringLiteral("--pid"), QStringLiteral("1"), type, QStringLiteral("--baseline=1")}
        << QStringLiteral("--baseline applies to files, not to --pid") << true;
    QTest::newRow("retained: snapshot without a graph")
        << QStringList{QStringLiteral("retained"), m_file, QStringLiteral("--snapshot=3")}
        << m_file + QStringLiteral(": snapshot 3 has no heap graph (snapshots with one: 1, 2)") << false;
    QTest::newRow("chain: unknown type, with a suggestion")
        << QStringList{QStringLiteral("chain"), m_file, QStringLiteral("--type"), QStringLiteral("Session")}
        << m_file + QStringLiteral(", snapshot 2 (\"step 1\"): no object of type 'Session' in the heap graph (did you mean "
                                   "__main__.Session?)")
        << false;
    QTest::newRow("backrefs: type only in another snapshot")
        << QStringList{QStringLiteral("backrefs"), m_file, QStringLiteral("--type=__main__.Listener"),
                       QStringLiteral("--dot"), dot}
        << QStringLiteral("no object of type '__main__.Listener' in the heap graph") << false;
    QTest::newRow("chain: corrupt graph arrays")
        << QStringList{QStringLiteral("chain"), m_corrupt, type}
        << m_corrupt + QStringLiteral(", snapshot 1 (id 1): heap graph: edge_targets[4] = 10 is not a node") << false;
    QTest::newRow("retained: corrupt graph arrays")
        << QStringList{QStringLiteral("retained"), m_corrupt, QStringLiteral("--by"), QStringLiteral("type")}
        << QStringLiteral("edge_targets[4] = 10 is not a node") << false;
    QTest::newRow("chain: missing file")
        << QStringList{QStringLiteral("chain"), missing, type} << missing + QStringLiteral(": no such file") << false;
    QTest::newRow("chain: dead pid")
        << QStringList{QStringLiteral("chain"), QStringLiteral("--pid"), pid, type}
        << QStringLiteral("no process with pid ") + pid << false;
    QTest::newRow("backrefs: dead pid")
        << QStringList{QStringLiteral("backrefs"), QStringLiteral("--pid"), pid, type, QStringLiteral("--svg"), dot}
        << QStringLiteral("no process with pid ") + pid << false;
    QTest::newRow("backrefs: output directory missing")
        << QStringList{QStringLiteral("backrefs"), m_file, type, QStringLiteral("--dot"),
                       path(QStringLiteral("no/such/dir/out.dot"))}
        << path(QStringLiteral("no/such/dir/out.dot")) + QStringLiteral(": cannot write") << false;
    QTest::newRow("chain: --timeout 0")
        << QStringList{QStringLiteral("chain"), QStringLiteral("--pid"), QStringLiteral("1"), type,
                       QStringLiteral("--timeout"), QStringLiteral("0")}
        << QStringLiteral("--timeout needs a number of seconds above 0 and at most 86400, not '0'") << true;
    QTest::newRow("backrefs: --timeout not a number")
        << QStringList{QStringLiteral("backrefs"), QStringLiteral("--pid"), QStringLiteral("1"), type,
                       QStringLiteral("--timeout=soon"), QStringLiteral("--dot"), dot}
        << QStringLiteral("--timeout needs a number of seconds above 0 and at most 86400, not 'soon'") << true;
    QTest::newRow("chain: --timeout with a file")
        << QStringList{QStringLiteral("chain"), m_file, type, QStringLiteral("--timeout"), QStringLiteral("5")}
        << QStringLiteral("--timeout applies to --pid, not to files") << true;
    QTest::newRow("chain: no --type") << QStringList{QStringLiteral("chain"), m_file}
                                      << QStringLiteral("chain needs --type NAME") << true;
    QTest::newRow("chain: file and --pid")
        << QStringList{QStringLiteral("chain"), m_file, QStringLiteral("--pid"), QStringLiteral("1"), type}
        << QStringLiteral("chain takes a FILE or --pid, not both") << true;
    QTest::newRow("chain: no file") << QStringList{QStringLiteral("chain"), type}
                                    << QStringLiteral("chain needs a FILE or --pid PID") << true;
    QTest::newRow("chain: --snapshot not a number")
        << QStringList{QStringLiteral("chain"), m_file, type, QStringLiteral("--snapshot"), QStringLiteral("last")}
        << QStringLiteral("--snapshot: 'last' is not a snapshot number") << true;
    QTest::newRow("chain: unknown option") << QStringList{QStringLiteral("chain"), m_file, type, QStringLiteral("--deep")}
                                           << QStringLiteral("unknown option '--deep'") << true;
    QTest::newRow("backrefs: no output") << QStringList{QStringLiteral("backrefs"), m_file, type}
                                         << QStringLiteral("backrefs needs one of --dot OUT, --svg OUT, --png OUT") << true;
    QTest::newRow("backrefs: two outputs")
        << QStringList{QStringLiteral("backrefs"), m_file, type, QStringLiteral("--dot"), dot, QStringLiteral("--svg"), dot}
        << QStringLiteral("backrefs writes one of --dot, --svg, --png at a time") << true;
    QTest::newRow("backrefs: --depth 0")
        << QStringList{QStringLiteral("backrefs"), m_file, type, QStringLiteral("--depth=0"), QStringLiteral("--dot"), dot}
        << QStringLiteral("--depth needs a whole number from 1 to 100, not '0'") << true;
    QTest::newRow("backrefs: --max-nodes past the layout cap")
        << QStringList{QStringLiteral("backrefs"), m_file, type, QStringLiteral("--max-nodes"), QStringLiteral("5000"),
                       QStringLiteral("--dot"), dot}
        << QStringLiteral("--max-nodes needs a whole number from 1 to 2000") << true;
    QTest::newRow("backrefs: --dot without a value")
        << QStringList{QStringLiteral("backrefs"), m_file, type, QStringLiteral("--dot")}
        << QStringLiteral("--dot needs a value") << true;
    QTest::newRow("retained: --by size") << QStringList{QStringLiteral("retained"), m_file, QStringLiteral("--by=size")}
                                         << QStringLiteral("--by takes object or type, not 'size'") << true;
    QTest::newRow("retained: --pid is not an option")
        << QStringList{QStringLiteral("retained"), QStringLiteral("--pid"), QStringLiteral("1")}
        << QStringLiteral("unknown option '--pid'") << true;
    QTest::newRow("retained: two files") << QStringList{QStringLiteral("retained"), m_file, m_file}
                                         << QStringLiteral("retained takes one FILE") << true;
}

void TestGraphCommands::failures()
{
    QFETCH(QStringList, args);
    QFETCH(QString, error);
    QFETCH(bool, usage);
    const Run r = cli(args);
    QCOMPARE(r.code, 2);
    QCOMPARE(r.out, QString());
    const QStringList err = lines(r.err);
    QVERIFY(!err.isEmpty());
    QVERIFY2(err.first().startsWith(QStringLiteral("leakscope-cli: ")), qPrintable(r.err));
    QVERIFY2(err.first().contains(error), qPrintable(r.err));
    if (usage)
        QVERIFY2(err.size() > 1 && err.at(1).startsWith(QStringLiteral("Usage: leakscope-cli ")), qPrintable(r.err));
    else
        QCOMPARE(err.size(), 1); // bad input: exactly one line
    QVERIFY(!QFile::exists(path(QStringLiteral("never.dot"))));
}

void TestGraphCommands::backrefsDot()
{
    const QString out = path(QStringLiteral("sessions.dot"));
    const Run r = cli({QStringLiteral("backrefs"), m_file, QStringLiteral("--type"), QStringLiteral("__main__.Session"),
                       QStringLiteral("--dot"), out});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY2(r.out.startsWith(out + QStringLiteral(": back-references of 3 of 3 instances of __main__.Session in ")),
             qPrintable(r.out));
    const Expected<DotGraphInfo> dot = readDotFile(out);
    QVERIFY2(dot.ok(), qPrintable(dot.error()));
    const DotGraphInfo &g = dot.value();
    // The three Sessions, the cache dict, the module's dict and the module.
    QCOMPARE(g.nodes.size(), 6);
    int sessions = 0;
    for (const QString &label : g.nodeLabels)
        sessions += label.contains(QStringLiteral("__main__.Session")) ? 1 : 0;
    QCOMPARE(sessions, 3);
    QVERIFY(g.nodeLabels.contains(QStringLiteral("module __main__\nmodule")));
    QStringList edgeLabels;
    for (const auto &e : g.edges)
        edgeLabels << e.label;
    edgeLabels.sort();
    QCOMPARE(edgeLabels, (QStringList{QStringLiteral("['_CACHE']"), QStringLiteral("['s0']"), QStringLiteral("['s1']"),
                                      QStringLiteral("['s2']"), QStringLiteral("__dict__")}));
}

void TestGraphCommands::backrefsCaps()
{
    const QString out = path(QStringLiteral("shallow.dot"));
    Run r = cli({QStringLiteral("backrefs"), m_file, QStringLiteral("--type=__main__.Session"), QStringLiteral("--depth"),
                 QStringLiteral("1"), QStringLiteral("--dot=") + out});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY2(r.out.contains(QStringLiteral("4 nodes, 3 edges (cut at --depth/--max-nodes)")), qPrintable(r.out));
    const Expected<DotGraphInfo> dot = readDotFile(out);
    QVERIFY(dot.ok());
    QCOMPARE(dot.value().nodes.size(), 4); // the Sessions and the cache dict

    r = cli({QStringLiteral("backrefs"), m_file, QStringLiteral("--type=__main__.Session"),
             QStringLiteral("--max-nodes=2"), QStringLiteral("--dot"), out});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY2(r.out.contains(QStringLiteral("2 nodes, 0 edges (cut at --depth/--max-nodes)")), qPrintable(r.out));
}

void TestGraphCommands::backrefsSvgAndPng()
{
    const QString svg = path(QStringLiteral("sessions.svg"));
    Run r = cli({QStringLiteral("backrefs"), m_file, QStringLiteral("--type=__main__.Session"), QStringLiteral("--svg"), svg});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QFile file(svg);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray text = file.readAll();
    QVERIFY(text.contains("<svg"));
    QVERIFY(text.contains("__main__.Session"));
    QVERIFY(text.contains("[&#39;_CACHE&#39;]") || text.contains("['_CACHE']"));

    const QString png = path(QStringLiteral("sessions.png"));
    r = cli({QStringLiteral("backrefs"), m_file, QStringLiteral("--type=__main__.Session"), QStringLiteral("--png"), png});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QFile image(png);
    QVERIFY(image.open(QIODevice::ReadOnly));
    const QByteArray bytes = image.readAll();
    QVERIFY(bytes.startsWith("\x89PNG\r\n\x1a\n"));
    QVERIFY(bytes.size() > 1000);
}

void TestGraphCommands::retainedByType()
{
    const Run r = cli({QStringLiteral("retained"), m_file, QStringLiteral("--by"), QStringLiteral("type"),
                       QStringLiteral("--json")});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const QJsonObject root = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QCOMPARE(root.value(QStringLiteral("format")).toString(), QStringLiteral("leakscope-retained"));
    QCOMPARE(root.value(QStringLiteral("snapshot")).toInt(), 2); // from 1, as the timeline shows
    QCOMPARE(root.value(QStringLiteral("snapshot_id")).toInt(), 2);
    QCOMPARE(root.value(QStringLiteral("nodes")).toInt(), 10);
    QCOMPARE(root.value(QStringLiteral("total_size")).toInteger(), qint64(72 + 1176 + 640 + 3 * 56 + 3 * 104 + 1064));
    QHash<QString, QJsonObject> types;
    QStringList order;
    for (const QJsonValue &v : root.value(QStringLiteral("types")).toArray()) {
        types.insert(v[QStringLiteral("type")].toString(), v.toObject());
        order << v[QStringLiteral("type")].toString();
    }
    // By hand: the module's dict retains the cache dict, which retains the
    // Sessions and their dicts; the class is a root of its own.
    QCOMPARE(order, (QStringList{QStringLiteral("module"), QStringLiteral("dict"), QStringLiteral("type"),
                                 QStringLiteral("__main__.Session")}));
    QCOMPARE(types[QStringLiteral("dict")][QStringLiteral("retained")].toInteger(), qint64(1176 + 640 + 3 * 160));
    QCOMPARE(types[QStringLiteral("dict")][QStringLiteral("count")].toInteger(), qint64(5));
    QCOMPARE(types[QStringLiteral("dict")][QStringLiteral("shallow")].toInteger(), qint64(1176 + 640 + 3 * 104));
    QCOMPARE(types[QStringLiteral("__main__.Session")][QStringLiteral("retained")].toInteger(), qint64(3 * 160));
    QCOMPARE(types[QStringLiteral("__main__.Session")][QStringLiteral("shallow")].toInteger(), qint64(3 * 56));
    QCOMPARE(types[QStringLiteral("module")][QStringLiteral("retained")].toInteger(), qint64(72 + 1176 + 640 + 3 * 160));

    // The table says the same, with --top.
    const Run table = cli({QStringLiteral("retained"), m_file, QStringLiteral("--by=type"), QStringLiteral("--top=2")});
    QVERIFY2(table.code == 0, qPrintable(table.err));
    const QStringList out = lines(table.out);
    QCOMPARE(out.size(), 4);
    QVERIFY(out[0].startsWith(QStringLiteral("Retained sizes in ") + m_file + QStringLiteral(", snapshot 2 (\"step 1\"): 10 objects")));
    QCOMPARE(out[1].split(QLatin1Char(' '), Qt::SkipEmptyParts),
             (QStringList{QStringLiteral("type"), QStringLiteral("count"), QStringLiteral("shallow"), QStringLiteral("retained")}));
    QCOMPARE(out[3].split(QLatin1Char(' '), Qt::SkipEmptyParts),
             (QStringList{QStringLiteral("dict"), QStringLiteral("5"), QStringLiteral("2.1"), QStringLiteral("KiB"),
                          QStringLiteral("2.2"), QStringLiteral("KiB")}));
}

void TestGraphCommands::retainedByObject()
{
    const Run r = cli({QStringLiteral("retained"), m_file, QStringLiteral("--json"), QStringLiteral("--top"), QStringLiteral("3")});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const QJsonArray objects = QJsonDocument::fromJson(r.out.toUtf8()).object().value(QStringLiteral("objects")).toArray();
    QCOMPARE(objects.size(), 3);
    // Roots (the module, the class) are left out.
    QCOMPARE(objects[0][QStringLiteral("type")].toString(), QStringLiteral("dict"));
    QCOMPARE(objects[0][QStringLiteral("retained")].toInteger(), qint64(1176 + 640 + 3 * 160));
    QCOMPARE(objects[0][QStringLiteral("chain")].toString(), QStringLiteral("module __main__.__dict__"));
    QCOMPARE(objects[1][QStringLiteral("retained")].toInteger(), qint64(640 + 3 * 160));
    QCOMPARE(objects[1][QStringLiteral("shallow")].toInteger(), qint64(640));
    QCOMPARE(objects[1][QStringLiteral("label")].toString(), QStringLiteral("dict (3 items)"));
    QCOMPARE(objects[1][QStringLiteral("chain")].toString(), QStringLiteral("module __main__.__dict__['_CACHE']"));
    QCOMPARE(objects[2][QStringLiteral("type")].toString(), QStringLiteral("__main__.Session"));
    QCOMPARE(objects[2][QStringLiteral("id")].toString(), QStringLiteral("0x7f0000001090"));
    QCOMPARE(objects[2][QStringLiteral("chain")].toString(), QStringLiteral("module __main__.__dict__['_CACHE']['s0']"));

    const Run table = cli({QStringLiteral("retained"), m_file});
    QVERIFY2(table.code == 0, qPrintable(table.err));
    QVERIFY2(table.out.contains(QStringLiteral("dict (3 items)  module __main__.__dict__['_CACHE']\n")),
             qPrintable(table.out));
}

void TestGraphCommands::help()
{
    Run r = cli({QStringLiteral("--help")});
    QCOMPARE(r.code, 0);
    for (const char *command : {"chain (FILE | --pid PID) --type NAME", "backrefs (FILE | --pid PID)", "retained FILE"})
        QVERIFY2(r.out.contains(QLatin1String(command)), command);
    for (const char *command : {"chain", "backrefs", "retained"}) {
        r = cli({QStringLiteral("help"), QLatin1String(command)});
        QCOMPARE(r.code, 0);
        QVERIFY(r.out.startsWith(QStringLiteral("Usage: leakscope-cli ") + QLatin1String(command)));
        const Run flag = cli({QLatin1String(command), QStringLiteral("-h")});
        QCOMPARE(flag.code, 0);
        QCOMPARE(flag.out, r.out);
    }
}

void TestGraphCommands::realPythonHeap()
{
    // A real Python program (tests/data/leaky_heap.py: a module-level
    // _CACHE of Entry objects, listeners, a kept traceback) dumps its gc
    // graph; the real agent writes a snapshot of the same process into a
    // .lsnap file; HeapGraphStore adds the graph; the CLI must find the cache.
    const QString file = path(QStringLiteral("leaky.lsnap"));
    const QString script = QStringLiteral(R"PY(
import contextlib, io, runpy, sys
import leakscope_agent
out, script = sys.argv[1], sys.argv[2]
sys.argv = [script]
buf = io.StringIO()
with contextlib.redirect_stdout(buf):
    runpy.run_path(script, run_name="__main__")
leakscope_agent.snapshot(out, label="leaky")
sys.stdout.write(buf.getvalue())
)PY");
    QProcess python;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("PYTHONPATH"), QStringLiteral(LEAKSCOPE_SOURCE_DIR "/resources/python"));
    python.setProcessEnvironment(env);
    python.start(QStringLiteral(LEAKSCOPE_PYTHON),
                 {QStringLiteral("-c"), script, file, QStringLiteral(LEAKSCOPE_SOURCE_DIR "/tests/data/leaky_heap.py")});
    QVERIFY(python.waitForFinished(60000));
    QVERIFY2(python.exitCode() == 0, python.readAllStandardError().constData());
    const QJsonObject root = QJsonDocument::fromJson(python.readAllStandardOutput()).object();
    QVERIFY(!root.isEmpty());

    HeapGraphArrays a;
    for (const QJsonValue &t : root.value(QStringLiteral("types")).toArray())
        a.typeNames.push_back(t.toString());
    std::vector<QString> labels;
    for (const QJsonValue &v : root.value(QStringLiteral("nodes")).toArray()) {
        const QJsonArray n = v.toArray();
        a.ids.push_back(quint64(n.at(0).toInteger()));
        a.types.push_back(qint32(n.at(1).toInteger()));
        a.sizes.push_back(quint64(n.at(2).toInteger()));
        a.flags.push_back(quint8(n.at(3).toInteger()));
        labels.push_back(n.at(4).toString());
    }
    for (size_t i = 0; i < labels.size(); ++i)
        if (!labels[i].isEmpty())
            a.addNodeLabel(i, labels[i]);
    a.edgeOffsets.assign(a.ids.size() + 1, 0);
    std::vector<QString> edgeLabels;
    for (const QJsonValue &v : root.value(QStringLiteral("edges")).toArray()) { // grouped by source
        const QJsonArray e = v.toArray();
        ++a.edgeOffsets[size_t(e.at(0).toInteger()) + 1];
        a.edgeTargets.push_back(quint32(e.at(1).toInteger()));
        edgeLabels.push_back(e.at(2).toString());
    }
    for (size_t i = 0; i < a.ids.size(); ++i)
        a.edgeOffsets[i + 1] += a.edgeOffsets[i];
    for (size_t e = 0; e < edgeLabels.size(); ++e)
        if (!edgeLabels[e].isEmpty())
            a.addEdgeLabel(e, edgeLabels[e]);
    QVERIFY(a.ids.size() > 1000);
    const Status written = HeapGraphStore::write(file, 1, a);
    QVERIFY2(written.ok(), qPrintable(written.error()));

    // chain: the line of the cache dict names the global.
    const Run chain = cli({QStringLiteral("chain"), file, QStringLiteral("--type"), QStringLiteral("__main__.Entry")});
    QVERIFY2(chain.code == 0, qPrintable(chain.err));
    const QStringList out = lines(chain.out);
    QVERIFY2(out.size() >= 6, qPrintable(chain.out));
    QVERIFY2(out[3].contains(QStringLiteral("(module root)")) && out[3].endsWith(QStringLiteral("__main__")),
             qPrintable(chain.out));
    bool cacheLine = false;
    for (int i = 4; i < out.size(); ++i) {
        const QStringList columns = out[i].split(QLatin1Char(' '), Qt::SkipEmptyParts);
        if (columns.at(1) == QLatin1String("_CACHE") && columns.at(2) == QLatin1String("dict"))
            cacheLine = true;
    }
    QVERIFY2(cacheLine, qPrintable(chain.out));
    QVERIFY(out.last().contains(QStringLiteral("__main__.Entry")));

    // retained --by type: the dicts (the module's, then _CACHE) retain at
    // least every Entry's shallow size; Entry retains entries and payloads.
    const QJsonObject expected = root.value(QStringLiteral("expected")).toObject();
    const Run retained = cli({QStringLiteral("retained"), file, QStringLiteral("--by=type"), QStringLiteral("--json"),
                              QStringLiteral("--top=100000")});
    QVERIFY2(retained.code == 0, qPrintable(retained.err));
    QHash<QString, QJsonObject> types;
    for (const QJsonValue &v : QJsonDocument::fromJson(retained.out.toUtf8()).object().value(QStringLiteral("types")).toArray())
        types.insert(v[QStringLiteral("type")].toString(), v.toObject());
    const QJsonObject entry = types.value(QStringLiteral("__main__.Entry"));
    QCOMPARE(entry.value(QStringLiteral("count")).toInteger(), expected.value(QStringLiteral("entries")).toInteger());
    QCOMPARE(entry.value(QStringLiteral("retained")).toInteger(), expected.value(QStringLiteral("entry_retained")).toInteger());
    QVERIFY(types.value(QStringLiteral("dict")).value(QStringLiteral("retained")).toInteger()
            >= entry.value(QStringLiteral("shallow")).toInteger());

    // retained --by object: the _CACHE dict retains exactly itself plus the
    // entries and their payloads, and its chain names the global.
    const Run objects = cli({QStringLiteral("retained"), file, QStringLiteral("--json"), QStringLiteral("--top=50")});
    QVERIFY2(objects.code == 0, qPrintable(objects.err));
    bool cacheFound = false;
    for (const QJsonValue &v : QJsonDocument::fromJson(objects.out.toUtf8()).object().value(QStringLiteral("objects")).toArray()) {
        if (v[QStringLiteral("id")].toString() == QStringLiteral("0x") + QString::number(expected.value(QStringLiteral("cache_dict")).toInteger(), 16)) {
            cacheFound = true;
            QCOMPARE(v[QStringLiteral("retained")].toInteger(), expected.value(QStringLiteral("cache_retained")).toInteger());
            QVERIFY2(v[QStringLiteral("chain")].toString().endsWith(QStringLiteral("._CACHE")),
                     qPrintable(v[QStringLiteral("chain")].toString()));
        }
    }
    QVERIFY2(cacheFound, qPrintable(objects.out.left(2000)));

    // backrefs: a DOT graph with the sampled Entry nodes and the cache.
    const QString dotFile = path(QStringLiteral("entries.dot"));
    const Run backrefs = cli({QStringLiteral("backrefs"), file, QStringLiteral("--type"), QStringLiteral("__main__.Entry"),
                              QStringLiteral("--dot"), dotFile});
    QVERIFY2(backrefs.code == 0, qPrintable(backrefs.err));
    const Expected<DotGraphInfo> dot = readDotFile(dotFile);
    QVERIFY2(dot.ok(), qPrintable(dot.error()));
    int entries = 0;
    for (const QString &label : dot.value().nodeLabels)
        entries += label.contains(QStringLiteral("__main__.Entry")) ? 1 : 0;
    QCOMPARE(entries, 3);
    bool cacheEdge = false;
    for (const auto &e : dot.value().edges)
        cacheEdge = cacheEdge || e.label == QLatin1String("_CACHE");
    QVERIFY(cacheEdge);
}

void TestGraphCommands::livePid()
{
    // A real process serving the agent's socket, with a module-level cache.
    const QString socketDir = path(QStringLiteral("sockets"));
    QVERIFY(QDir().mkpath(socketDir));
    QFile::setPermissions(socketDir, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    qputenv("LEAKSCOPE_SOCKET_DIR", QFile::encodeName(socketDir)); // for the CLI runs below
    const QString script = QStringLiteral(R"PY(
import sys
import leakscope_agent

class Session:
    def __init__(self, n):
        self.name = "s%d" % n

_CACHE = {"s%d" % i: Session(i) for i in range(20)}
leakscope_agent.start_server()
print("ready", flush=True)
sys.stdin.readline()
)PY");
    QProcess target;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("PYTHONPATH"), QStringLiteral(LEAKSCOPE_SOURCE_DIR "/resources/python"));
    target.setProcessEnvironment(env);
    target.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    target.start(QStringLiteral(LEAKSCOPE_PYTHON), {QStringLiteral("-c"), script});
    QVERIFY(target.waitForStarted());
    const auto stop = qScopeGuard([&] {
        target.closeWriteChannel();
        if (!target.waitForFinished(10000)) {
            target.kill();
            target.waitForFinished();
        }
    });
    while (!target.canReadLine())
        QVERIFY2(target.waitForReadyRead(30000), "the target did not start serving");
    QCOMPARE(target.readLine().trimmed(), QByteArray("ready"));
    const QString pid = QString::number(target.processId());

    // Whatever the agent serves, an error is one line naming the pid.
    const Run unknown = cli({QStringLiteral("chain"), QStringLiteral("--pid"), pid, QStringLiteral("--type"),
                             QStringLiteral("__main__.NoSuchType")});
    QCOMPARE(unknown.code, 2);
    QCOMPARE(unknown.out, QString());
    QCOMPARE(lines(unknown.err).size(), 1);
    QVERIFY2(unknown.err.startsWith(QStringLiteral("leakscope-cli: pid ") + pid + QStringLiteral(": ")),
             qPrintable(unknown.err));

    const Run chain = cli({QStringLiteral("chain"), QStringLiteral("--pid"), pid, QStringLiteral("--type"),
                           QStringLiteral("__main__.Session")});
    const QString dotFile = path(QStringLiteral("live.dot"));
    const Run backrefs = cli({QStringLiteral("backrefs"), QStringLiteral("--pid"), pid, QStringLiteral("--type"),
                              QStringLiteral("__main__.Session"), QStringLiteral("--dot"), dotFile});
    QVERIFY2(chain.code == 0, qPrintable(chain.err));
    const QStringList out = lines(chain.out);
    QVERIFY2(out.size() >= 5, qPrintable(chain.out));
    QVERIFY2(out[1].startsWith(QStringLiteral("Followed instance 0x")), qPrintable(chain.out));
    bool cacheLine = false;
    for (int i = 4; i < out.size(); ++i)
        cacheLine = cacheLine || out[i].split(QLatin1Char(' '), Qt::SkipEmptyParts).at(1).contains(QStringLiteral("_CACHE"));
    QVERIFY2(cacheLine, qPrintable(chain.out));
    QVERIFY(out.last().contains(QStringLiteral("__main__.Session")));

    QVERIFY2(backrefs.code == 0, qPrintable(backrefs.err));
    const Expected<DotGraphInfo> dot = readDotFile(dotFile);
    QVERIFY2(dot.ok(), qPrintable(dot.error()));
    int sessions = 0;
    for (const QString &label : dot.value().nodeLabels)
        sessions += label.contains(QStringLiteral("__main__.Session")) ? 1 : 0;
    QVERIFY2(sessions >= 1, qPrintable(dot.value().nodeLabels.join(QLatin1Char('|'))));
}

void TestGraphCommands::agentGraphDump()
{
    // The real agent records a program with a module-level cache of Session
    // objects: a snapshot without a graph, then one with graph=True.
    const QString file = path(QStringLiteral("agent.lsnap"));
    const QString script = QStringLiteral(R"PY(
import sys
import leakscope_agent

class Session:
    def __init__(self, n):
        self.name = "session %d" % n
        self.payload = [n] * 20

_CACHE = {}
for i in range(40):
    _CACHE["s%d" % i] = Session(i)
leakscope_agent.snapshot(sys.argv[1], label="before")
for i in range(40, 80):
    _CACHE["s%d" % i] = Session(i)
leakscope_agent.snapshot(sys.argv[1], label="after", graph=True)
print(sum(sys.getsizeof(s) for s in _CACHE.values()))
)PY");
    QProcess python;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("PYTHONPATH"), QStringLiteral(LEAKSCOPE_SOURCE_DIR "/resources/python"));
    python.setProcessEnvironment(env);
    python.start(QStringLiteral(LEAKSCOPE_PYTHON), {QStringLiteral("-c"), script, file});
    QVERIFY(python.waitForFinished(120000));
    QVERIFY2(python.exitCode() == 0, python.readAllStandardError().constData());
    const QByteArray printed = python.readAllStandardOutput().trimmed();
    const qint64 sessionsShallow = printed.toLongLong();
    QVERIFY(sessionsShallow > 0);

    // info: format 2; chain defaults to the snapshot with the graph.
    const Run chain = cli({QStringLiteral("chain"), file, QStringLiteral("--type"), QStringLiteral("__main__.Session")});
    QVERIFY2(chain.code == 0, qPrintable(chain.err));
    const QStringList out = lines(chain.out);
    QVERIFY2(out[0].contains(QStringLiteral(", snapshot 2 (\"after\"): ")) && out[0].contains(QStringLiteral("(80 instances)")),
             qPrintable(out[0]));
    // Snapshot 1 (the default baseline) has no graph: nothing tells new from old.
    QVERIFY2(out[1].contains(QStringLiteral("snapshot 1, the baseline, has no heap graph")), qPrintable(out[1]));
    QVERIFY2(out[3].contains(QStringLiteral("(module root)")), qPrintable(chain.out));
    bool cacheLine = false;
    for (int i = 4; i < out.size(); ++i)
        cacheLine = cacheLine || out[i].split(QLatin1Char(' '), Qt::SkipEmptyParts).at(1).contains(QStringLiteral("_CACHE"));
    QVERIFY2(cacheLine, qPrintable(chain.out));
    QVERIFY(out.last().split(QLatin1Char(' '), Qt::SkipEmptyParts).at(2) == QLatin1String("__main__.Session"));

    // info marks the snapshot that has one.
    const Run info = cli({QStringLiteral("info"), file});
    QCOMPARE(info.code, 0);
    const QStringList infoLines = lines(info.out);
    QVERIFY2(infoLines.contains(QStringLiteral("version:   3")), qPrintable(info.out));
    QVERIFY2(!infoLines.at(infoLines.size() - 2).contains(QStringLiteral("[graph]")), qPrintable(info.out));
    QVERIFY2(infoLines.last().contains(QStringLiteral("after [graph]")), qPrintable(info.out));

    // The snapshot without a graph is refused by index.
    const Run first = cli({QStringLiteral("chain"), file, QStringLiteral("--type=__main__.Session"), QStringLiteral("--snapshot=1")});
    QCOMPARE(first.code, 2);
    QVERIFY2(first.err.contains(QStringLiteral("snapshot 1 has no heap graph (snapshots with one: 2)")), qPrintable(first.err));

    // retained --by type: the dicts behind the cache retain at least the
    // Sessions' shallow sizes; the Sessions' own figures match the program's.
    const Run retained = cli({QStringLiteral("retained"), file, QStringLiteral("--by"), QStringLiteral("type"),
                              QStringLiteral("--json"), QStringLiteral("--top"), QStringLiteral("100000")});
    QVERIFY2(retained.code == 0, qPrintable(retained.err));
    QHash<QString, QJsonObject> types;
    for (const QJsonValue &v : QJsonDocument::fromJson(retained.out.toUtf8()).object().value(QStringLiteral("types")).toArray())
        types.insert(v[QStringLiteral("type")].toString(), v.toObject());
    const QJsonObject session = types.value(QStringLiteral("__main__.Session"));
    QCOMPARE(session.value(QStringLiteral("count")).toInteger(), qint64(80));
    QCOMPARE(session.value(QStringLiteral("shallow")).toInteger(), sessionsShallow);
    QVERIFY(session.value(QStringLiteral("retained")).toInteger() >= sessionsShallow);
    QVERIFY(types.value(QStringLiteral("dict")).value(QStringLiteral("retained")).toInteger() >= sessionsShallow);

    // retained --by object: the _CACHE dict, named by its chain, retains at
    // least every Session.
    const Run objects = cli({QStringLiteral("retained"), file, QStringLiteral("--json"), QStringLiteral("--top=40")});
    QVERIFY2(objects.code == 0, qPrintable(objects.err));
    bool cache = false;
    for (const QJsonValue &v : QJsonDocument::fromJson(objects.out.toUtf8()).object().value(QStringLiteral("objects")).toArray()) {
        if (v[QStringLiteral("chain")].toString().endsWith(QStringLiteral("_CACHE"))) {
            cache = true;
            QVERIFY(v[QStringLiteral("retained")].toInteger() >= sessionsShallow);
        }
    }
    QVERIFY2(cache, qPrintable(objects.out.left(3000)));

    // backrefs --dot: the sampled Sessions and the cache edge.
    const QString dotFile = path(QStringLiteral("agent.dot"));
    const Run backrefs = cli({QStringLiteral("backrefs"), file, QStringLiteral("--type"), QStringLiteral("__main__.Session"),
                              QStringLiteral("--dot"), dotFile});
    QVERIFY2(backrefs.code == 0, qPrintable(backrefs.err));
    const Expected<DotGraphInfo> dot = readDotFile(dotFile);
    QVERIFY2(dot.ok(), qPrintable(dot.error()));
    int sessions = 0;
    for (const QString &label : dot.value().nodeLabels)
        sessions += label.contains(QStringLiteral("__main__.Session")) ? 1 : 0;
    QCOMPARE(sessions, 3);
    bool cacheEdge = false;
    bool globalsEdge = false;
    for (const auto &e : dot.value().edges) {
        cacheEdge = cacheEdge || e.label.contains(QStringLiteral("_CACHE"));
        globalsEdge = globalsEdge || e.label == QLatin1String("__globals__");
    }
    QVERIFY(cacheEdge);
    // Session.__init__ points back at __main__'s namespace...
    QVERIFY(globalsEdge);
    // ...which --skip-cycles leaves out: only the module stays above it.
    const QString skippedFile = path(QStringLiteral("agent-skipped.dot"));
    const Run skipped = cli({QStringLiteral("backrefs"), file, QStringLiteral("--type"), QStringLiteral("__main__.Session"),
                             QStringLiteral("--skip-cycles"), QStringLiteral("--dot"), skippedFile});
    QVERIFY2(skipped.code == 0, qPrintable(skipped.err));
    const Expected<DotGraphInfo> lean = readDotFile(skippedFile);
    QVERIFY2(lean.ok(), qPrintable(lean.error()));
    QVERIFY(lean.value().nodes.size() < dot.value().nodes.size());
    bool leanCache = false;
    for (const auto &e : lean.value().edges) {
        QVERIFY(e.label != QLatin1String("__globals__"));
        leanCache = leanCache || e.label.contains(QStringLiteral("_CACHE"));
    }
    QVERIFY(leanCache);
    QVERIFY(lean.value().nodeLabels.contains(QStringLiteral("module __main__\nmodule")));
}

void TestGraphCommands::recordGraph()
{
    // leakscope-cli record --graph: the agent compiled into the binary stores
    // a graph with each snapshot; chain reads the exit snapshot.
    qputenv("XDG_CACHE_HOME", QFile::encodeName(path(QStringLiteral("cache"))));
    const QString program = path(QStringLiteral("cached_sessions.py"));
    QFile source(program);
    QVERIFY(source.open(QIODevice::WriteOnly));
    source.write("class Session:\n"
                 "    def __init__(self, n):\n"
                 "        self.n = n\n"
                 "_CACHE = {}\n"
                 "for i in range(25):\n"
                 "    _CACHE['s%d' % i] = Session(i)\n");
    source.close();
    const QString file = path(QStringLiteral("recorded.lsnap"));
    const Run record = cli({QStringLiteral("record"), QStringLiteral("--graph"), QStringLiteral("--no-serve"),
                            QStringLiteral("-o"), file, QStringLiteral("--"), QStringLiteral(LEAKSCOPE_PYTHON), program});
    QVERIFY2(record.code == 0, qPrintable(record.err));
    const Run info = cli({QStringLiteral("info"), file});
    QVERIFY2(info.out.contains(QStringLiteral("start [graph]")) && info.out.contains(QStringLiteral("exit [graph]")),
             qPrintable(info.out));
    const Run chain = cli({QStringLiteral("chain"), file, QStringLiteral("--type"), QStringLiteral("__main__.Session")});
    QVERIFY2(chain.code == 0, qPrintable(chain.err));
    QVERIFY2(chain.out.contains(QStringLiteral("snapshot 2 (\"exit\"): ")) && chain.out.contains(QStringLiteral("(25 instances)")),
             qPrintable(chain.out));
    QVERIFY2(chain.out.contains(QStringLiteral("_CACHE")), qPrintable(chain.out));
}

void TestGraphCommands::chainFollowsANewInstance()
{
    // resources/examples/two_leaks.py keeps requests in _REQUEST_LOG (each
    // with a body list) and tracers' bound methods in _SUBSCRIBERS (each
    // tracer with an events list). The lists new since the first snapshot
    // are those two kinds, one of each per request; chain follows one of them
    // as the window's References tab does: not the import system's lists
    // (shortest from a root) nor gc.garbage (an old list). Which of the two
    // leaks it is depends on the order of equally new instances.
    qputenv("XDG_CACHE_HOME", QFile::encodeName(path(QStringLiteral("cache"))));
    const QString file = path(QStringLiteral("two_leaks.lsnap"));
    const Run record = cli({QStringLiteral("record"), QStringLiteral("--graph"), QStringLiteral("--no-serve"),
                            QStringLiteral("--every"), QStringLiteral("0.3"), QStringLiteral("-o"), file,
                            QStringLiteral("--"), QStringLiteral(LEAKSCOPE_PYTHON),
                            QStringLiteral(LEAKSCOPE_SOURCE_DIR "/resources/examples/two_leaks.py"), QStringLiteral("120"),
                            QStringLiteral("0.01")});
    QVERIFY2(record.code == 0, qPrintable(record.err));

    const Run chain = cli({QStringLiteral("chain"), file, QStringLiteral("--type"), QStringLiteral("list")});
    QVERIFY2(chain.code == 0, qPrintable(chain.err));
    const QStringList out = lines(chain.out);
    QVERIFY2(out.size() >= 5, qPrintable(chain.out));
    QVERIFY2(out[1].startsWith(QStringLiteral("Followed instance 0x")) && out[1].contains(QStringLiteral("new since snapshot 1")),
             qPrintable(chain.out));
    QStringList via;
    for (int i = 4; i < out.size(); ++i)
        via << out[i].split(QLatin1Char(' '), Qt::SkipEmptyParts).at(1);
    const bool request = via.contains(QStringLiteral("_REQUEST_LOG")) && via.last() == QStringLiteral(".body");
    const bool tracer = via.contains(QStringLiteral("_SUBSCRIBERS")) && via.last() == QStringLiteral(".events");
    QVERIFY2(request || tracer, qPrintable(chain.out));
    QVERIFY2(!chain.out.contains(QStringLiteral("garbage")), qPrintable(chain.out));
    // The followed id is the last step's.
    const QString followed = out[1].section(QLatin1Char(' '), 2, 2).remove(QLatin1Char(','));
    QCOMPARE(out.last().split(QLatin1Char(' '), Qt::SkipEmptyParts).at(3), followed);

    // Against the last snapshot itself nothing is new: the chain then is the
    // shortest to any list, and says why.
    const Run itself = cli({QStringLiteral("chain"), file, QStringLiteral("--type=list"), QStringLiteral("--baseline=99")});
    QCOMPARE(itself.code, 2);
    QVERIFY2(itself.err.contains(QStringLiteral("--baseline 99 is out of range")), qPrintable(itself.err));

    // backrefs samples new instances too, and names them; -o OUT as the
    // leak report's next step spells it (the format from the suffix).
    const QString dot = path(QStringLiteral("two_leaks.dot"));
    const Run backrefs = cli({QStringLiteral("backrefs"), file, QStringLiteral("--type=__main__.HttpRequest"),
                              QStringLiteral("-o"), dot});
    QFile written(dot);
    QVERIFY(written.open(QIODevice::ReadOnly));
    QVERIFY(written.readAll().startsWith("digraph"));
    QVERIFY2(backrefs.code == 0, qPrintable(backrefs.err));
    const QString named = lines(backrefs.out).last();
    QVERIFY2(named.startsWith(QStringLiteral("Followed instances: 0x")) && named.count(QStringLiteral("new since snapshot 1")) == 3,
             qPrintable(backrefs.out));
}

QTEST_GUILESS_MAIN(TestGraphCommands)
#include "tst_graphcommands.moc"
