// HeapGraphService: the one owner of heap graphs in memory. Graph files are
// written by the real writer (SnapshotWriter + HeapGraphStore::write) and
// read through the real reader (HeapGraphStore::readArrays).
#include "heapgraph/heapgraphrequest.h"
#include "heapgraph/heapgraphservice.h"
#include "lsnap/heapgraphstore.h"
#include "lsnap/snapshotwriter.h"
#include "testutil/heapgraphtestutil.h"

#include "core/jobrunner.h"

#include <QDateTime>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

using namespace leakscope;
using namespace leakscope::test;

namespace {

// A reader that stops inside the real reader until released, so a second
// client asks while the first one is still reading.
struct Gate
{
    std::mutex mutex;
    std::condition_variable cv;
    bool entered = false;
    bool open = false;

    HeapGraphArraysReader wrap(HeapGraphArraysReader inner)
    {
        return [this, inner](const QString &path, qint64 id, const TaskControl &control) {
            {
                std::unique_lock lock(mutex);
                entered = true;
                cv.notify_all();
                cv.wait(lock, [this] { return open; });
            }
            return inner(path, id, control);
        };
    }
    void waitEntered()
    {
        std::unique_lock lock(mutex);
        cv.wait(lock, [this] { return entered; });
    }
    void release()
    {
        std::lock_guard lock(mutex);
        open = true;
        cv.notify_all();
    }
};

} // namespace

class TestHeapGraphService : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void readsOnceForTwoClients();
    void readsOnceForTwoThreadsAtOnce();
    void analysesOnce();
    void freesWhenReleased();
    void replacedFileIsAnotherGraph();
    void cancels();
    void cancelsWhileWaitingForAnotherReader();
    void failureIsNotRemembered();
    void requestHoldsWhatItShows();

private:
    // A file with two snapshots; snapshot 2 has cacheHeap() as its graph.
    QString makeFile();
    QTemporaryDir m_dir;
    int m_files = 0;
};

void TestHeapGraphService::initTestCase()
{
    QVERIFY(m_dir.isValid());
}

QString TestHeapGraphService::makeFile()
{
    const QString path = m_dir.filePath(QStringLiteral("graphs-%1.lsnap").arg(++m_files));
    TypeRegistry types;
    SnapshotWriter writer;
    if (!writer.open(path))
        return QString();
    for (int k = 0; k < 2; ++k) {
        Snapshot s;
        s.info.label = QStringLiteral("s%1").arg(k);
        s.info.takenAt = QDateTime::fromMSecsSinceEpoch(1767225600000LL + 1000 * k, Qt::UTC);
        s.info.pid = 4242;
        s.stats.push_back(TypeStat{types.intern(QStringLiteral("__main__.Session")), 3, 168});
        if (!writer.append(s, types))
            return QString();
    }
    writer.close();
    if (!HeapGraphStore::write(path, 2, cacheHeap().arrays()).ok())
        return QString();
    return path;
}

void TestHeapGraphService::readsOnceForTwoClients()
{
    const QString path = makeFile();
    QVERIFY(!path.isEmpty());
    HeapGraphService service(HeapGraphStore::readArrays);
    const Expected<AnalysedGraphPtr> first = service.get({path, 2}, HeapGraphService::GraphOnly);
    QVERIFY2(first.ok(), qPrintable(first.ok() ? QString() : first.error()));
    QCOMPARE(first.value()->graph->nodeCount(), 10u);
    QCOMPARE(first.value()->graph->instanceCount(first.value()->graph->findType(QStringLiteral("__main__.Session"))), 3ull);
    // Another client, another spelling of the same file.
    const QString other = m_dir.path() + QStringLiteral("/./") + QFileInfo(path).fileName();
    const Expected<AnalysedGraphPtr> second = service.get({other, 2}, HeapGraphService::GraphOnly);
    QVERIFY(second.ok());
    QCOMPARE(second.value()->graph, first.value()->graph);
    QCOMPARE(service.readCount(), 1);
    QCOMPARE(service.graphsInMemory(), 1);
    QCOMPARE(service.find({path, 2})->graph, first.value()->graph);
}

void TestHeapGraphService::readsOnceForTwoThreadsAtOnce()
{
    const QString path = makeFile();
    QVERIFY(!path.isEmpty());
    Gate gate;
    HeapGraphService service(gate.wrap(HeapGraphStore::readArrays));
    AnalysedGraphPtr a, b;
    std::thread first([&] { a = service.get({path, 2}, HeapGraphService::GraphOnly).value(); });
    gate.waitEntered();
    // The first thread is inside the reader: the second must wait for it,
    // not read the file again.
    std::atomic_bool asked{false};
    std::thread second([&] {
        asked = true;
        b = service.get({path, 2}, HeapGraphService::Dominators).value();
    });
    QTRY_VERIFY(asked.load());
    gate.release();
    first.join();
    second.join();
    QVERIFY(a && b);
    QCOMPARE(a->graph, b->graph);
    QVERIFY(b->dominators);
    QCOMPARE(service.readCount(), 1);
}

void TestHeapGraphService::analysesOnce()
{
    const QString path = makeFile();
    QVERIFY(!path.isEmpty());
    HeapGraphService service(HeapGraphStore::readArrays);
    const AnalysedGraphPtr plain = service.get({path, 2}, HeapGraphService::GraphOnly).value();
    QVERIFY(!plain->dominators && !plain->paths && !plain->retained);
    // Retained bytes per type for one client, root paths for another: the
    // dominators behind the first are reused, not recomputed.
    const AnalysedGraphPtr retained = service.get({path, 2}, HeapGraphService::RetainedTypes).value();
    QVERIFY(retained->dominators && retained->retained);
    QCOMPARE(retained->graph, plain->graph);
    const AnalysedGraphPtr both = service.get({path, 2}, HeapGraphService::Dominators | HeapGraphService::RootPaths).value();
    QCOMPARE(both->dominators, retained->dominators);
    QVERIFY(both->paths);
    QCOMPARE(service.readCount(), 1);
    // Real analysis: the _CACHE dict retains the three Sessions and their dicts.
    const HeapGraph &g = *both->graph;
    QCOMPARE(both->dominators->retainedSize(2), quint64(640 + 3 * 56 + 3 * 104));
    QCOMPARE(both->paths->depth(3), 3u);
    QVERIFY(!both->retained); // not asked for: not held
    QCOMPARE(service.get({path, 2}, HeapGraphService::RetainedTypes).value()->retained, retained->retained);
    QVERIFY(g.findType(QStringLiteral("__main__.Session")) >= 0);
    QVERIFY(service.find({path, 2}, HeapGraphService::Everything));
}

void TestHeapGraphService::freesWhenReleased()
{
    const QString path = makeFile();
    QVERIFY(!path.isEmpty());
    HeapGraphService service(HeapGraphStore::readArrays);
    AnalysedGraphPtr a = service.get({path, 2}, HeapGraphService::Dominators).value();
    AnalysedGraphPtr b = service.get({path, 2}, HeapGraphService::GraphOnly).value();
    std::weak_ptr<const HeapGraph> graph = a->graph;
    std::weak_ptr<const DominatorTree> tree = a->dominators;
    QCOMPARE(service.graphsInMemory(), 1);
    a.reset();
    // Still used by the second client.
    QVERIFY(!graph.expired());
    QVERIFY(tree.expired());
    QVERIFY(!service.find({path, 2}, HeapGraphService::Dominators));
    QVERIFY(service.find({path, 2}));
    b.reset();
    QVERIFY(graph.expired());
    QCOMPARE(service.graphsInMemory(), 0);
    QVERIFY(!service.find({path, 2}));
    // Asked again, it is read again.
    QVERIFY(service.get({path, 2}, HeapGraphService::GraphOnly).ok());
    QCOMPARE(service.readCount(), 2);
}

void TestHeapGraphService::replacedFileIsAnotherGraph()
{
    const QString path = makeFile();
    const QString other = makeFile();
    QVERIFY(!path.isEmpty() && !other.isEmpty());
    HeapGraphService service(HeapGraphStore::readArrays);
    const AnalysedGraphPtr before = service.get({path, 2}, HeapGraphService::GraphOnly).value();
    // Save As over the open file: a new inode under the same name.
    QVERIFY(QFile::remove(path));
    QVERIFY(QFile::rename(other, path));
    const AnalysedGraphPtr after = service.get({path, 2}, HeapGraphService::GraphOnly).value();
    QVERIFY(after->graph != before->graph);
    QCOMPARE(service.readCount(), 2);
}

void TestHeapGraphService::cancels()
{
    const QString path = makeFile();
    QVERIFY(!path.isEmpty());
    HeapGraphService service(HeapGraphStore::readArrays);
    std::atomic_bool cancel{true};
    TaskControl control;
    control.cancel = &cancel;
    const Expected<AnalysedGraphPtr> r = service.get({path, 2}, HeapGraphService::Everything, control);
    QVERIFY(!r.ok());
    QCOMPARE(r.error(), QStringLiteral("cancelled"));
    QCOMPARE(service.graphsInMemory(), 0);

    // Cancelled during the analysis (from the progress callback): the graph
    // is not kept, since no client holds it.
    cancel = false;
    control.progress = [&cancel](const char *phase, qint64, qint64) {
        if (qstrcmp(phase, "dominators") == 0)
            cancel = true;
    };
    const Expected<AnalysedGraphPtr> mid = service.get({path, 2}, HeapGraphService::Dominators, control);
    QVERIFY(!mid.ok());
    QCOMPARE(mid.error(), QStringLiteral("cancelled"));
    QCOMPARE(service.graphsInMemory(), 0);
    // Not stuck: the next client reads and analyses it.
    QVERIFY(service.get({path, 2}, HeapGraphService::Dominators).ok());
}

void TestHeapGraphService::cancelsWhileWaitingForAnotherReader()
{
    const QString path = makeFile();
    QVERIFY(!path.isEmpty());
    Gate gate;
    HeapGraphService service(gate.wrap(HeapGraphStore::readArrays));
    AnalysedGraphPtr a;
    std::thread first([&] { a = service.get({path, 2}, HeapGraphService::GraphOnly).value(); });
    gate.waitEntered();
    std::atomic_bool cancel{false};
    TaskControl control;
    control.cancel = &cancel;
    std::atomic_bool done{false};
    QString error;
    std::thread second([&] {
        const Expected<AnalysedGraphPtr> r = service.get({path, 2}, HeapGraphService::GraphOnly, control);
        error = r.ok() ? QString() : r.error();
        done = true;
    });
    cancel = true;
    // The waiter gives up although the reader is still held at the gate.
    QTRY_VERIFY(done.load());
    second.join();
    QCOMPARE(error, QStringLiteral("cancelled"));
    gate.release();
    first.join();
    QVERIFY(a && a->graph);
    QCOMPARE(service.readCount(), 1);
}

void TestHeapGraphService::failureIsNotRemembered()
{
    const QString path = makeFile();
    QVERIFY(!path.isEmpty());
    HeapGraphService service(HeapGraphStore::readArrays);
    // Snapshot 1 has no graph: the reader's error, and nothing stuck.
    const Expected<AnalysedGraphPtr> none = service.get({path, 1}, HeapGraphService::GraphOnly);
    QVERIFY(!none.ok());
    QVERIFY2(none.error().contains(QStringLiteral("snapshot 1")), qPrintable(none.error()));
    QVERIFY(!service.get({path, 1}, HeapGraphService::GraphOnly).ok());
    QCOMPARE(service.readCount(), 2);
    const Expected<AnalysedGraphPtr> missing = service.get({m_dir.filePath(QStringLiteral("missing.lsnap")), 1},
                                                           HeapGraphService::GraphOnly);
    QVERIFY(!missing.ok());
}

void TestHeapGraphService::requestHoldsWhatItShows()
{
    const QString path = makeFile();
    QVERIFY(!path.isEmpty());
    auto service = std::make_shared<HeapGraphService>(HeapGraphStore::readArrays);
    HeapGraphRequest references(service);
    HeapGraphRequest retainers(service);
    QSignalSpy ready(&references, &HeapGraphRequest::ready);
    QSignalSpy started(references.runner(), &JobRunner::started);
    QVERIFY(!references.request({{{path, 2}, HeapGraphService::Dominators | HeapGraphService::RootPaths}}));
    // Asked again while it loads (another type selected): the same job goes on.
    QVERIFY(!references.request({{{path, 2}, HeapGraphService::Dominators | HeapGraphService::RootPaths}}));
    QCOMPARE(started.count(), 1);
    QVERIFY(ready.wait(10000));
    QCOMPARE(ready.count(), 1);
    AnalysedGraphPtr shown = references.result({path, 2});
    QVERIFY(shown && shown->dominators && shown->paths);
    // The second client finds it in memory: no job, no second read.
    QVERIFY(retainers.request({{{path, 2}, HeapGraphService::Dominators}}));
    QCOMPARE(retainers.result({path, 2})->graph, shown->graph);
    QCOMPARE(service->readCount(), 1);
    std::weak_ptr<const HeapGraph> graph = shown->graph;
    // Both let go: the graph is freed.
    references.clear();
    retainers.clear();
    QVERIFY(!graph.expired()); // `shown` still holds it
    shown.reset();
    QVERIFY(graph.expired());
    QCOMPARE(service->graphsInMemory(), 0);

    // Cancelled: no ready, the runner says cancelled.
    QSignalSpy cancelled(references.runner(), &JobRunner::cancelled);
    QVERIFY(!references.request({{{path, 2}, HeapGraphService::Everything}}));
    references.cancel();
    QCOMPARE(cancelled.count(), 1);
    references.runner()->waitForIdle();
    QCoreApplication::processEvents();
    QCOMPARE(ready.count(), 1);
    QVERIFY(!references.result({path, 2}));
}

QTEST_GUILESS_MAIN(TestHeapGraphService)
#include "tst_heapgraphservice.moc"
