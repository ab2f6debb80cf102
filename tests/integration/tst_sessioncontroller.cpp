// The session controller and its job runner: batches merge off the UI
// thread, results of superseded or cancelled work are dropped, and a bad file
// never takes the good ones down with it.
#include "core/growth.h"
#include "gui/examplesession.h"
#include "testutil/guitestdata.h"
#include "core/jobrunner.h"
#include "gui/sessioncontroller.h"

#include <QFileInfo>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <atomic>

using namespace leakscope;
using namespace leakscope::testdata;

class TestSessionController : public QObject
{
    Q_OBJECT
private slots:
    void jobRunnerDropsSupersededResults();
    void jobRunnerCancelDropsTheResult();
    void jobRunnerRunsOffTheUiThread();
    void batchesMergeInOrder();
    void comparisonFollowsTheChosenSnapshots();
    void staleComparisonIsDropped();
    void badFileNextToGoodFile();
    void sameFileTwiceIsRefused();
    void saveSessionAsRoundTrips();
    void addSnapshotsMergesALiveBatch();
    void bundledExampleSessionShowsTheLeak();
};

void TestSessionController::jobRunnerDropsSupersededResults()
{
    JobRunner runner;
    std::atomic_bool release{false};
    int applied = 0;
    int value = 0;
    runner.start(QStringLiteral("slow"), [&](JobRunner::Context &ctx) -> std::function<void()> {
        while (!release && !ctx.isCancelled())
            QThread::msleep(1);
        return [&] { ++applied; value = 1; };
    });
    runner.start(QStringLiteral("fast"), [&](JobRunner::Context &) -> std::function<void()> {
        return [&] { ++applied; value = 2; };
    });
    release = true;
    QSignalSpy finished(&runner, &JobRunner::finished);
    QTRY_COMPARE(finished.size(), 1);
    runner.waitForIdle();
    QCoreApplication::processEvents();
    QCOMPARE(applied, 1);
    QCOMPARE(value, 2);
    QVERIFY(!runner.isRunning());
}

void TestSessionController::jobRunnerCancelDropsTheResult()
{
    JobRunner runner;
    bool sawCancel = false;
    bool applied = false;
    QSignalSpy progress(&runner, &JobRunner::progress);
    runner.start(QStringLiteral("cancellable"), [&](JobRunner::Context &ctx) -> std::function<void()> {
        for (int i = 0; i < 100000 && !ctx.isCancelled(); ++i) {
            ctx.setProgress(i, 100000);
            QThread::usleep(100);
        }
        sawCancel = ctx.isCancelled();
        return [&] { applied = true; };
    });
    QTRY_VERIFY(progress.size() > 0);
    QSignalSpy cancelled(&runner, &JobRunner::cancelled);
    runner.cancel();
    QCOMPARE(cancelled.size(), 1);
    QVERIFY(!runner.isRunning());
    runner.waitForIdle();
    QCoreApplication::processEvents();
    QVERIFY(sawCancel);
    QVERIFY(!applied);
}

void TestSessionController::jobRunnerRunsOffTheUiThread()
{
    JobRunner runner;
    QThread *workerThread = nullptr;
    QThread *applyThread = nullptr;
    runner.start(QStringLiteral("where"), [&](JobRunner::Context &) -> std::function<void()> {
        workerThread = QThread::currentThread();
        return [&] { applyThread = QThread::currentThread(); };
    });
    QTRY_VERIFY(applyThread != nullptr);
    QVERIFY(workerThread != QThread::currentThread());
    QCOMPARE(applyThread, QThread::currentThread());
}

void TestSessionController::batchesMergeInOrder()
{
    SessionController controller;
    QSignalSpy sessionChanged(&controller, &SessionController::sessionChanged);
    QSignalSpy comparisonChanged(&controller, &SessionController::comparisonChanged);
    const QStringList names{QStringLiteral("__main__.A"), QStringLiteral("dict")};
    std::vector<LoadedFile> first;
    first.push_back(makeFile(QStringLiteral("/tmp/a.lsnap"), names, {{1, 2, 3}, {5, 5, 5}}, 1700000000000, 1000));
    std::vector<LoadedFile> second;
    // Later in time: appended after the first file's snapshots.
    second.push_back(makeFile(QStringLiteral("/tmp/b.lsnap"), names, {{4, 5}, {5, 6}}, 1700000010000, 1000));
    controller.addLoadedFiles(std::move(first));
    controller.addLoadedFiles(std::move(second));
    QTRY_COMPARE(controller.session()->snapshotCount(), 5);
    QTRY_VERIFY(!controller.isBusy());
    QCOMPARE(sessionChanged.size(), 2); // one per batch, not per snapshot
    QCOMPARE(comparisonChanged.size(), 2);
    QCOMPARE(controller.session()->countSeries(controller.session()->types().find(QStringLiteral("__main__.A"))),
             (std::vector<qint64>{1, 2, 3, 4, 5}));
    // Defaults: baseline first, current last.
    QCOMPARE(controller.baseline(), 0);
    QCOMPARE(controller.current(), 4);
    QCOMPARE(controller.comparison()->baseline, 0);
    QCOMPARE(controller.comparison()->current, 4);
}

void TestSessionController::comparisonFollowsTheChosenSnapshots()
{
    SessionController controller;
    std::vector<LoadedFile> files;
    files.push_back(makeFile(QStringLiteral("/tmp/a.lsnap"), {QStringLiteral("x.Y")}, {{10, 20, 40, 80}}));
    controller.addLoadedFiles(std::move(files));
    QTRY_COMPARE(controller.session()->snapshotCount(), 4);
    QTRY_VERIFY(!controller.isBusy());
    QSignalSpy comparisonChanged(&controller, &SessionController::comparisonChanged);
    controller.setComparedSnapshots(1, 2);
    QTRY_COMPARE(comparisonChanged.size(), 1);
    QCOMPARE(controller.comparison()->baseline, 1);
    QCOMPARE(controller.comparison()->current, 2);
    QCOMPARE(controller.comparison()->rows.front().deltaBaseline, 20);
    // Out-of-range choices are ignored.
    controller.setComparedSnapshots(0, 9);
    QCOMPARE(controller.current(), 2);
}

void TestSessionController::staleComparisonIsDropped()
{
    SessionController controller;
    std::vector<LoadedFile> files;
    files.push_back(makeFile(QStringLiteral("/tmp/a.lsnap"), {QStringLiteral("x.Y")}, {{10, 20, 40, 80}}));
    controller.addLoadedFiles(std::move(files));
    QTRY_VERIFY(!controller.isBusy());
    QSignalSpy comparisonChanged(&controller, &SessionController::comparisonChanged);
    controller.setComparedSnapshots(0, 1);
    controller.setComparedSnapshots(0, 2);
    controller.setComparedSnapshots(1, 3);
    QTRY_VERIFY(!controller.isBusy());
    QCoreApplication::processEvents();
    QCOMPARE(controller.comparison()->baseline, 1);
    QCOMPARE(controller.comparison()->current, 3);
    // Superseded requests never published (at most the last one did).
    QCOMPARE(comparisonChanged.size(), 1);
    // A comparison still running when the session is cleared is dropped too.
    controller.setComparedSnapshots(0, 3);
    controller.clear();
    QTRY_VERIFY(!controller.isBusy());
    QCoreApplication::processEvents();
    QCOMPARE(controller.session()->snapshotCount(), 0);
    QVERIFY(controller.comparison()->rows.empty());
}

void TestSessionController::badFileNextToGoodFile()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString good = dir.filePath(QStringLiteral("good.lsnap"));
    QString error;
    QVERIFY2(recordLeakyRun(good, 3, 10, &error), qPrintable(error));
    const QString bad = dir.filePath(QStringLiteral("bad.lsnap"));
    {
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("this is not a SQLite database, just text\n");
    }
    const QString missing = dir.filePath(QStringLiteral("missing.lsnap"));

    SessionController controller;
    QSignalSpy failed(&controller, &SessionController::fileFailed);
    QSignalSpy opened(&controller, &SessionController::fileOpened);
    controller.openFiles({bad, good, missing});
    QTRY_COMPARE(opened.size(), 1);
    QTRY_VERIFY(!controller.isBusy());
    QCOMPARE(failed.size(), 2);
    QVERIFY(failed.at(0).at(1).toString().contains(QStringLiteral("bad.lsnap")));
    QVERIFY(failed.at(1).at(1).toString().contains(QStringLiteral("missing.lsnap")));
    QCOMPARE(controller.session()->snapshotCount(), 3);
    QCOMPARE(controller.files().size(), 1);
    const int leaky = controller.session()->types().find(QStringLiteral("__main__.Leaky"));
    QVERIFY(leaky >= 0);
    QCOMPARE(controller.session()->countSeries(leaky), (std::vector<qint64>{10, 20, 30}));
}

void TestSessionController::sameFileTwiceIsRefused()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("run.lsnap"));
    QString error;
    QVERIFY2(recordLeakyRun(path, 2, 5, &error), qPrintable(error));
    SessionController controller;
    QSignalSpy failed(&controller, &SessionController::fileFailed);
    controller.openFiles({path});
    QTRY_VERIFY(!controller.isBusy());
    QCOMPARE(controller.session()->snapshotCount(), 2);
    controller.openFiles({path});
    QCOMPARE(failed.size(), 1);
    QVERIFY(failed.at(0).at(1).toString().contains(QStringLiteral("already open")));
    QTRY_VERIFY(!controller.isBusy());
    QCOMPARE(controller.session()->snapshotCount(), 2);
}

void TestSessionController::saveSessionAsRoundTrips()
{
    QTemporaryDir dir;
    SessionController controller;
    std::vector<LoadedFile> files;
    files.push_back(makeFile(QStringLiteral("/tmp/a.lsnap"), {QStringLiteral("x.Y"), QStringLiteral("dict")},
                             {{10, 20, 40}, {3, 2, 1}}));
    files.push_back(makeFile(QStringLiteral("/tmp/b.lsnap"), {QStringLiteral("dict"), QStringLiteral("z.W")},
                             {{7, 8}, {1, 1}}, 1700000100000));
    controller.addLoadedFiles(std::move(files));
    QTRY_COMPARE(controller.session()->snapshotCount(), 5);
    QTRY_VERIFY(!controller.isBusy());

    const QString path = dir.filePath(QStringLiteral("saved.lsnap"));
    QSignalSpy saved(&controller, &SessionController::sessionSaved);
    QSignalSpy saveFailed(&controller, &SessionController::saveFailed);
    controller.saveSessionAs(path);
    QTRY_COMPARE(saved.size() + saveFailed.size(), 1);
    QVERIFY2(saveFailed.isEmpty(), qPrintable(saveFailed.isEmpty() ? QString() : saveFailed.at(0).at(1).toString()));

    // Reading the saved file back gives the same session.
    SessionController reopened;
    reopened.openFiles({path});
    QTRY_VERIFY(!reopened.isBusy());
    QCOMPARE(reopened.session()->snapshotCount(), 5);
    for (const QString &name : {QStringLiteral("x.Y"), QStringLiteral("dict"), QStringLiteral("z.W")}) {
        const int a = controller.session()->types().find(name), b = reopened.session()->types().find(name);
        QVERIFY(b >= 0);
        QCOMPARE(reopened.session()->countSeries(b), controller.session()->countSeries(a));
    }
}

void TestSessionController::addSnapshotsMergesALiveBatch()
{
    SessionController controller;
    std::vector<LoadedFile> files;
    files.push_back(makeFile(QStringLiteral("/tmp/a.lsnap"), {QStringLiteral("x.Y")}, {{1, 2}}, 1700000000000, 1000));
    controller.addLoadedFiles(std::move(files));
    QTRY_COMPARE(controller.session()->snapshotCount(), 2);
    // A batch with its own registry, as a live feed delivers it.
    TypeRegistry types;
    const int z = types.intern(QStringLiteral("z.New"));
    const int y = types.intern(QStringLiteral("x.Y"));
    Snapshot s;
    s.info.label = QStringLiteral("live");
    s.info.takenAt = QDateTime::fromMSecsSinceEpoch(1700000005000, Qt::UTC);
    s.info.origin = SnapshotOrigin::Live;
    s.stats = {TypeStat{z, 5, 0}, TypeStat{y, 3, 0}};
    std::sort(s.stats.begin(), s.stats.end(), [](const TypeStat &a, const TypeStat &b) { return a.type < b.type; });
    QSignalSpy sessionChanged(&controller, &SessionController::sessionChanged);
    controller.addSnapshots({s}, types, QStringLiteral("pid 4242"));
    QTRY_COMPARE(sessionChanged.size(), 1);
    const auto session = controller.session();
    QCOMPARE(session->snapshotCount(), 3);
    QCOMPARE(session->countSeries(session->types().find(QStringLiteral("x.Y"))), (std::vector<qint64>{1, 2, 3}));
    QCOMPARE(session->countSeries(session->types().find(QStringLiteral("z.New"))), (std::vector<qint64>{0, 0, 5}));
    QCOMPARE(controller.current(), 2); // follows the newest snapshot
}

void TestSessionController::bundledExampleSessionShowsTheLeak()
{
    const Expected<QString> path = exampleSessionPath();
    QVERIFY2(path.ok(), qPrintable(path.error()));
    SessionController controller;
    QSignalSpy failed(&controller, &SessionController::fileFailed);
    controller.openFiles({path.value()});
    QTRY_VERIFY(!controller.isBusy());
    QVERIFY(failed.isEmpty());
    const auto session = controller.session();
    QVERIFY(session->snapshotCount() >= 10);
    // Small enough to ship in the binary, with the heap graphs of the first
    // and the last snapshot.
    QVERIFY(QFileInfo(path.value()).size() < 1024 * 1024);
    // leaky_cache.py keeps every Session and Request: both are suspects; the
    // bounded LRU's CacheEntry is not.
    const auto comparison = controller.comparison();
    auto verdict = [&](const QString &name) {
        const int t = session->types().find(name);
        for (const GrowthRow &r : comparison->rows)
            if (r.type == t)
                return r.verdict;
        return SuspectVerdict();
    };
    QVERIFY(verdict(QStringLiteral("__main__.Session")).suspect);
    QVERIFY(verdict(QStringLiteral("__main__.Request")).suspect);
    QVERIFY(!verdict(QStringLiteral("__main__.CacheEntry")).suspect);
}

QTEST_MAIN(TestSessionController)
#include "tst_sessioncontroller.moc"
