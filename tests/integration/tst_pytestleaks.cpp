// Leaking tests from a real file: the real pytest plugin runs the sample
// suite (tests/data/pytest_sample) under Debian's python3 with its pytest;
// then the model's grouping, `leakscope-cli compare --by-test` and the
// window's Tests tab read what it wrote.
#include "gui/mainwindow.h"
#include "gui/sessioncontroller.h"
#include "lsnap/snapshotreader.h"
#include "core/testleaks.h"
#include "views/testtimelinemodel.h"

#include "testutil/processrun.h"

#include <QApplication>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSettings>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeView>

using namespace leakscope;

namespace {

const QString kLogin = QStringLiteral("test_sample.py::test_login_leaks");
const QString kHandler = QStringLiteral("test_sample.py::test_handler_leaks");

bool copyTree(const QString &from, const QString &to)
{
    QDirIterator it(from, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        if (path.contains(QLatin1String("__pycache__")))
            continue;
        const QString target = to + QLatin1Char('/') + QDir(from).relativeFilePath(path);
        if (!QDir().mkpath(QFileInfo(target).path()) || !QFile::copy(path, target))
            return false;
    }
    return true;
}

using testutil::Run;
using testutil::runProcess;

} // namespace

class TestPytestLeaks : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void groupsSnapshotsByTest();
    void timelineModelListsLeakingTestsFirst();
    void cliComparesByTest();
    void cliByTestJson();
    void cliByTestRejectsOtherModes();
    void cliByTestWithoutTestSnapshots();
    void windowOpensOnTheLeakingTests();

private:
    Session readSession() const;

    QTemporaryDir m_dir;
    QString m_file;
};

void TestPytestLeaks::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_dir.filePath(QStringLiteral("settings")));
    QVERIFY(m_dir.isValid());
    const QString python = QStringLiteral(LEAKSCOPE_SYSTEM_PYTHON);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("PYTHONPATH"), QStringLiteral(LEAKSCOPE_SOURCE_DIR "/resources/python"));
    env.insert(QStringLiteral("PYTHONDONTWRITEBYTECODE"), QStringLiteral("1"));
    const Run probe = runProcess(python, {QStringLiteral("-c"), QStringLiteral("import pytest")}, m_dir.path(), env);
    if (python.isEmpty() || probe.code != 0)
        QSKIP(qPrintable(QStringLiteral("%1 cannot import pytest (install python3-pytest): %2")
                             .arg(python.isEmpty() ? QStringLiteral("/usr/bin/python3") : python, probe.err.trimmed())));
    const QString suite = m_dir.filePath(QStringLiteral("suite"));
    QVERIFY(copyTree(QStringLiteral(LEAKSCOPE_SOURCE_DIR "/tests/data/pytest_sample"), suite));
    m_file = m_dir.filePath(QStringLiteral("tests.lsnap"));
    const Run run = runProcess(python,
                               {QStringLiteral("-m"), QStringLiteral("pytest"), QStringLiteral("-q"),
                                QStringLiteral("-p"), QStringLiteral("no:cacheprovider"), QStringLiteral("-p"),
                                QStringLiteral("leakscope_agent.pytest_plugin"), QStringLiteral("--leakscope=") + m_file,
                                QStringLiteral("--leakscope-graph"), QStringLiteral("test_sample.py")},
                               suite, env);
    QVERIFY2(run.code == 0, qPrintable(run.out + run.err));
    QVERIFY2(run.out.contains(QLatin1String("= Leakscope =")), qPrintable(run.out));
}

Session TestPytestLeaks::readSession() const
{
    Session session;
    Expected<LoadedFile> file = SnapshotReader::read(m_file);
    if (file)
        session.addFile(file.value());
    else
        qWarning() << file.error();
    return session;
}

void TestPytestLeaks::groupsSnapshotsByTest()
{
    const Session session = readSession();
    QCOMPARE(session.snapshotCount(), 8 * 4);
    const std::vector<TestRuns> tests = TestLeaks::group(session);
    QCOMPARE(int(tests.size()), 8);
    QStringList leaking;
    for (const TestRuns &test : tests) {
        QCOMPARE(int(test.snapshots.size()), 4);
        QCOMPARE(test.repeats(), 3);
        for (size_t run = 0; run < test.snapshots.size(); ++run) {
            const QJsonObject meta = session.snapshot(test.snapshots[run]).info.meta.value(QLatin1String("pytest")).toObject();
            QCOMPARE(meta.value(QLatin1String("nodeid")).toString(), test.nodeId);
            QCOMPARE(meta.value(QLatin1String("run")).toInt(), int(run));
        }
        if (test.leaking())
            leaking << test.nodeId;
    }
    QCOMPARE(leaking, (QStringList{kLogin, kHandler}));
    const TestRuns &login = tests[0];
    QCOMPARE(login.leaks.front().name, QStringLiteral("sampleapp.store.Session"));
    QCOMPARE(login.leaks.front().growthPerRun, qint64(1));
    const std::vector<qint64> &c = login.leaks.front().counts;
    QCOMPARE(int(c.size()), 4);
    QCOMPARE(c[3] - c[0], qint64(3));
    QVERIFY2(login.leaks.front().chain.startsWith(QLatin1String("sampleapp.store._SESSIONS[")),
             qPrintable(login.leaks.front().chain));
    QVERIFY2(login.reason().startsWith(QLatin1String("+1 sampleapp.store.Session per run in each of 3 repeats")),
             qPrintable(login.reason()));
    const TestRuns &handler = tests[1];
    QCOMPARE(handler.leaks.front().name, QStringLiteral("sampleapp.events.Handler"));
    QCOMPARE(handler.leaks.front().growthPerRun, qint64(1));
    QVERIFY2(handler.leaks.front().chain.contains(QLatin1String("sampleapp.events._HANDLERS['click']")),
             qPrintable(handler.leaks.front().chain));
}

void TestPytestLeaks::timelineModelListsLeakingTestsFirst()
{
    auto session = std::make_shared<const Session>(readSession());
    TestTimelineModel model;
    model.setSession(session);
    QCOMPARE(model.rowCount(), 8);
    QCOMPARE(model.leakingCount(), 2);
    QCOMPARE(model.index(0, TestTimelineModel::TestColumn).data().toString(), kLogin);
    QCOMPARE(model.index(1, TestTimelineModel::TestColumn).data().toString(), kHandler);
    QVERIFY(model.index(0, 0).data(TestTimelineModel::IsLeakingRole).toBool());
    QVERIFY(!model.index(2, 0).data(TestTimelineModel::IsLeakingRole).toBool());
    QCOMPARE(model.index(0, TestTimelineModel::LeakColumn).data().toString(),
             QStringLiteral("+1 Session per run"));
    QVERIFY(model.index(0, TestTimelineModel::TestColumn).data(Qt::ToolTipRole).toString().contains(QLatin1String("sampleapp.store.Session")));
    QCOMPARE(model.index(2, TestTimelineModel::LeakColumn).data().toString(), QStringLiteral("no leak"));
    const QModelIndex login = model.index(0, 0);
    QCOMPARE(model.rowCount(login), 4);
    const int first = login.data(TestTimelineModel::BaselineRole).toInt();
    const int last = login.data(TestTimelineModel::SnapshotRole).toInt();
    QCOMPARE(last - first, 3);
    QCOMPARE(session->snapshot(first).info.label, kLogin + QStringLiteral(" run 0"));
    QCOMPARE(session->snapshot(last).info.label, kLogin + QStringLiteral(" run 3"));
    const QModelIndex run2 = model.index(2, 0, login);
    QCOMPARE(run2.parent(), login);
    QCOMPARE(run2.data(TestTimelineModel::SnapshotRole).toInt(), first + 2);
    QCOMPARE(model.rowCount(run2), 0);
}

void TestPytestLeaks::cliComparesByTest()
{
    const Run r = runProcess(QStringLiteral(LEAKSCOPE_BIN_DIR "/leakscope-cli"),
                             {QStringLiteral("compare"), QStringLiteral("--by-test"), m_file}, m_dir.path());
    QCOMPARE(r.code, 0);
    QVERIFY2(r.err.isEmpty(), qPrintable(r.err));
    QStringList lines = r.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 4);
    QCOMPARE(lines[0], QStringLiteral("2 of 8 tests leak:"));
    QVERIFY(lines[1].startsWith(QLatin1String("test ")));
    const QRegularExpression row(QStringLiteral("^(\\S+)\\s+(\\S+)\\s+\\+(\\d+)\\s+(.*)$"));
    const QRegularExpressionMatch login = row.match(lines[2]);
    QVERIFY2(login.hasMatch(), qPrintable(lines[2]));
    QCOMPARE(login.captured(1), kLogin);
    QCOMPARE(login.captured(2), QStringLiteral("sampleapp.store.Session"));
    QCOMPARE(login.captured(3), QStringLiteral("1"));
    QVERIFY2(login.captured(4).contains(QLatin1String("chain: sampleapp.store._SESSIONS[")), qPrintable(lines[2]));
    const QRegularExpressionMatch handler = row.match(lines[3]);
    QVERIFY2(handler.hasMatch(), qPrintable(lines[3]));
    QCOMPARE(handler.captured(1), kHandler);
    QCOMPARE(handler.captured(2), QStringLiteral("sampleapp.events.Handler"));
    QCOMPARE(handler.captured(3), QStringLiteral("1"));
}

void TestPytestLeaks::cliByTestJson()
{
    const Run r = runProcess(QStringLiteral(LEAKSCOPE_BIN_DIR "/leakscope-cli"),
                             {QStringLiteral("compare"), QStringLiteral("--by-test"), QStringLiteral("--json"), m_file},
                             m_dir.path());
    QCOMPARE(r.code, 0);
    const QJsonObject root = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QCOMPARE(root.value(QLatin1String("tests_checked")).toInt(), 8);
    const QJsonArray leaking = root.value(QLatin1String("leaking_tests")).toArray();
    QCOMPARE(leaking.size(), 2);
    const QJsonObject login = leaking.at(0).toObject();
    QCOMPARE(login.value(QLatin1String("test")).toString(), kLogin);
    QCOMPARE(login.value(QLatin1String("type")).toString(), QStringLiteral("sampleapp.store.Session"));
    QCOMPARE(login.value(QLatin1String("growth_per_run")).toInt(), 1);
    QCOMPARE(login.value(QLatin1String("repeats")).toInt(), 3);
    const QJsonArray counts =
        login.value(QLatin1String("types")).toArray().at(0).toObject().value(QLatin1String("counts")).toArray();
    QCOMPARE(counts.size(), 4);
    QCOMPARE(counts.at(3).toInt() - counts.at(0).toInt(), 3);
    QCOMPARE(leaking.at(1).toObject().value(QLatin1String("type")).toString(), QStringLiteral("sampleapp.events.Handler"));
    QCOMPARE(root.value(QLatin1String("tests")).toArray().size(), 8);
}

void TestPytestLeaks::cliByTestRejectsOtherModes()
{
    const Run r = runProcess(QStringLiteral(LEAKSCOPE_BIN_DIR "/leakscope-cli"),
                             {QStringLiteral("compare"), QStringLiteral("--by-test"), QStringLiteral("--csv"), m_file},
                             m_dir.path());
    QCOMPARE(r.code, 2);
    QVERIFY(r.out.isEmpty());
    QVERIFY2(r.err.contains(QLatin1String("--by-test takes only --json")), qPrintable(r.err));
}

void TestPytestLeaks::cliByTestWithoutTestSnapshots()
{
    // A recording that is not of a test run: the example session.
    const QString example = QStringLiteral(LEAKSCOPE_SOURCE_DIR "/resources/examples/demo-session.lsnap");
    if (!QFileInfo::exists(example))
        QSKIP("resources/examples/demo-session.lsnap is missing");
    const Run r = runProcess(QStringLiteral(LEAKSCOPE_BIN_DIR "/leakscope-cli"),
                             {QStringLiteral("compare"), QStringLiteral("--by-test"), example}, m_dir.path());
    QCOMPARE(r.code, 0);
    QVERIFY2(r.out.startsWith(QLatin1String("No test snapshots in 1 file")), qPrintable(r.out));
}

void TestPytestLeaks::windowOpensOnTheLeakingTests()
{
    MainWindow w;
    w.resize(1200, 800);
    w.show();
    QVERIFY(!w.timelineTabs()->isTabVisible(1));
    w.openFiles({m_file});
    QTRY_COMPARE_WITH_TIMEOUT(w.testsModel()->rowCount(), 8, 30000);
    QVERIFY(w.timelineTabs()->isTabVisible(1));
    QCOMPARE(w.timelineTabs()->currentWidget(), static_cast<QWidget *>(w.testsView()));
    QCOMPARE(w.timelineTabs()->tabText(1), QStringLiteral("Tests (2 leaking)"));
    const QModelIndex first = w.testsModel()->index(0, 0);
    QCOMPARE(first.data().toString(), kLogin);
    QCOMPARE(w.testsView()->currentIndex(), first);
    // The growth table compares the first leaking test's last run with its warm-up.
    const int baseline = first.data(TestTimelineModel::BaselineRole).toInt();
    const int current = first.data(TestTimelineModel::SnapshotRole).toInt();
    QTRY_COMPARE_WITH_TIMEOUT(w.controller()->current(), current, 30000);
    QCOMPARE(w.controller()->baseline(), baseline);
    QTRY_VERIFY(w.controller()->comparison() && w.controller()->comparison()->current == current);

    // Activating the second leaking test compares its runs instead.
    const QModelIndex second = w.testsModel()->index(1, 0);
    emit w.testsView()->activated(second);
    const int current2 = second.data(TestTimelineModel::SnapshotRole).toInt();
    QTRY_COMPARE_WITH_TIMEOUT(w.controller()->current(), current2, 30000);
    QCOMPARE(w.controller()->baseline(), second.data(TestTimelineModel::BaselineRole).toInt());
}

QTEST_MAIN(TestPytestLeaks)
#include "tst_pytestleaks.moc"
