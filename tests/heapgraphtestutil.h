#pragma once

// Builds small HeapGraphs for the heap-graph tests from readable edge lists.

#include "heapgraph.h"

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

} // namespace leakscope::test
