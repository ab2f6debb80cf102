#include "heapgraph/rootpathindex.h"

#include <QCoreApplication>

namespace leakscope {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("leakscope::RootPathIndex", text);
}

} // namespace

Expected<RootPathIndex> RootPathIndex::build(const HeapGraph &g, const TaskControl &control)
{
    const quint32 n = g.nodeCount();
    RootPathIndex index;
    index.m_depth.assign(n, s_unreached);
    index.m_via.assign(n, HeapGraph::NoEdge);
    std::vector<quint32> queue;
    queue.reserve(n);

    // Two rounds: from the flagged roots, then from the objects nothing
    // refers to for whatever the first round left unreached. Depths past
    // 2^31 hops cannot occur below 2^31 nodes, so the top bit is free.
    for (int round = 0; round < 2; ++round) {
        const quint32 bit = round == 0 ? 0 : s_fallbackBit;
        const size_t first = queue.size();
        for (quint32 v = 0; v < n; ++v) {
            const bool start = round == 0 ? g.isRoot(v) : g.inDegree(v) == 0;
            if (start && index.m_depth[v] == s_unreached) {
                index.m_depth[v] = bit;
                queue.push_back(v);
            }
        }
        for (size_t head = first; head < queue.size(); ++head) {
            const quint32 v = queue[head];
            const quint32 next = index.m_depth[v] + 1;
            const quint32 end = g.outEnd(v);
            for (quint32 e = g.outBegin(v); e < end; ++e) {
                const quint32 t = g.target(e);
                if (index.m_depth[t] == s_unreached) {
                    index.m_depth[t] = next;
                    index.m_via[t] = e;
                    queue.push_back(t);
                }
            }
            if ((head & 0xFFFF) == 0) {
                if (control.cancelled())
                    return Expected<RootPathIndex>::failure(tr("paths to roots: cancelled"));
                control.report("paths to roots", qint64(head), qint64(n));
            }
        }
    }
    control.report("paths to roots", n, n);
    return index;
}

Expected<ReferenceChain> RootPathIndex::chain(const HeapGraph &g, const std::vector<quint32> &sources) const
{
    auto fail = [](const QString &reason) {
        return Expected<ReferenceChain>::failure(tr("chain to root: ") + reason);
    };
    if (sources.empty())
        return fail(tr("no object to start from"));
    quint32 best = HeapGraph::NoNode;
    for (quint32 s : sources) {
        if (s >= g.nodeCount() || s >= m_depth.size())
            return fail(tr("node %1 is not in the graph (%2 nodes)").arg(QString::number(s),
                                                                         QString::number(g.nodeCount())));
        // The fallback bit makes every root-reached depth smaller.
        if (hasPath(s) && (best == HeapGraph::NoNode || m_depth[s] < m_depth[best]))
            best = s;
    }
    if (best == HeapGraph::NoNode)
        return fail(tr("no root and no unreferenced object leads to the object; it is kept alive only by "
                       "reference cycles (or from outside the graph)"));
    ReferenceChain chain;
    chain.end = reachesRoot(best) ? ReferenceChain::End::Root : ReferenceChain::End::Unreferenced;
    chain.steps.resize(size_t(depth(best)) + 1);
    quint32 node = best;
    for (size_t i = chain.steps.size(); i-- > 0;) {
        const quint32 e = m_via[node];
        chain.steps[i] = {node, i == 0 ? HeapGraph::NoEdge : e};
        if (i > 0) {
            // The path parent is the source of edge e. A node's in-edges are
            // sorted by source and so by out-edge index too (CSR), so a
            // binary search over them finds it even under huge fan-in.
            quint32 lo = g.inBegin(node);
            quint32 hi = g.inEnd(node);
            while (lo < hi) {
                const quint32 mid = lo + (hi - lo) / 2;
                if (g.inEdge(mid) < e)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            if (lo == g.inEnd(node) || g.inEdge(lo) != e)
                return fail(tr("index does not match the graph"));
            node = g.inSource(lo);
        }
    }
    return chain;
}

quint64 RootPathIndex::memoryBytes() const
{
    return quint64(m_depth.capacity() + m_via.capacity()) * sizeof(quint32);
}

} // namespace leakscope
