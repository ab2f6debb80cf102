#pragma once

// Builds small HeapGraphs for the heap-graph tests from readable edge lists.

#include "heapgraph/heapgraph.h"

#include <QString>

#include <tuple>
#include <vector>

namespace leakscope::test {

struct GraphSpec
{
    struct E
    {
        quint32 from;
        quint32 to;
        QString label;
    };
    quint32 nodes = 0;
    std::vector<E> edges;
    std::vector<qint32> types;          // per node; empty = all type 0
    std::vector<QString> typeNames = {QStringLiteral("object")};
    std::vector<quint64> sizes;         // per node; empty = all 1
    std::vector<std::pair<quint32, quint8>> flags; // node, HeapGraph::NodeFlag
    std::vector<std::pair<quint32, QString>> labels;

    void edge(quint32 from, quint32 to, const QString &label = QString()) { edges.push_back({from, to, label}); }

    // CSR arrays, edges grouped by source in the order given.
    HeapGraphArrays arrays() const
    {
        HeapGraphArrays a;
        a.ids.resize(nodes);
        for (quint32 i = 0; i < nodes; ++i)
            a.ids[i] = 0x7f0000001000ull + quint64(i) * 48; // address-like, unique
        a.types = types.empty() ? std::vector<qint32>(nodes, 0) : types;
        a.sizes = sizes.empty() ? std::vector<quint64>(nodes, 1) : sizes;
        a.typeNames = typeNames;
        a.edgeOffsets.assign(size_t(nodes) + 1, 0);
        for (const E &e : edges)
            ++a.edgeOffsets[e.from + 1];
        for (quint32 i = 0; i < nodes; ++i)
            a.edgeOffsets[i + 1] += a.edgeOffsets[i];
        std::vector<quint64> cursor(a.edgeOffsets.begin(), a.edgeOffsets.end() - 1);
        a.edgeTargets.resize(edges.size());
        std::vector<QString> edgeText(edges.size());
        for (const E &e : edges) {
            const quint64 pos = cursor[e.from]++;
            a.edgeTargets[pos] = e.to;
            edgeText[pos] = e.label;
        }
        for (size_t i = 0; i < edgeText.size(); ++i) {
            if (!edgeText[i].isEmpty())
                a.addEdgeLabel(i, edgeText[i]);
        }
        for (const auto &[node, flag] : flags)
            a.addFlags({node}, flag);
        for (const auto &[node, text] : labels)
            a.addNodeLabel(node, text);
        return a;
    }
};

// module __main__ (72) -> dict (1176) -> ['_CACHE'] dict (640) -> three
// Sessions (56) -> their __dict__ (104); the class is a root of its own.
inline GraphSpec cacheHeap()
{
    GraphSpec g;
    g.typeNames = {QStringLiteral("module"), QStringLiteral("dict"), QStringLiteral("__main__.Session"),
                   QStringLiteral("type")};
    g.nodes = 10;
    g.types = {0, 1, 1, 2, 2, 2, 1, 1, 1, 3};
    g.sizes = {72, 1176, 640, 56, 56, 56, 104, 104, 104, 1064};
    g.flags = {{0, HeapGraph::ModuleRoot}, {9, HeapGraph::ClassRoot}};
    g.labels = {{0, QStringLiteral("module __main__")}, {2, QStringLiteral("dict (3 items)")},
                {3, QStringLiteral("<Session s0>")}, {4, QStringLiteral("<Session s1>")},
                {5, QStringLiteral("<Session s2>")}, {9, QStringLiteral("class __main__.Session")}};
    g.edge(0, 1, QStringLiteral("__dict__"));
    g.edge(1, 2, QStringLiteral("['_CACHE']"));
    g.edge(1, 9, QStringLiteral("['Session']"));
    for (quint32 i = 0; i < 3; ++i) {
        g.edge(2, 3 + i, QStringLiteral("['s%1']").arg(i));
        g.edge(3 + i, 6 + i, QStringLiteral("__dict__"));
        g.edge(3 + i, 9, QStringLiteral("__class__"));
    }
    return g;
}

} // namespace leakscope::test
