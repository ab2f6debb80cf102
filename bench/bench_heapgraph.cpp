// Heap graph benchmark: a synthetic heap-like graph (modules, classes, a
// tree of containers with cross links, cycles and instance->class edges,
// ~2.5 edges per node) at 100k, 1M and optionally 3M nodes. Times loading
// (decode BLOBs, validate, in-edges), back-reference and chain queries and
// the dominator tree, and prints each against a baseline measured in the
// same run: one sequential pass over the edge arrays.
//
// Usage: bench_heapgraph [nodes...]   (default: 100000 1000000)

#include "heapgraph/dominatortree.h"
#include "heapgraph/heapgraph.h"
#include "core/packedarray.h"
#include "heapgraph/referencechain.h"
#include "heapgraph/referencesubgraph.h"
#include "heapgraph/rootpathindex.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>

#include <cstdio>
#include <ctime>
#include <random>

using namespace leakscope;

namespace {

enum Type { Module, Class, Dict, List, Tuple, Function, Instance, TypeCount };

struct Generated
{
    HeapGraphArrays arrays;
    quint32 classes = 0;
};

Generated generate(quint32 n, quint32 seed)
{
    std::mt19937 rng(seed);
    const quint32 modules = std::max<quint32>(50, n / 5000);
    const quint32 classes = std::max<quint32>(100, n / 2000);
    std::vector<std::pair<quint32, quint32>> edges;
    edges.reserve(size_t(n) * 5 / 2 + n / 8);
    std::vector<qint32> types(n);
    std::vector<quint64> sizes(n);
    std::vector<quint8> flags(n, 0);
    for (quint32 i = 0; i < n; ++i) {
        if (i < modules) {
            types[i] = Module;
            flags[i] = HeapGraph::ModuleRoot;
        } else if (i < modules + classes) {
            types[i] = Class;
            flags[i] = HeapGraph::ClassRoot;
        } else {
            types[i] = qint32(Dict + rng() % (TypeCount - Dict));
        }
        sizes[i] = 48 + rng() % 400;
    }
    // Module dicts, then clusters of 1-40 objects (an instance with its
    // dict, lists, tuples...): each cluster hangs off a module dict or an
    // object in a recent cluster, and is a tree inside. Instances (and some
    // others) point to their class.
    const quint32 first = modules + classes;
    const quint32 firstCluster = first + modules;
    std::vector<quint32> clusterOf(n, 0);
    for (quint32 v = first; v < firstCluster && v < n; ++v)
        edges.emplace_back(v - first, v); // module -> its dict
    for (quint32 start = firstCluster; start < n;) {
        const quint32 end = std::min<quint32>(n, start + 1 + rng() % 40);
        quint32 parent;
        if (start == firstCluster || rng() % 10 == 0)
            parent = first + rng() % modules;
        else
            parent = start - 1 - rng() % std::min<quint32>(start - firstCluster, 3000);
        edges.emplace_back(parent, start);
        for (quint32 v = start; v < end; ++v) {
            clusterOf[v] = start;
            if (v > start)
                edges.emplace_back(start + rng() % (v - start), v);
            if (types[v] == Instance || rng() % 4 == 0)
                edges.emplace_back(v, modules + rng() % classes);
        }
        start = end;
    }
    // Cross links: mostly inside the cluster (back references make cycles),
    // some to recent objects elsewhere (shared), a few anywhere.
    const quint64 target = quint64(n) * 5 / 2;
    while (edges.size() < target && n > firstCluster) {
        const quint32 from = firstCluster + rng() % (n - firstCluster);
        const quint32 r = rng() % 100;
        const quint32 c = clusterOf[from];
        quint32 to;
        quint32 clusterEnd = from + 1;
        while (clusterEnd < n && clusterOf[clusterEnd] == c)
            ++clusterEnd;
        if (r < 80)
            to = c + rng() % (clusterEnd - c);
        else if (r < 95)
            to = from - rng() % std::min<quint32>(from - firstCluster + 1, 3000);
        else
            to = firstCluster + rng() % (n - firstCluster);
        edges.emplace_back(from, to);
    }

    Generated g;
    HeapGraphArrays &a = g.arrays;
    g.classes = classes;
    a.typeNames = {QStringLiteral("module"), QStringLiteral("type"), QStringLiteral("dict"),
                   QStringLiteral("list"), QStringLiteral("tuple"), QStringLiteral("function"),
                   QStringLiteral("app.Session")};
    a.ids.resize(n);
    for (quint32 i = 0; i < n; ++i) // unique, scrambled, address-like
        a.ids[i] = 0x7f0000000000ull + (quint64(i * 0x9E3779B1u) << 4);
    a.types = std::move(types);
    a.sizes = std::move(sizes);
    a.flags = std::move(flags);
    a.edgeOffsets.assign(size_t(n) + 1, 0);
    for (const auto &e : edges)
        ++a.edgeOffsets[e.first + 1];
    for (quint32 i = 0; i < n; ++i)
        a.edgeOffsets[i + 1] += a.edgeOffsets[i];
    std::vector<quint64> cursor(a.edgeOffsets.begin(), a.edgeOffsets.end() - 1);
    a.edgeTargets.resize(edges.size());
    for (const auto &e : edges)
        a.edgeTargets[cursor[e.first]++] = e.second;
    // Half of the edges carry one of a few thousand attribute/key/index names;
    // modules, classes and functions carry their names.
    for (int s = 0; s < 4000; ++s)
        a.strings.push_back(QStringLiteral("attr_%1").arg(s));
    a.edgeLabels.resize(edges.size());
    for (auto &l : a.edgeLabels)
        l = rng() % 2 ? qint32(rng() % 4000) : -1;
    a.nodeLabels.assign(n, -1);
    for (quint32 i = 0; i < n; ++i) {
        if (a.types[i] == Module || a.types[i] == Class || a.types[i] == Function) {
            a.nodeLabels[i] = qint32(a.strings.size());
            a.strings.push_back(QStringLiteral("name_%1").arg(i));
        }
    }
    return g;
}

struct Blobs
{
    QByteArray ids, types, sizes, flags, nodeLabels, offsets, targets, edgeLabels;
    std::vector<QString> strings, typeNames;
    quint64 bytes() const
    {
        return quint64(ids.size() + types.size() + sizes.size() + flags.size() + nodeLabels.size() + offsets.size()
                       + targets.size() + edgeLabels.size());
    }
};

Blobs encode(const HeapGraphArrays &a)
{
    Blobs b;
    b.ids = PackedArray::encode(a.ids);
    b.types = PackedArray::encode(a.types);
    std::vector<quint32> sizes32(a.sizes.begin(), a.sizes.end()); // as a file would store them
    b.sizes = PackedArray::encode(sizes32);
    b.flags = PackedArray::encode(a.flags);
    b.nodeLabels = PackedArray::encode(a.nodeLabels);
    b.offsets = PackedArray::encode(std::vector<quint32>(a.edgeOffsets.begin(), a.edgeOffsets.end()));
    b.targets = PackedArray::encode(a.edgeTargets);
    b.edgeLabels = PackedArray::encode(a.edgeLabels);
    b.strings = a.strings;
    b.typeNames = a.typeNames;
    return b;
}

HeapGraphArrays decode(const Blobs &b, qint64 n)
{
    HeapGraphArrays a;
    a.ids = PackedArray::decode<quint64>(b.ids, QStringLiteral("ids"), n).take();
    a.types = PackedArray::decode<qint32>(b.types, QStringLiteral("types"), n).take();
    const auto sizes = PackedArray::decode<quint32>(b.sizes, QStringLiteral("sizes"), n).take();
    a.sizes.assign(sizes.begin(), sizes.end());
    a.flags = PackedArray::decode<quint8>(b.flags, QStringLiteral("flags"), n).take();
    a.nodeLabels = PackedArray::decode<qint32>(b.nodeLabels, QStringLiteral("node_labels"), n).take();
    a.edgeOffsets = PackedArray::decodeOffsets(b.offsets, QStringLiteral("edge_offsets"), quint64(n) + 1).take();
    a.edgeTargets = PackedArray::decode<quint32>(b.targets, QStringLiteral("edge_targets")).take();
    a.edgeLabels = PackedArray::decode<qint32>(b.edgeLabels, QStringLiteral("edge_labels"),
                                               qint64(a.edgeTargets.size())).take();
    a.strings = b.strings;
    a.typeNames = b.typeNames;
    return a;
}

qint64 rssKb(const char *field)
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray key = QByteArray(field) + ':';
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (line.startsWith(key))
            return line.mid(key.size()).trimmed().split(' ').value(0).toLongLong();
    }
    return -1;
}

double ms(const QElapsedTimer &t) { return double(t.nsecsElapsed()) / 1e6; }

// CPU time of this thread: other builds share the two cores, so wall time
// alone can mislead.
double cpuMs()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}

struct Timer
{
    QElapsedTimer wall;
    double cpu0 = 0;
    Timer() { restart(); }
    void restart()
    {
        wall.restart();
        cpu0 = cpuMs();
    }
    double wallMs() const { return ms(wall); }
    double cpuMsElapsed() const { return cpuMs() - cpu0; }
};

void run(quint32 n)
{
    std::printf("\n=== %u nodes ===\n", n);
    Timer t;
    Generated gen = generate(n, 42);
    const quint64 m = gen.arrays.edgeTargets.size();
    std::printf("generated: %llu edges (%.2f per node) in %.0f ms (not timed below)\n", (unsigned long long)m,
                double(m) / n, t.wallMs());

    // Baseline: touch the edge arrays once (sum of targets per node).
    t.restart();
    quint64 checksum = 0;
    {
        const auto &off = gen.arrays.edgeOffsets;
        const auto &tg = gen.arrays.edgeTargets;
        for (quint32 v = 0; v < n; ++v) {
            for (quint64 e = off[v]; e < off[v + 1]; ++e)
                checksum += tg[e] ^ v;
        }
    }
    const double baseline = t.cpuMsElapsed();
    std::printf("baseline, one pass over offsets+targets: %.2f ms cpu (%.2f wall)  [checksum %llu]\n", baseline,
                t.wallMs(), (unsigned long long)(checksum % 1000));
    std::printf("(all figures: thread cpu ms, wall ms in brackets, then the ratio of cpu to the baseline)\n");

    const Blobs blobs = encode(gen.arrays);
    gen.arrays = {};
    const qint64 rssBefore = rssKb("VmRSS");

    t.restart();
    HeapGraphArrays arrays = decode(blobs, n);
    const double decodeMs = t.cpuMsElapsed();
    Timer phase;
    double validateMs = 0, idIndexMs = 0;
    TaskControl control;
    control.progress = [&](const char *name, qint64, qint64) {
        if (qstrcmp(name, "validate") == 0)
            validateMs = phase.cpuMsElapsed();
        else if (qstrcmp(name, "id index") == 0)
            idIndexMs = phase.cpuMsElapsed();
    };
    t.restart();
    phase.restart();
    auto built = HeapGraph::fromArrays(std::move(arrays), QStringLiteral("bench"), control);
    const double buildMs = t.cpuMsElapsed();
    const double buildWall = t.wallMs();
    if (!built.ok()) {
        std::printf("load failed: %s\n", qPrintable(built.error()));
        return;
    }
    const HeapGraph &g = built.value();
    const qint64 rssGraph = rssKb("VmRSS");
    const double loadMs = decodeMs + buildMs;
    std::printf("file blobs: %.1f bytes/node (%llu bytes; label strings not counted)\n", double(blobs.bytes()) / n,
                (unsigned long long)blobs.bytes());
    std::printf("load: decode blobs %.1f + fromArrays %.1f [%.1f wall] (validate %.1f, id index %.1f, in-edges %.1f)"
                " = %.1f ms = %.1fx baseline   [target: load + in-edges < 1000 ms at 1M]\n",
                decodeMs, buildMs, buildWall, validateMs, idIndexMs - validateMs, buildMs - idIndexMs, loadMs,
                loadMs / baseline);
    const double edgesPerNode = double(g.edgeCount()) / n;
    std::printf("graph memory: arrays %.1f bytes/node + label strings %.1f bytes/node = %.1f "
                "(%.2f edges/node; budget 64 + 8 x %.2f = %.1f), RSS +%.1f bytes/node\n",
                double(g.arrayBytes()) / n, double(g.memoryBytes() - g.arrayBytes()) / n,
                double(g.memoryBytes()) / n, edgesPerNode, edgesPerNode, 64 + 8 * edgesPerNode,
                double(rssGraph - rssBefore) * 1024.0 / n);

    // Targets deep in the heap: the first instances in the last quarter.
    std::vector<quint32> sample;
    for (quint32 v = n - n / 4; v < n && sample.size() < 3; ++v) {
        if (g.type(v) == Instance)
            sample.push_back(v);
    }
    t.restart();
    const ReferenceSubgraph sub = ReferenceSubgraph::build(g, sample);
    double c = t.cpuMsElapsed();
    std::printf("backrefs (3 instances, depth 4, 200 nodes, fan-in 10): %.3f [%.3f] ms = %.4fx baseline, "
                "%d nodes, %zu edges   [target < 50 ms]\n",
                c, t.wallMs(), c / baseline, sub.nodeCount(), sub.edges().size());
    const quint32 someClass = quint32(std::max<quint32>(50, n / 5000)) + 3;
    t.restart();
    const ReferenceSubgraph classSub = ReferenceSubgraph::build(g, {someClass});
    c = t.cpuMsElapsed();
    std::printf("backrefs of a class object with %u referrers (roots stop): %.3f [%.3f] ms, %d nodes\n",
                g.inDegree(someClass), c, t.wallMs(), classSub.nodeCount());
    // Its referrers with the class made a plain target: fan-in collapses.
    const quint32 bigFanIn = someClass;
    t.restart();
    ReferenceSubgraph fan;
    {
        BackrefOptions o;
        fan = ReferenceSubgraph::build(g, {g.inSource(g.inBegin(bigFanIn))}, o);
    }
    c = t.cpuMsElapsed();
    std::printf("backrefs of one instance of that class: %.3f [%.3f] ms, %d nodes\n", c, t.wallMs(),
                fan.nodeCount());

    t.restart();
    auto chain = ReferenceChain::shortestToRoot(g, {sample.empty() ? n - 1 : sample.back()});
    c = t.cpuMsElapsed();
    std::printf("chain (one instance): %.3f [%.3f] ms = %.4fx baseline, %zu steps   [target < 50 ms]\n", c,
                t.wallMs(), c / baseline, chain.ok() ? chain.value().steps.size() : 0);
    t.restart();
    const std::vector<quint32> all = g.nodesOfType(Instance);
    auto typeChain = ReferenceChain::shortestToRoot(g, all);
    c = t.cpuMsElapsed();
    std::printf("chain (all %zu instances of a type, multi-source, incl. finding them): %.3f [%.3f] ms, %zu steps\n",
                all.size(), c, t.wallMs(), typeChain.ok() ? typeChain.value().steps.size() : 0);

    // Upper bound for any chain query: a reverse breadth-first search that
    // reaches every node (what a chain from an object no root leads to costs).
    t.restart();
    {
        std::vector<quint32> seen(n, 0), queue;
        queue.reserve(n);
        for (quint32 v = 0; v < n; ++v) {
            if (seen[v])
                continue;
            seen[v] = 1;
            queue.push_back(v);
            for (size_t head = queue.size() - 1; head < queue.size(); ++head) {
                const quint32 x = queue[head];
                for (quint32 j = g.inBegin(x); j < g.inEnd(x); ++j) {
                    const quint32 u = g.inSource(j);
                    if (!seen[u]) {
                        seen[u] = 1;
                        queue.push_back(u);
                    }
                }
            }
        }
    }
    c = t.cpuMsElapsed();
    std::printf("reverse BFS over the whole graph (worst case of a chain query): %.2f [%.2f] ms = %.1fx baseline\n",
                c, t.wallMs(), c / baseline);

    t.restart();
    auto paths = RootPathIndex::build(g);
    c = t.cpuMsElapsed();
    std::printf("root path index (all shortest chains at once): %.1f [%.1f] ms = %.1fx baseline, %.1f bytes/node\n", c,
                t.wallMs(), c / baseline, double(paths.value().memoryBytes()) / n);
    t.restart();
    int indexed = 0;
    for (quint32 v = n - 1; v > n - 1001; --v)
        indexed += paths.value().chain(g, {v}).ok() ? 1 : 0;
    c = t.cpuMsElapsed();
    std::printf("  then 1000 chain queries from it: %.3f ms in all (%d found)\n", c, indexed);

    const qint64 rssBeforeDom = rssKb("VmRSS");
    t.restart();
    auto dom = DominatorTree::compute(g);
    c = t.cpuMsElapsed();
    if (!dom.ok()) {
        std::printf("dominators failed: %s\n", qPrintable(dom.error()));
        return;
    }
    std::printf("dominators + retained (per object and per type): %.1f [%.1f] ms = %.1fx baseline"
                "   [target < 1000 ms at 1M]\n",
                c, t.wallMs(), c / baseline);
    t.restart();
    const std::vector<quint32> top = dom.value().topRetainers(g, 10);
    c = t.cpuMsElapsed();
    std::printf("top 10 retainers: %.1f ms; the largest keeps %.2f%% of %llu bytes; %u objects attached as "
                "unreachable\n",
                c, top.empty() ? 0.0 : 100.0 * double(dom.value().retainedSize(top[0])) / double(dom.value().totalSize()),
                (unsigned long long)dom.value().totalSize(), dom.value().unreachableCount());
    std::printf("dominator result: %.1f bytes/node, RSS +%.1f bytes/node after the run (scratch freed)\n",
                double(dom.value().memoryBytes()) / n, double(rssKb("VmRSS") - rssBeforeDom) * 1024.0 / n);
    std::printf("peak RSS of this process so far: %lld MB\n", (long long)(rssKb("VmHWM") / 1024));
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    std::vector<quint32> sizes;
    for (int i = 1; i < argc; ++i)
        sizes.push_back(quint32(QByteArray(argv[i]).toULong()));
    if (sizes.empty())
        sizes = {100000, 1000000};
    for (quint32 n : sizes) {
        if (n >= 1000)
            run(n);
    }
    return 0;
}
