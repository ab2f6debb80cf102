// What the Retained columns cost: the background job (read the heap graph,
// dominator tree, per-type sums) against reading the graph alone, the longest
// stall of the UI thread's event loop while the job runs, and the UI-thread
// work when the sizes arrive or come from the cache. Real heaps the agent
// dumped: a module-level _CACHE of N/2 then N Session objects.
//
//   bench_retained [N]   (default 200000; records with python3)
//
// 2026-11-25, 2 cores, load ~1.5: N=200000 (412k nodes, 623k edges): read
// 144 ms, dominators + sums 25 ms; open shows counts after 66 ms and retained
// after 256 ms (1.3x one read: two graphs), longest UI stall 1.3 ms; switching
// back 0.1 ms. N=500000 (1.01M nodes, 1.52M edges): read 308 ms, dominators +
// sums 59 ms, counts 130 ms, retained 628 ms, longest UI stall 1.0 ms.
#include "core/growth.h"
#include "lsnap/heapgraphstore.h"
#include "core/jobrunner.h"
#include "heapgraph/retainedbytype.h"
#include "gui/sessioncontroller.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QProcess>
#include <QProcessEnvironment>
#include <QTemporaryDir>
#include <QTextStream>
#include <QTimer>

#include <algorithm>
#include <functional>

using namespace leakscope;

namespace {

double ms(qint64 ns)
{
    return double(ns) / 1e6;
}

bool record(const QString &path, int n)
{
    const QString code = QStringLiteral(
        "import sys, leakscope_agent\n"
        "class Session:\n"
        "    def __init__(self, i):\n"
        "        self.user = 'u%d' % i\n"
        "        self.items = [i]\n"
        "_CACHE = {}\n"
        "n = int(sys.argv[2])\n"
        "for i in range(n // 2):\n"
        "    _CACHE[i] = Session(i)\n"
        "leakscope_agent.snapshot(sys.argv[1], graph=True)\n"
        "for i in range(n // 2, n):\n"
        "    _CACHE[i] = Session(i)\n"
        "leakscope_agent.snapshot(sys.argv[1], graph=True)\n");
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("PYTHONPATH"), QStringLiteral(LEAKSCOPE_SOURCE_DIR "/resources/python"));
    p.setProcessEnvironment(env);
    p.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    p.start(QStringLiteral("python3"), {QStringLiteral("-c"), code, path, QString::number(n)});
    return p.waitForFinished(600000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
}

// Runs the event loop until `done`, with a 1 ms timer measuring the longest
// gap between its ticks (how long the UI thread was not responsive).
qint64 runUntil(const std::function<bool()> &done, qint64 *longestGapNs)
{
    QElapsedTimer total, sinceTick;
    total.start();
    sinceTick.start();
    qint64 gap = 0;
    QTimer tick;
    tick.setInterval(1);
    QObject::connect(&tick, &QTimer::timeout, [&] { gap = std::max(gap, sinceTick.nsecsElapsed()); sinceTick.restart(); });
    tick.start();
    while (!done() && total.elapsed() < 600000)
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 5);
    if (longestGapNs)
        *longestGapNs = gap;
    return total.nsecsElapsed();
}

bool filled(const SessionController &c, int current)
{
    const auto comparison = c.comparison();
    return comparison && comparison->current == current && !c.isBusy() && !comparison->rows.empty()
           && std::any_of(comparison->rows.begin(), comparison->rows.end(),
                          [](const GrowthRow &r) { return r.retained >= 0; });
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QTextStream out(stdout);
    const int n = argc > 1 ? QString::fromLocal8Bit(argv[1]).toInt() : 200000;
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("bench.lsnap"));
    if (!record(path, n)) {
        out << "recording failed\n";
        return 1;
    }

    QElapsedTimer t;
    t.start();
    Expected<HeapGraph> graph = HeapGraph::read(HeapGraphStore::readArrays, path, 2);
    const qint64 readNs = t.nsecsElapsed();
    if (!graph) {
        out << graph.error() << '\n';
        return 1;
    }
    t.restart();
    Expected<RetainedByType> retained = RetainedByType::compute(graph.value());
    const qint64 retainedNs = t.nsecsElapsed();
    out << QStringLiteral("heap graph of snapshot 2: %1 nodes, %2 edges\n").arg(graph.value().nodeCount()).arg(graph.value().edgeCount());
    out << QStringLiteral("read graph                      %1 ms\n").arg(ms(readNs), 0, 'f', 1);
    out << QStringLiteral("dominators + per-type sums      %1 ms (%2x the read)\n")
               .arg(ms(retainedNs), 0, 'f', 1)
               .arg(double(retainedNs) / double(readNs), 0, 'f', 2);
    graph = Expected<HeapGraph>::failure(QString()); // free it before the controller runs

    // Opening compares the last snapshot against the first: the counts are
    // published first, then both graphs are read and analysed in one job.
    SessionController controller;
    qint64 countsNs = -1;
    QElapsedTimer open;
    QObject::connect(&controller, &SessionController::comparisonChanged, [&] {
        if (countsNs < 0)
            countsNs = open.nsecsElapsed();
    });
    qint64 gap = 0;
    open.start();
    controller.openFiles({path});
    const qint64 jobNs = runUntil([&] { return filled(controller, 1); }, &gap);
    out << QStringLiteral("open: counts shown after         %1 ms\n").arg(ms(countsNs), 0, 'f', 1);
    out << QStringLiteral("open: retained rows filled after %1 ms (%2x one graph read)\n")
               .arg(ms(jobNs), 0, 'f', 1)
               .arg(double(jobNs - countsNs) / double(readNs), 0, 'f', 2);
    out << QStringLiteral("longest UI-thread stall meanwhile %1 ms\n").arg(ms(gap), 0, 'f', 1);

    // What the UI thread does when sizes arrive: copy the rows and fill them.
    const auto b = controller.cachedRetained(controller.session()->snapshot(0).info.sourceFile, 1);
    const auto c = controller.cachedRetained(controller.session()->snapshot(1).info.sourceFile, 2);
    t.restart();
    Comparison copy = *controller.comparison();
    RetainedByType::fill(copy, controller.session()->types(), b.get(), c.get());
    out << QStringLiteral("fill %1 rows on the UI thread    %2 ms\n").arg(copy.rows.size()).arg(ms(t.nsecsElapsed()), 0, 'f', 2);

    // Switching away and back: served from the cache, no job.
    controller.setComparedSnapshots(1, 1);
    runUntil([&] { return filled(controller, 1) && controller.comparison()->baseline == 1; }, nullptr);
    controller.setComparedSnapshots(0, 1);
    const qint64 backNs = runUntil([&] { return filled(controller, 1) && controller.comparison()->baseline == 0; }, &gap);
    out << QStringLiteral("switch back to 0 -> 1 (cached)  %1 ms (%2x the first time)\n")
               .arg(ms(backNs), 0, 'f', 1)
               .arg(double(backNs) / double(jobNs), 0, 'g', 2);
    return 0;
}
