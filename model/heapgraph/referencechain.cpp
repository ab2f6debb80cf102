#include "heapgraph/referencechain.h"

#include <QCoreApplication>

#include <algorithm>

namespace leakscope {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("leakscope::ReferenceChain", text);
}

Expected<ReferenceChain> fail(const QString &reason)
{
    return Expected<ReferenceChain>::failure(tr("chain to root: ") + reason);
}

// via[] holds the out-edge leading one step closer to the sources, or one of
// these markers (edge indices stay below both, see HeapGraph's limits).
constexpr quint32 s_unvisited = HeapGraph::NoEdge;
constexpr quint32 s_source = HeapGraph::NoEdge - 1;

} // namespace

Expected<ReferenceChain> ReferenceChain::shortestToRoot(const HeapGraph &g, const std::vector<quint32> &sources,
                                                        const TaskControl &control)
{
    const quint32 n = g.nodeCount();
    if (sources.empty())
        return fail(tr("no object to start from"));
    std::vector<quint32> via(n, s_unvisited);
    std::vector<quint32> queue;
    queue.reserve(std::min<size_t>(n, 1024));
    for (quint32 s : sources) {
        if (s >= n)
            return fail(tr("node %1 is not in the graph (%2 nodes)").arg(QString::number(s), QString::number(n)));
        if (via[s] == s_unvisited) {
            via[s] = s_source;
            queue.push_back(s);
        }
    }

    quint32 found = HeapGraph::NoNode;
    quint32 unreferenced = HeapGraph::NoNode;
    for (size_t head = 0; head < queue.size(); ++head) {
        const quint32 v = queue[head];
        if (g.isRoot(v)) {
            found = v;
            break;
        }
        if (unreferenced == HeapGraph::NoNode && g.inDegree(v) == 0)
            unreferenced = v;
        const quint32 end = g.inEnd(v);
        for (quint32 j = g.inBegin(v); j < end; ++j) {
            const quint32 u = g.inSource(j);
            if (via[u] == s_unvisited) {
                via[u] = g.inEdge(j);
                queue.push_back(u);
            }
        }
        if ((head & 0xFFFF) == 0 && control.cancelled())
            return fail(tr("cancelled"));
    }

    ReferenceChain chain;
    if (found == HeapGraph::NoNode) {
        if (unreferenced == HeapGraph::NoNode)
            return fail(tr("no root and no unreferenced object leads to the object; it is kept alive only by "
                           "reference cycles (or from outside the graph)"));
        found = unreferenced;
        chain.end = End::Unreferenced;
    }
    // Follow via[] forward: each stored edge points one step closer to a source.
    chain.steps.push_back({found, HeapGraph::NoEdge});
    quint32 node = found;
    while (via[node] != s_source) {
        const quint32 e = via[node];
        node = g.target(e);
        chain.steps.push_back({node, e});
    }
    return chain;
}

} // namespace leakscope
