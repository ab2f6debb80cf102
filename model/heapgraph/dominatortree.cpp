#include "heapgraph/dominatortree.h"

#include <QCoreApplication>

#include <algorithm>

namespace leakscope {

namespace {

constexpr quint32 s_none = HeapGraph::NoNode;

Expected<DominatorTree> cancelled()
{
    return Expected<DominatorTree>::failure(
        QCoreApplication::translate("leakscope::DominatorTree", "dominator tree: cancelled"));
}

} // namespace

Expected<DominatorTree> DominatorTree::compute(const HeapGraph &g, const TaskControl &control)
{
    const quint32 n = g.nodeCount();
    const quint32 total = n + 1; // preorder 0 is the virtual root
    const quint32 step = std::max<quint32>(n / 32, 8192);

    // Everything below works on DFS preorder numbers: dfn maps a node to its
    // number, vertex maps back (vertex[0] is the virtual root, n).
    std::vector<quint32> dfn(n, s_none);
    std::vector<quint32> vertex(total), parent(total);
    std::vector<quint8> rootChild(n, 0); // has the virtual root as a predecessor
    quint32 visited = 1;
    vertex[0] = n;
    parent[0] = 0;

    std::vector<std::pair<quint32, quint32>> stack; // node, next out-edge
    auto dfsFrom = [&](quint32 start) {
        if (dfn[start] != s_none)
            return;
        dfn[start] = visited;
        vertex[visited] = start;
        parent[visited] = 0;
        ++visited;
        stack.emplace_back(start, g.outBegin(start));
        while (!stack.empty()) {
            const quint32 node = stack.back().first;
            const quint32 e = stack.back().second;
            if (e == g.outEnd(node)) {
                stack.pop_back();
                continue;
            }
            ++stack.back().second;
            const quint32 t = g.target(e);
            if (dfn[t] != s_none)
                continue;
            dfn[t] = visited;
            vertex[visited] = t;
            parent[visited] = dfn[node];
            ++visited;
            stack.emplace_back(t, g.outBegin(t));
        }
    };

    for (quint32 i = 0; i < n; ++i) {
        if (g.isRoot(i) || g.inDegree(i) == 0)
            rootChild[i] = 1;
    }
    for (quint32 i = 0; i < n; ++i) {
        if (rootChild[i])
            dfsFrom(i);
        if (i % step == 0) {
            if (control.cancelled())
                return cancelled();
            control.report("dominators: search", visited, total);
        }
    }
    DominatorTree tree;
    for (quint32 i = 0; i < n; ++i) {
        if (dfn[i] == s_none) {
            rootChild[i] = 1;
            ++tree.m_unreachable;
            dfsFrom(i);
        }
    }
    stack = {};
    Q_ASSERT(visited == total);

    // Semi-NCA (Georgiadis): semidominators as in Lengauer-Tarjan, with
    // path compression over a forest whose labels hold semidominator numbers
    // directly (one indirection less than vertex labels), then each idom as
    // the nearest common ancestor of parent and semidominator. The forest
    // link and label of a vertex share a cache line.
    struct Forest
    {
        quint32 ancestor;
        quint32 label; // smallest semidominator number on the compressed path
    };
    std::vector<Forest> forest(total);
    std::vector<quint32> semi(total);
    for (quint32 i = 0; i < total; ++i) {
        forest[i] = {s_none, i};
        semi[i] = i;
    }
    std::vector<quint32> path;
    auto eval = [&](quint32 v) -> quint32 {
        if (forest[v].ancestor == s_none)
            return forest[v].label;
        // Path compression without recursion: collect the path, then fold
        // labels from the top down. The forest root's label is left out.
        path.clear();
        quint32 x = v;
        while (forest[forest[x].ancestor].ancestor != s_none) {
            path.push_back(x);
            x = forest[x].ancestor;
        }
        for (auto it = path.rbegin(); it != path.rend(); ++it) {
            Forest &y = forest[*it];
            const Forest &a = forest[y.ancestor];
            if (a.label < y.label)
                y.label = a.label;
            y.ancestor = a.ancestor;
        }
        return forest[v].label;
    };

    for (quint32 i = total - 1; i >= 1; --i) {
        const quint32 w = vertex[i];
        quint32 best = rootChild[w] ? 0 : parent[i];
        const quint32 end = g.inEnd(w);
        for (quint32 j = g.inBegin(w); j < end && best > 0; ++j) {
            const quint32 u = eval(dfn[g.inSource(j)]);
            if (u < best)
                best = u;
        }
        semi[i] = best;
        forest[i] = {parent[i], best};
        if (i % step == 0) {
            if (control.cancelled())
                return cancelled();
            control.report("dominators", total - i, total);
        }
    }
    forest = {};
    path = {};
    rootChild = {};
    // idom(v) is the nearest ancestor of parent(v) in the dominator tree at
    // or above semi(v); ascending order makes every idom above v final.
    std::vector<quint32> idom = std::move(parent);
    for (quint32 i = 2; i < total; ++i) {
        quint32 d = idom[i];
        while (d > semi[i])
            d = idom[d];
        idom[i] = d;
    }
    idom[0] = 0;

    // Retained sizes in preorder space: a dominator precedes the nodes it
    // dominates in DFS preorder, so one backward sweep adds every subtree
    // into its root, touching the arrays in order.
    dfn = {};
    std::vector<quint64> retained(total, 0);
    for (quint32 i = 1; i < total; ++i) {
        retained[i] = g.shallowSize(vertex[i]);
        tree.m_total += retained[i];
    }
    for (quint32 i = total - 1; i >= 1; --i) {
        const quint32 d = idom[i];
        if (d != 0)
            retained[d] += retained[i];
    }
    tree.m_idom.resize(n);
    tree.m_retained.resize(n);
    for (quint32 i = 1; i < total; ++i) {
        const quint32 node = vertex[i];
        tree.m_idom[node] = idom[i] == 0 ? s_none : vertex[idom[i]];
        tree.m_retained[node] = retained[i];
    }

    // Per type: walk the dominator tree depth-first, counting for each type
    // how many of its instances are on the current path; an instance counts
    // only when none is above it.
    std::vector<quint32> childOffsets = std::move(semi);
    childOffsets.assign(total + 1, 0);
    for (quint32 i = 1; i < total; ++i)
        ++childOffsets[idom[i] + 1];
    for (quint32 i = 0; i < total; ++i)
        childOffsets[i + 1] += childOffsets[i];
    std::vector<quint32> children(total > 1 ? total - 1 : 0);
    {
        std::vector<quint32> cursor(childOffsets.begin(), childOffsets.end() - 1);
        for (quint32 i = 1; i < total; ++i)
            children[cursor[idom[i]]++] = i;
    }
    idom = {};
    tree.m_typeRetained.assign(size_t(g.typeCount()), 0);
    std::vector<quint32> onPath(size_t(g.typeCount()), 0);
    std::vector<std::pair<quint32, quint32>> walk; // preorder number, next child
    walk.emplace_back(0, childOffsets[0]);
    while (!walk.empty()) {
        const quint32 v = walk.back().first;
        const quint32 c = walk.back().second;
        if (c == childOffsets[v + 1]) {
            walk.pop_back();
            if (v != 0)
                --onPath[size_t(g.type(vertex[v]))];
            continue;
        }
        ++walk.back().second;
        const quint32 child = children[c];
        const quint32 node = vertex[child];
        const size_t type = size_t(g.type(node));
        if (onPath[type] == 0)
            tree.m_typeRetained[type] += retained[child];
        ++onPath[type];
        walk.emplace_back(child, childOffsets[child]);
    }
    control.report("dominators", total, total);
    return tree;
}

bool DominatorTree::dominates(quint32 a, quint32 b) const
{
    for (quint32 x = b; x != s_none; x = m_idom[x]) {
        if (x == a)
            return true;
    }
    return false;
}

std::vector<quint32> DominatorTree::topRetainers(const HeapGraph &graph, int count, bool skipRoots) const
{
    std::vector<quint32> nodes;
    if (count <= 0)
        return nodes;
    nodes.reserve(m_idom.size());
    for (quint32 i = 0; i < nodeCount() && i < graph.nodeCount(); ++i) {
        if (!skipRoots || !graph.isRoot(i))
            nodes.push_back(i);
    }
    auto larger = [this](quint32 a, quint32 b) {
        return m_retained[a] != m_retained[b] ? m_retained[a] > m_retained[b] : a < b;
    };
    const size_t k = std::min(nodes.size(), size_t(count));
    std::partial_sort(nodes.begin(), nodes.begin() + std::ptrdiff_t(k), nodes.end(), larger);
    nodes.resize(k);
    return nodes;
}

std::vector<qint32> DominatorTree::topTypes(int count) const
{
    std::vector<qint32> types(m_typeRetained.size());
    for (size_t i = 0; i < types.size(); ++i)
        types[i] = qint32(i);
    auto larger = [this](qint32 a, qint32 b) {
        const quint64 ra = m_typeRetained[size_t(a)];
        const quint64 rb = m_typeRetained[size_t(b)];
        return ra != rb ? ra > rb : a < b;
    };
    const size_t k = std::min(types.size(), size_t(std::max(count, 0)));
    std::partial_sort(types.begin(), types.begin() + std::ptrdiff_t(k), types.end(), larger);
    types.resize(k);
    return types;
}

std::vector<quint32> DominatorTree::dominatedBy(quint32 node) const
{
    std::vector<quint32> children;
    for (quint32 i = 0; i < nodeCount(); ++i) {
        if (m_idom[i] == node)
            children.push_back(i);
    }
    std::stable_sort(children.begin(), children.end(),
                     [this](quint32 a, quint32 b) { return m_retained[a] > m_retained[b]; });
    return children;
}

quint64 DominatorTree::memoryBytes() const
{
    return quint64(m_idom.capacity()) * sizeof(quint32) + quint64(m_retained.capacity()) * sizeof(quint64)
        + quint64(m_typeRetained.capacity()) * sizeof(quint64);
}

} // namespace leakscope
