// Reference graph layout: Graphviz dot on 100 and 300 nodes, against
// Graphviz merely reading the same graph (DOT text -> cgraph, no layout)
// measured in the same run, plus building and painting the Qt scene.
//
//   bench_graphlayout [runs]

#include "graphlayout/graphlayout.h"
#include "views/referencegraphscene.h"

#include "testutil/graphviewsample.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QImage>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <vector>

using namespace leakscope;

namespace {

double medianMs(int runs, const std::function<bool()> &work)
{
    std::vector<double> times;
    for (int i = 0; i < runs; ++i) {
        QElapsedTimer timer;
        timer.start();
        if (!work()) {
            std::fprintf(stderr, "run failed\n");
            return -1;
        }
        times.push_back(double(timer.nsecsElapsed()) / 1e6);
    }
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
}

} // namespace

int main(int argc, char **argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    const int runs = argc > 1 ? std::max(1, atoi(argv[1])) : 7;

    std::printf("reference graph layout, median of %d runs\n", runs);
    std::printf("%6s %6s %12s %14s %8s %12s %12s %12s\n", "nodes", "edges", "dot ms", "read-only ms", "ratio",
                "svg ms", "scene ms", "paint ms");
    for (int nodes : {100, 300}) {
        ReferenceGraphScene scene;
        const LayoutInput input = scene.prepare(graphviewtest::layeredGraph(nodes));
        const QByteArray dot = GraphLayout::toDot(input);

        const double read = medianMs(runs, [&] { return GraphLayout::readDot(dot).ok(); });
        Expected<LayoutResult> last = LayoutResult();
        const double layout = medianMs(runs, [&] {
            last = GraphLayout::layout(input);
            return last.ok();
        });
        const double svg = medianMs(std::max(1, runs / 2), [&] { return GraphLayout::toSvg(input).ok(); });
        const double build = medianMs(runs, [&] {
            scene.setGraph(input, last.value());
            return scene.nodeCount() == nodes;
        });
        const double paint = medianMs(std::max(1, runs / 2), [&] { return !scene.toImage(1.0).isNull(); });
        std::printf("%6d %6zu %12.1f %14.2f %7.0fx %12.1f %12.2f %12.1f\n", nodes, input.edges.size(), layout, read,
                    read > 0 ? layout / read : 0.0, svg, build, paint);
    }
    std::printf("ratio = dot layout time / time for Graphviz to read the same graph without laying it out\n");
    return 0;
}
