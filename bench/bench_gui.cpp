// Times the GUI's data path on a session of 200 snapshots x 20,000 types and
// prints each figure with its ratio to a baseline measured in the same run
// (std::sort of 20,000 int64 pairs). Also measures how long the event loop
// stalls while the main window (the real one, with every tab and the live
// parts it assembles itself) loads that session in the background.
//
//   bench_gui [--snapshots N] [--types N] [--keep FILE]
#include "core/growth.h"
#include "views/growthfilterproxymodel.h"
#include "views/growthtablemodel.h"
#include "gui/mainwindow.h"
#include "gui/sessioncontroller.h"
#include "lsnap/snapshotreader.h"
#include "lsnap/snapshotwriter.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTest>
#include <QTextStream>
#include <QTimer>
#include <QLineEdit>
#include <QTreeView>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <random>

using namespace leakscope;

namespace {

double timeMs(const std::function<void()> &f, int repeats = 1)
{
    double best = 1e300;
    for (int r = 0; r < repeats; ++r) {
        QElapsedTimer t;
        t.start();
        f();
        best = std::min(best, double(t.nsecsElapsed()) / 1e6);
    }
    return best;
}

double g_baseline = 1.0;

void report(const char *what, double ms)
{
    std::printf("%-44s %10.1f ms  %8.1fx baseline\n", what, ms, ms / g_baseline);
    std::fflush(stdout);
}

LoadedFile makeSession(int snapshots, int types)
{
    LoadedFile f;
    f.path = QStringLiteral("bench.lsnap");
    std::mt19937_64 rng(42);
    for (int t = 0; t < types; ++t) {
        // A mix like a real heap: some builtins, many module.qualname types.
        if (t % 40 == 0)
            f.types.intern(QStringLiteral("builtin_%1").arg(t));
        else
            f.types.intern(QStringLiteral("pkg%1.module%2.Type%3").arg(t % 17).arg(t % 113).arg(t));
    }
    std::vector<qint64> base(static_cast<size_t>(types), 0);
    for (auto &b : base)
        b = qint64(rng() % 5000);
    for (int s = 0; s < snapshots; ++s) {
        Snapshot snap;
        snap.info.id = s + 1;
        snap.info.label = QStringLiteral("snapshot %1").arg(s);
        snap.info.takenAt = QDateTime::fromMSecsSinceEpoch(1700000000000 + qint64(s) * 2000, Qt::UTC);
        snap.info.pid = 4242;
        snap.info.rss = 100'000'000 + qint64(s) * 1'000'000;
        snap.info.sourceFile = f.path;
        snap.stats.reserve(size_t(types));
        for (int t = 0; t < types; ++t) {
            qint64 c = base[size_t(t)];
            if (t % 100 == 0)
                c += qint64(s) * (t % 7 + 1); // steady growth: suspects
            else
                c += qint64(rng() % 50); // churn
            if (c > 0)
                snap.stats.push_back(TypeStat{t, c, c * 64});
        }
        f.snapshots.push_back(std::move(snap));
    }
    return f;
}

} // namespace

int main(int argc, char *argv[])
{
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("LeakscopeBench"));
    QCommandLineParser parser;
    const QCommandLineOption snapshotsOpt(QStringLiteral("snapshots"), QStringLiteral("snapshots"), QStringLiteral("n"), QStringLiteral("200"));
    const QCommandLineOption typesOpt(QStringLiteral("types"), QStringLiteral("types"), QStringLiteral("n"), QStringLiteral("20000"));
    const QCommandLineOption keepOpt(QStringLiteral("keep"), QStringLiteral("keep the .lsnap"), QStringLiteral("file"));
    parser.addOptions({snapshotsOpt, typesOpt, keepOpt});
    parser.addHelpOption();
    parser.process(app);
    const int snapshots = parser.value(snapshotsOpt).toInt();
    const int types = parser.value(typesOpt).toInt();

    // Baseline: std::sort of 20,000 int64 pairs.
    {
        std::mt19937_64 rng(7);
        std::vector<std::pair<qint64, qint64>> pairs(20000);
        for (auto &p : pairs)
            p = {qint64(rng()), qint64(rng())};
        g_baseline = timeMs([&] {
            auto copy = pairs;
            std::sort(copy.begin(), copy.end());
        }, 20);
    }
    std::printf("session: %d snapshots x %d types\n", snapshots, types);
    std::printf("%-44s %10.3f ms\n", "baseline: std::sort of 20,000 int64 pairs", g_baseline);

    LoadedFile file;
    report("build the session in memory", timeMs([&] { file = makeSession(snapshots, types); }));

    QTemporaryDir dir;
    const QString path = parser.isSet(keepOpt) ? parser.value(keepOpt) : dir.filePath(QStringLiteral("bench.lsnap"));
    QFile::remove(path);
    {
        std::vector<const Snapshot *> ptrs;
        for (const Snapshot &s : file.snapshots)
            ptrs.push_back(&s);
        Status st;
        report("SnapshotWriter::writeFile", timeMs([&] { st = SnapshotWriter::writeFile(path, ptrs, file.types); }));
        if (!st) {
            std::printf("write failed: %s\n", qPrintable(st.error()));
            return 1;
        }
        std::printf("%-44s %10.1f MB\n", "file size", double(QFileInfo(path).size()) / 1e6);
    }

    LoadedFile loaded;
    {
        bool ok = false;
        report("SnapshotReader::read", timeMs([&] {
                   auto r = SnapshotReader::read(path);
                   ok = r.ok();
                   if (ok)
                       loaded = r.take();
                   else
                       std::printf("read failed: %s\n", qPrintable(r.error()));
               }));
        if (!ok)
            return 1;
    }

    auto session = std::make_shared<Session>();
    report("Session::addFile (merge)", timeMs([&] { session->addFile(loaded); }));
    report("Session copy (controller works on a copy)", timeMs([&] { Session copy(*session); (void)copy; }));
    auto comparison = std::make_shared<Comparison>();
    report("GrowthAnalysis::compare (first vs last)",
           timeMs([&] { *comparison = GrowthAnalysis::compare(*session, 0, session->snapshotCount() - 1); }));
    {
        int suspects = 0;
        for (const GrowthRow &r : comparison->rows)
            suspects += r.verdict.suspect ? 1 : 0;
        std::printf("%-44s %10d\n", "suspects found", suspects);
    }

    GrowthTableModel model;
    GrowthFilterProxyModel proxy;
    proxy.setSourceModel(&model);
    proxy.sort(GrowthTableModel::DeltaBaselineColumn, Qt::DescendingOrder);
    report("model reset + proxy re-sort (setComparison)", timeMs([&] { model.setComparison(session, comparison); }, 3));
    const struct { int column; const char *name; } columns[] = {
        {GrowthTableModel::TypeColumn, "proxy sort: Type"},
        {GrowthTableModel::CountColumn, "proxy sort: Count"},
        {GrowthTableModel::DeltaPreviousColumn, "proxy sort: delta prev"},
        {GrowthTableModel::DeltaBaselineColumn, "proxy sort: delta baseline"},
        {GrowthTableModel::DeltaPercentColumn, "proxy sort: delta %"},
        {GrowthTableModel::SizeColumn, "proxy sort: Size"},
        {GrowthTableModel::DeltaSizeColumn, "proxy sort: delta size"},
        {GrowthTableModel::TrendColumn, "proxy sort: Trend (slope)"},
        {GrowthTableModel::ReasonColumn, "proxy sort: Reason"},
    };
    double worstSort = 0;
    for (const auto &c : columns) {
        const double ms = timeMs([&] {
            proxy.sort(c.column, Qt::AscendingOrder);
            proxy.sort(c.column, Qt::DescendingOrder);
        }, 3) / 2;
        worstSort = std::max(worstSort, ms);
        report(c.name, ms);
    }
    proxy.sort(GrowthTableModel::DeltaBaselineColumn, Qt::DescendingOrder);
    report("filter: substring \"module7.\"", timeMs([&] {
               proxy.setFilterText(QStringLiteral("module7."));
               proxy.setFilterText(QString());
           }, 3) / 2);
    report("filter: regex /^pkg1[0-6]\\.module\\d+\\.Type\\d*0$",
           timeMs([&] {
               proxy.setFilterText(QStringLiteral("/^pkg1[0-6]\\.module\\d+\\.Type\\d*0$"));
               proxy.setFilterText(QString());
           }, 3) / 2);
    report("filter: hide builtins + changed only", timeMs([&] {
               proxy.setHideBuiltins(true);
               proxy.setChangedOnly(true);
               proxy.setHideBuiltins(false);
               proxy.setChangedOnly(false);
           }, 3) / 2);
    // The CountSeriesRole a sparkline reads per visible row (40 rows on screen).
    report("sparkline data for 40 visible rows", timeMs([&] {
               for (int r = 0; r < 40; ++r)
                   (void)proxy.index(r, GrowthTableModel::TrendColumn).data(GrowthTableModel::CountSeriesRole);
           }, 3));

    // The whole thing through the window: the UI thread must keep turning.
    {
        MainWindow window;
        window.resize(1400, 900);
        window.show();
        QElapsedTimer sinceTick;
        double maxGap = 0;
        int ticks = 0;
        QTimer ticker;
        ticker.setInterval(5);
        QObject::connect(&ticker, &QTimer::timeout, [&] {
            if (sinceTick.isValid())
                maxGap = std::max(maxGap, double(sinceTick.nsecsElapsed()) / 1e6);
            sinceTick.restart();
            ++ticks;
        });
        QElapsedTimer total;
        total.start();
        ticker.start();
        window.openFiles({path});
        if (!QTest::qWaitFor([&] { return window.controller()->session()->snapshotCount() == snapshots
                                          && !window.controller()->isBusy(); },
                             600000))
            std::printf("the window did not finish loading\n");
        const double loadMs = double(total.nsecsElapsed()) / 1e6;
        report("window: open file until table shown", loadMs);
        std::printf("%-44s %10.1f ms  (%d ticks of 5 ms)\n", "window: longest UI stall during the load", maxGap, ticks);

        // Sorting and filtering in the window while it shows the session;
        // each runs on the UI thread, so each is one stall.
        QTreeView *view = window.growthView();
        const double sortMs = timeMs([&] {
            view->sortByColumn(GrowthTableModel::CountColumn, Qt::DescendingOrder);
            QCoreApplication::processEvents();
        });
        report("window: sort by Count incl. relayout", sortMs);
        auto *filter = window.findChild<QLineEdit *>(QStringLiteral("filterEdit"));
        double worstKey = 0;
        for (QChar ch : QStringLiteral("Type1999")) {
            worstKey = std::max(worstKey, timeMs([&] {
                QTest::keyClick(filter, ch.toLatin1());
                QCoreApplication::processEvents();
            }));
        }
        report("window: one keystroke in the filter (worst of 8)", worstKey);
        filter->clear();
        QCoreApplication::processEvents();

        maxGap = 0;
        sinceTick.invalidate();
        const double baselineMs = timeMs([&] {
            window.controller()->setComparedSnapshots(100, snapshots - 1);
            if (!QTest::qWaitFor([&] { return !window.controller()->isBusy(); }, 600000))
                std::printf("the comparison did not finish\n");
        });
        report("window: change the baseline (background)", baselineMs);
        std::printf("%-44s %10.1f ms\n", "window: longest UI stall during that", maxGap);
    }
    return 0;
}
