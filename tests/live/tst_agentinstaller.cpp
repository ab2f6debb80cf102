#include "live/agentinstaller.h"
#include "live/pythoncommand.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QtConcurrent>

using namespace leakscope;

namespace {

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

bool agentEmbedded()
{
    return QFileInfo::exists(QStringLiteral(":/agent/leakscope_agent/_sitecustomize.py"));
}

} // namespace

class TestAgentInstaller : public QObject
{
    Q_OBJECT
private slots:
    void installsEmbeddedFiles();
    void reusesAndRepairs();
    void concurrentInstalls();
    void unwritableCacheRoot();
    void pythonPathOrder();
    void recordEnvironment();
    void installedAgentImports();
    void installedNativeCensus();
    void programName_data();
    void programName();
    void findExecutable();
};

void TestAgentInstaller::installsEmbeddedFiles()
{
    QVERIFY2(agentEmbedded(), "the agent is not compiled in (:/agent/leakscope_agent/_sitecustomize.py)");
    QTemporaryDir cache;
    const QString root = cache.path() + QStringLiteral("/leakscope");
    Expected<AgentInstall> install = AgentInstaller::install(root);
    QVERIFY2(install.ok(), qPrintable(install.error()));
    const AgentInstall &a = install.value();
    QCOMPARE(a.dir, root + QStringLiteral("/agent-") + AgentInstaller::embeddedHash());
    QCOMPARE(a.hash.size(), 16);
    QCOMPARE(a.packageParentDir, a.dir);
    QCOMPARE(a.bootDir, a.dir + QStringLiteral("/boot"));
    QCOMPARE(QFileInfo(a.dir).permissions() & 0x0077, QFile::Permissions());
    QCOMPARE(QFileInfo(root).permissions() & 0x0077, QFile::Permissions());

    int files = 0;
    QDirIterator it(QStringLiteral(":/agent/leakscope_agent"), {QStringLiteral("*.py"), QStringLiteral("*.sql")}, QDir::Files);
    while (it.hasNext()) {
        it.next();
        ++files;
        QCOMPARE(readAll(a.packageParentDir + QStringLiteral("/leakscope_agent/") + it.fileName()), readAll(it.filePath()));
    }
    QVERIFY(files >= 2);
    // The native modules (one per Python the build found) come along, private.
    QDirIterator so(QStringLiteral(":/agent/leakscope_agent"), {QStringLiteral("*.so")}, QDir::Files);
    while (so.hasNext()) {
        so.next();
        const QString installed = a.packageParentDir + QStringLiteral("/leakscope_agent/") + so.fileName();
        QCOMPARE(readAll(installed), readAll(so.filePath()));
        QCOMPARE(QFileInfo(installed).permissions() & 0x0077, QFile::Permissions());
    }
    QCOMPARE(readAll(a.bootDir + QStringLiteral("/sitecustomize.py")),
             readAll(QStringLiteral(":/agent/leakscope_agent/_sitecustomize.py")));
    // Nothing but the published directory is left behind.
    QCOMPARE(QDir(root).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden),
             QStringList{QStringLiteral("agent-") + a.hash});
}

void TestAgentInstaller::reusesAndRepairs()
{
    QVERIFY2(agentEmbedded(), "the agent is not compiled in (:/agent/leakscope_agent/_sitecustomize.py)");
    QTemporaryDir cache;
    Expected<AgentInstall> first = AgentInstaller::install(cache.path());
    QVERIFY2(first.ok(), qPrintable(first.error()));
    const QString marker = first.value().dir + QStringLiteral("/leakscope_agent/__pycache__");
    QVERIFY(QDir().mkpath(marker)); // Python adds such files: still a valid install
    Expected<AgentInstall> second = AgentInstaller::install(cache.path());
    QVERIFY2(second.ok(), qPrintable(second.error()));
    QCOMPARE(second.value().dir, first.value().dir);
    QVERIFY2(QFileInfo::exists(marker), "a valid install must be reused, not rewritten");

    // A damaged install is replaced by a complete one.
    const QString init = first.value().dir + QStringLiteral("/leakscope_agent/__init__.py");
    {
        QFile f(init);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write("raise SystemExit('tampered')\n");
    }
    Expected<AgentInstall> third = AgentInstaller::install(cache.path());
    QVERIFY2(third.ok(), qPrintable(third.error()));
    QCOMPARE(readAll(init), readAll(QStringLiteral(":/agent/leakscope_agent/__init__.py")));
    QVERIFY(!QFileInfo::exists(marker));
    QCOMPARE(QDir(cache.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot).size(), 1);
}

void TestAgentInstaller::concurrentInstalls()
{
    QVERIFY2(agentEmbedded(), "the agent is not compiled in (:/agent/leakscope_agent/_sitecustomize.py)");
    QTemporaryDir cache;
    QList<int> jobs{0, 1, 2, 3, 4, 5, 6, 7};
    const QString root = cache.path();
    const QList<QString> results = QtConcurrent::blockingMapped(jobs, [root](int) {
        Expected<AgentInstall> r = AgentInstaller::install(root);
        return r.ok() ? r.value().dir : QStringLiteral("ERROR ") + r.error();
    });
    for (const QString &r : results)
        QCOMPARE(r, root + QStringLiteral("/agent-") + AgentInstaller::embeddedHash());
    QCOMPARE(QDir(root).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden).size(), 1);
}

void TestAgentInstaller::unwritableCacheRoot()
{
    QVERIFY2(agentEmbedded(), "the agent is not compiled in (:/agent/leakscope_agent/_sitecustomize.py)");
    QTemporaryDir cache;
    // A regular file where the cache directory should be.
    const QString blocker = cache.path() + QStringLiteral("/file");
    {
        QFile f(blocker);
        QVERIFY(f.open(QIODevice::WriteOnly));
    }
    Expected<AgentInstall> r = AgentInstaller::install(blocker + QStringLiteral("/leakscope"));
    QVERIFY(!r.ok());
    QVERIFY2(r.error().contains(blocker), qPrintable(r.error()));
}

void TestAgentInstaller::pythonPathOrder()
{
    AgentInstall a;
    a.bootDir = QStringLiteral("/c/agent-x/boot");
    a.packageParentDir = QStringLiteral("/c/agent-x");
    QProcessEnvironment base;
    base.insert(QStringLiteral("HOME"), QStringLiteral("/home/u"));
    QCOMPARE(AgentInstaller::pythonEnvironment(base, a).value(QStringLiteral("PYTHONPATH")),
             QStringLiteral("/c/agent-x/boot:/c/agent-x"));
    base.insert(QStringLiteral("PYTHONPATH"), QString());
    QCOMPARE(AgentInstaller::pythonEnvironment(base, a).value(QStringLiteral("PYTHONPATH")),
             QStringLiteral("/c/agent-x/boot:/c/agent-x"));
    base.insert(QStringLiteral("PYTHONPATH"), QStringLiteral("/mine:/other"));
    const QProcessEnvironment env = AgentInstaller::pythonEnvironment(base, a);
    QCOMPARE(env.value(QStringLiteral("PYTHONPATH")), QStringLiteral("/c/agent-x/boot:/c/agent-x:/mine:/other"));
    QCOMPARE(env.value(QStringLiteral("HOME")), QStringLiteral("/home/u"));
}

void TestAgentInstaller::recordEnvironment()
{
    AgentInstall a;
    a.bootDir = QStringLiteral("/c/boot");
    a.packageParentDir = QStringLiteral("/c");
    QProcessEnvironment base;
    base.insert(QStringLiteral("LEAKSCOPE_RECORD_EVERY"), QStringLiteral("99")); // inherited: must go
    RecordOptions o;
    o.output = QStringLiteral("/tmp/x.lsnap");
    QProcessEnvironment env = AgentInstaller::recordEnvironment(base, a, o);
    QCOMPARE(env.value(QStringLiteral("LEAKSCOPE_RECORD_OUTPUT")), QStringLiteral("/tmp/x.lsnap"));
    QVERIFY(!env.contains(QStringLiteral("LEAKSCOPE_RECORD_EVERY")));
    QCOMPARE(env.value(QStringLiteral("LEAKSCOPE_RECORD_COLLECT")), QStringLiteral("1"));
    QCOMPARE(env.value(QStringLiteral("LEAKSCOPE_RECORD_SERVE")), QStringLiteral("1"));
    QCOMPARE(env.value(QStringLiteral("LEAKSCOPE_BOOT_DIR")), QStringLiteral("/c/boot"));
    QCOMPARE(env.value(QStringLiteral("PYTHONPATH")), QStringLiteral("/c/boot:/c"));
    o.every = 0.25;
    o.collect = false;
    o.serve = false;
    env = AgentInstaller::recordEnvironment(base, a, o);
    QCOMPARE(env.value(QStringLiteral("LEAKSCOPE_RECORD_EVERY")).toDouble(), 0.25);
    QCOMPARE(env.value(QStringLiteral("LEAKSCOPE_RECORD_COLLECT")), QStringLiteral("0"));
    QCOMPARE(env.value(QStringLiteral("LEAKSCOPE_RECORD_SERVE")), QStringLiteral("0"));
}

void TestAgentInstaller::installedAgentImports()
{
    // The installed agent boots in the program (sitecustomize from bootDir), but the program
    // itself never sees the installer's path entries nor a leakscope_agent module of ours:
    // a program's own leakscope_agent package must not be shadowed (issue 12).
    QTemporaryDir cache;
    Expected<AgentInstall> install = AgentInstaller::install(cache.path());
    QVERIFY2(install.ok(), qPrintable(install.error()));
    QTemporaryDir work;
    QProcess p;
    QProcessEnvironment base = QProcessEnvironment::systemEnvironment();
    base.remove(QStringLiteral("PYTHONPATH"));
    p.setProcessEnvironment(AgentInstaller::pythonEnvironment(base, install.value()));
    p.setWorkingDirectory(work.path());
    p.start(QStringLiteral(LEAKSCOPE_PYTHON),
            {QStringLiteral("-c"),
             QStringLiteral("import sys, importlib.util; "
                            "print(any(e in sys.argv[1:] for e in sys.path)); "
                            "print('leakscope_agent' in sys.modules); "
                            "print(importlib.util.find_spec('leakscope_agent') is not None)"),
             install.value().bootDir, install.value().packageParentDir});
    QVERIFY(p.waitForFinished(30000));
    QCOMPARE(p.exitCode(), 0);
    QCOMPARE(QString::fromUtf8(p.readAllStandardOutput()).split(QLatin1Char('\n'), Qt::SkipEmptyParts),
             QStringList({QStringLiteral("False"), QStringLiteral("False"), QStringLiteral("False")}));
}

void TestAgentInstaller::installedNativeCensus()
{
    // The unpacked agent takes the native census exactly when the build embedded a module for
    // this interpreter (issue 17), and says which one it used in the snapshot metadata.
    if (!agentEmbedded())
        QSKIP("the agent has not landed yet");
    QTemporaryDir cache;
    Expected<AgentInstall> install = AgentInstaller::install(cache.path());
    QVERIFY2(install.ok(), qPrintable(install.error()));
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("PYTHONPATH"), install.value().packageParentDir);
    env.remove(QStringLiteral("LEAKSCOPE_NATIVE"));
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(LEAKSCOPE_PYTHON),
            {QStringLiteral("-c"),
             QStringLiteral("import sysconfig, leakscope_agent\n"
                            "types, meta = leakscope_agent.census(collect=False)\n"
                            "print(sysconfig.get_config_var('EXT_SUFFIX'))\n"
                            "print(meta['census_impl'])\n"
                            "print(types['dict'][0] > 0)\n")});
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitCode(), 0);
    const QStringList lines = QString::fromUtf8(p.readAllStandardOutput()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 3);
    const bool embedded = QFile::exists(QStringLiteral(":/agent/leakscope_agent/_native") + lines[0]);
    QCOMPARE(lines[1], embedded ? QStringLiteral("native") : QStringLiteral("python"));
    QCOMPARE(lines[2], QStringLiteral("True"));
}

void TestAgentInstaller::programName_data()
{
    QTest::addColumn<QStringList>("command");
    QTest::addColumn<QString>("name");
    auto row = [](const char *name, const QString &cmd, const char *expected) {
        QTest::newRow(name) << cmd.split(QLatin1Char(' ')) << QString::fromLatin1(expected);
    };
    row("script", QStringLiteral("python3 x.py"), "x");
    row("script with args", QStringLiteral("python3 dir/server.py --port 8000"), "server");
    row("absolute interpreter", QStringLiteral("/usr/bin/python3.11 /a/b/job.py"), "job");
    row("interpreter flags", QStringLiteral("python3 -u -X dev -W ignore tool.py -m notme"), "tool");
    row("attached -W", QStringLiteral("python3 -Wignore tool.py"), "tool");
    row("module", QStringLiteral("python3 -m pkg.mod arg"), "pkg.mod");
    row("module attached", QStringLiteral("python -mhttp.server"), "http.server");
    row("module after flags", QStringLiteral("python3 -B -m unittest discover"), "unittest");
    row("combined flags then module", QStringLiteral("python3 -Bum timeit"), "timeit");
    row("-c code", QStringLiteral("python3 -c pass"), "python3");
    row("repl", QStringLiteral("python3"), "python3");
    row("stdin", QStringLiteral("python3 -"), "stdin");
    row("console script", QStringLiteral("pytest -x tests"), "pytest");
    row("console script by path", QStringLiteral("./bin/my-tool --flag"), "my-tool");
    row("script run directly", QStringLiteral("./leaky.py 10"), "leaky");
    row("pypy", QStringLiteral("pypy3 bench.py"), "bench");
    row("odd characters", QStringLiteral("python3 my$cript.py"), "my_cript");
    row("not python despite the prefix", QStringLiteral("python-config --libs"), "python-config");
}

void TestAgentInstaller::programName()
{
    QFETCH(QStringList, command);
    QFETCH(QString, name);
    QCOMPARE(PythonCommand::programName(command), name);
}

void TestAgentInstaller::findExecutable()
{
    QTemporaryDir dir;
    const QString exe = dir.path() + QStringLiteral("/tool");
    const QString plain = dir.path() + QStringLiteral("/data");
    for (const QString &path : {exe, plain}) {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("#!/bin/sh\n");
    }
    QVERIFY(QFile::setPermissions(exe, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));
    QProcessEnvironment env;
    env.insert(QStringLiteral("PATH"), QStringLiteral("/nonexistent:") + dir.path());
    QCOMPARE(PythonCommand::findExecutable(QStringLiteral("tool"), env), exe);
    QCOMPARE(PythonCommand::findExecutable(QStringLiteral("data"), env), QString()); // not executable
    QCOMPARE(PythonCommand::findExecutable(QStringLiteral("nosuchtool"), env), QString());
    QCOMPARE(PythonCommand::findExecutable(exe, env), exe);
    QCOMPARE(PythonCommand::findExecutable(dir.path() + QStringLiteral("/missing"), env), QString());
    QVERIFY(PythonCommand::isPythonInterpreter(QStringLiteral("/usr/bin/python3.11")));
    QVERIFY(!PythonCommand::isPythonInterpreter(QStringLiteral("pytest")));
}

QTEST_GUILESS_MAIN(TestAgentInstaller)
#include "tst_agentinstaller.moc"
