#pragma once

// Sessions built in code for the GUI tests, and real .lsnap files written by
// the real agent in a real Python process.

#include "core/loadedfile.h"
#include "core/session.h"

#include <QDateTime>
#include <QProcess>
#include <QProcessEnvironment>
#include <QStringList>
#include <QTest>

#include <vector>

namespace leakscope::testdata {

// One snapshot per entry of each series; sizes are count * 56 bytes.
inline LoadedFile makeFile(const QString &path, const QStringList &names, const std::vector<std::vector<qint64>> &series,
                           qint64 startMs = 1700000000000, qint64 stepMs = 10000)
{
    LoadedFile f;
    f.path = path;
    for (const QString &n : names)
        f.types.intern(n);
    const size_t snapshots = series.empty() ? 0 : series.front().size();
    for (size_t i = 0; i < snapshots; ++i) {
        Snapshot s;
        s.info.id = qint64(i) + 1;
        s.info.label = QStringLiteral("s%1").arg(i);
        if (startMs >= 0)
            s.info.takenAt = QDateTime::fromMSecsSinceEpoch(startMs + qint64(i) * stepMs, Qt::UTC);
        s.info.sourceFile = path;
        s.info.rss = 10'000'000 + qint64(i) * 100'000;
        for (int t = 0; t < names.size(); ++t) {
            const qint64 c = series[size_t(t)][i];
            if (c != 0)
                s.stats.push_back(TypeStat{t, c, c * 56});
        }
        f.snapshots.push_back(s);
    }
    return f;
}

// Runs Python code with the agent importable; returns false (with a QTest
// failure message) when the process fails.
inline bool runPython(const QString &code, const QStringList &args = {}, QString *error = nullptr)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("PYTHONPATH"), QStringLiteral(LEAKSCOPE_SOURCE_DIR "/resources/python"));
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(LEAKSCOPE_PYTHON), QStringList{QStringLiteral("-c"), code} + args);
    const bool finished = p.waitForFinished(60000);
    if (!finished)
        p.kill();
    if (!finished || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        if (error)
            *error = QString::fromUtf8(p.readAllStandardError());
        return false;
    }
    return true;
}

// Records `snapshots` snapshots of a process whose __main__.Leaky list grows
// by `step` objects per snapshot, while __main__.Steady stays at 50.
inline bool recordLeakyRun(const QString &path, int snapshots, int step, QString *error = nullptr)
{
    const QString code = QStringLiteral(
        "import sys, leakscope_agent\n"
        "class Leaky: pass\n"
        "class Steady: pass\n"
        "path, n, step = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])\n"
        "steady = [Steady() for _ in range(50)]\n"
        "keep = []\n"
        "for i in range(n):\n"
        "    keep.extend(Leaky() for _ in range(step))\n"
        "    leakscope_agent.snapshot(path, label='step %d' % i)\n");
    return runPython(code, {path, QString::number(snapshots), QString::number(step)}, error);
}

// A real recording for the graph tests (argv[1] = the .lsnap to write):
// a module-level cache of Session objects that only grows: 5 Sessions in the
// first snapshot, 40 in the second (both with heap graphs), then a snapshot
// without a graph.
inline const char *const s_growingCacheProgram = R"PY(
import sys
import leakscope_agent

class Session:
    def __init__(self, i):
        self.user = "user%d" % i
        self.history = [[i, j] for j in range(30)]

_CACHE = {}

def handle(i):
    _CACHE["s%d" % i] = Session(i)

for i in range(5):
    handle(i)
leakscope_agent.snapshot(sys.argv[1], label="warm-up", graph=True)
for i in range(5, 40):
    handle(i)
leakscope_agent.snapshot(sys.argv[1], label="after 40 requests", graph=True)
leakscope_agent.snapshot(sys.argv[1], label="census only")
)PY";

} // namespace leakscope::testdata
