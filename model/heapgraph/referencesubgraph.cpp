#include "heapgraph/referencesubgraph.h"

#include "heapgraph/dominatortree.h"
#include "heapgraph/referencechain.h"

#include <QCoreApplication>

#include <algorithm>

namespace leakscope {

namespace {

// One distinct referrer: in-edges [first, end) all come from `source` (the
// in-edges of a node are sorted by source, so equal sources are adjacent).
struct Referrer
{
    quint32 source;
    quint32 first;
    quint32 end;
};

std::vector<Referrer> referrersOf(const HeapGraph &g, quint32 node)
{
    std::vector<Referrer> out;
    const quint32 end = g.inEnd(node);
    for (quint32 j = g.inBegin(node); j < end; ++j) {
        const quint32 s = g.inSource(j);
        if (!out.empty() && out.back().source == s)
            out.back().end = j + 1;
        else
            out.push_back({s, j, j + 1});
    }
    return out;
}

quint32 distinctReferrers(const HeapGraph &g, quint32 node)
{
    quint32 count = 0;
    quint32 last = HeapGraph::NoNode;
    const quint32 end = g.inEnd(node);
    for (quint32 j = g.inBegin(node); j < end; ++j) {
        const quint32 s = g.inSource(j);
        if (s != last)
            ++count;
        last = s;
    }
    return count;
}

// True when `node` dominates `referrer`. The dominator chain is walked a
// bounded number of steps: a popular object with 100,000 referrers stays
// cheap, and a referrer that deep below is drawn rather than hidden.
bool keptAliveBy(const DominatorTree &tree, quint32 node, quint32 referrer)
{
    constexpr int maxSteps = 256;
    quint32 x = referrer;
    for (int step = 0; step < maxSteps && x < tree.nodeCount(); ++step) {
        if (x == node)
            return true;
        x = tree.immediateDominator(x);
    }
    return false;
}

// True when a module in sys.modules refers to the node as its __dict__.
bool isModuleNamespace(const HeapGraph &g, const std::vector<Referrer> &refs)
{
    for (const Referrer &r : refs) {
        if (!(g.flags(r.source) & HeapGraph::ModuleRoot))
            continue;
        for (quint32 j = r.first; j < r.end; ++j)
            if (g.edgeLabel(g.inEdge(j)) == QLatin1String("__dict__"))
                return true;
    }
    return false;
}

// BackrefOptions::skipKeptAlive: leaves out the referrers of `node` that
// only close a cycle back to it. Those it dominates (it keeps them alive),
// and for a module's namespace everything but the module: every function
// defined in the module points back at it through __globals__ (and running
// frames through f_globals) while the module is what holds it. Keeps all
// when nothing would be left.
void skipCycles(const HeapGraph &g, quint32 node, const BackrefOptions &options, std::vector<Referrer> *refs,
                quint32 *skipped)
{
    const bool dominators = options.dominators && node < options.dominators->nodeCount();
    const bool moduleNamespace = isModuleNamespace(g, *refs);
    if (!dominators && !moduleNamespace)
        return;
    std::vector<Referrer> outside;
    outside.reserve(refs->size());
    for (const Referrer &r : *refs) {
        if (r.source == node)
            outside.push_back(r);
        else if (moduleNamespace && !(g.flags(r.source) & HeapGraph::ModuleRoot))
            continue;
        else if (!dominators || !keptAliveBy(*options.dominators, node, r.source))
            outside.push_back(r);
    }
    if (!outside.empty() && outside.size() < refs->size()) {
        *skipped = quint32(refs->size() - outside.size());
        refs->swap(outside);
    }
}

QString moreLabel(quint32 hidden)
{
    return QCoreApplication::translate("leakscope::ReferenceSubgraph", "+%1 more").arg(hidden);
}

} // namespace

ReferenceSubgraph::Kind ReferenceSubgraph::kindOf(const HeapGraph &g, quint32 node)
{
    const quint8 f = g.flags(node);
    const QString &type = g.typeName(g.type(node));
    if ((f & HeapGraph::ModuleRoot) || type == QLatin1String("module"))
        return Kind::Module;
    if ((f & HeapGraph::ClassRoot) || type == QLatin1String("type"))
        return Kind::Class;
    if ((f & HeapGraph::ThreadFrameRoot) || type == QLatin1String("frame"))
        return Kind::Frame;
    if (type == QLatin1String("function") || type == QLatin1String("method")
        || type == QLatin1String("builtin_function_or_method") || type == QLatin1String("classmethod")
        || type == QLatin1String("staticmethod"))
        return Kind::Function;
    if (f & HeapGraph::OtherRoot)
        return Kind::OtherRoot;
    return Kind::Object;
}

int ReferenceSubgraph::addNode(const HeapGraph &g, quint32 graphNode, int depth, const BackrefOptions &options)
{
    Node n;
    n.kind = kindOf(g, graphNode);
    n.graphNode = graphNode;
    n.objectId = g.id(graphNode);
    n.type = g.type(graphNode);
    n.typeName = g.typeName(n.type);
    n.label = g.describe(graphNode);
    n.flags = g.flags(graphNode);
    n.depth = depth;
    n.shallowSize = g.shallowSize(graphNode);
    if (options.dominators && graphNode < options.dominators->nodeCount()) {
        n.retainedSize = options.dominators->retainedSize(graphNode);
        n.hasRetainedSize = true;
    }
    n.referrerCount = distinctReferrers(g, graphNode);
    n.expanded = n.referrerCount == 0;
    const int index = int(m_nodes.size());
    m_nodes.push_back(std::move(n));
    m_index.insert(graphNode, index);
    return index;
}

void ReferenceSubgraph::addEdgesFrom(const HeapGraph &g, quint32 firstIn, quint32 endIn, int from, int to)
{
    for (quint32 j = firstIn; j < endIn; ++j) {
        const quint32 e = g.inEdge(j);
        if (m_graphEdges.contains(e))
            continue;
        m_graphEdges.insert(e);
        m_edges.push_back({from, to, g.edgeLabel(e), e});
    }
}

void ReferenceSubgraph::addReferrers(const HeapGraph &g, int node, quint32 offset, int moreNode, size_t nodeLimit,
                                     const BackrefOptions &options, std::vector<int> *added)
{
    const quint32 graphNode = m_nodes[size_t(node)].graphNode;
    const int depth = m_nodes[size_t(node)].depth + 1;
    std::vector<Referrer> refs = referrersOf(g, graphNode);
    if (options.skipKeptAlive)
        skipCycles(g, graphNode, options, &refs, &m_nodes[size_t(node)].keptAliveReferrers);
    const quint32 total = quint32(refs.size());
    const int fanIn = std::max(1, options.maxFanIn);

    int taken = 0;
    quint32 k = std::min(offset, total);
    for (; k < total && taken < fanIn; ++k) {
        const Referrer &r = refs[k];
        int from = indexOf(r.source);
        if (from < 0) {
            // Keep a slot for the "+N more" node while referrers remain after
            // this one (unless a More node exists already).
            const bool moreMayFollow = k + 1 < total && moreNode < 0;
            if (m_nodes.size() + 1 + (moreMayFollow ? 1 : 0) > nodeLimit) {
                m_truncated = true;
                break;
            }
            from = addNode(g, r.source, depth, options);
            if (added)
                added->push_back(from);
        }
        addEdgesFrom(g, r.first, r.end, from, node);
        ++taken;
    }

    const quint32 hidden = total - k;
    if (moreNode >= 0) {
        Node &more = m_nodes[size_t(moreNode)];
        more.hiddenCount = hidden;
        more.moreOffset = k;
        more.label = moreLabel(hidden);
        more.expanded = hidden == 0;
        if (hidden == 0)
            more.visible = false;
    } else if (hidden > 0) {
        if (m_nodes.size() < nodeLimit) {
            Node more;
            more.kind = Kind::More;
            more.depth = depth;
            more.label = moreLabel(hidden);
            more.moreOf = node;
            more.hiddenCount = hidden;
            more.moreOffset = k;
            const int index = int(m_nodes.size());
            m_nodes.push_back(std::move(more));
            m_edges.push_back({index, node, QString(), HeapGraph::NoEdge});
        } else {
            m_truncated = true;
        }
    }
    m_nodes[size_t(node)].expanded = true;
}

ReferenceSubgraph ReferenceSubgraph::build(const HeapGraph &g, const std::vector<quint32> &targets,
                                           const BackrefOptions &options)
{
    ReferenceSubgraph sub;
    const size_t limit = size_t(std::max(1, options.maxNodes));
    std::vector<int> queue;
    for (quint32 t : targets) {
        if (t >= g.nodeCount() || sub.indexOf(t) >= 0)
            continue;
        if (sub.m_nodes.size() >= limit) {
            sub.m_truncated = true;
            break;
        }
        const int index = sub.addNode(g, t, 0, options);
        sub.m_nodes[size_t(index)].target = true;
        queue.push_back(index);
    }
    for (size_t head = 0; head < queue.size(); ++head) {
        const int v = queue[head];
        const Node &node = sub.m_nodes[size_t(v)];
        if (node.expanded || node.isRoot()) // roots stop the search
            continue;
        if (node.depth >= options.maxDepth) {
            sub.m_truncated = true;
            continue;
        }
        sub.addReferrers(g, v, 0, -1, limit, options, &queue);
    }
    return sub;
}

int ReferenceSubgraph::expand(const HeapGraph &g, int node, const BackrefOptions &options)
{
    if (node < 0 || node >= nodeCount())
        return 0;
    const size_t before = m_nodes.size();
    // One level never adds more than the fan-in cap plus a More node, so the
    // total cap does not apply here: the user asked for these.
    const size_t limit = before + size_t(std::max(1, options.maxFanIn)) + 1;
    const Node &n = m_nodes[size_t(node)];
    if (n.kind == Kind::More) {
        if (n.hiddenCount > 0 && n.moreOf >= 0)
            addReferrers(g, n.moreOf, n.moreOffset, node, limit, options, nullptr);
    } else if (!n.expanded) {
        addReferrers(g, node, 0, -1, limit, options, nullptr);
    }
    return int(m_nodes.size() - before);
}

std::vector<int> ReferenceSubgraph::addChain(const HeapGraph &g, const ReferenceChain &chain,
                                             const BackrefOptions &options)
{
    std::vector<int> indices;
    const int last = int(chain.steps.size()) - 1;
    for (int i = 0; i <= last; ++i) {
        const ReferenceChain::Step &step = chain.steps[size_t(i)];
        if (step.node >= g.nodeCount())
            break;
        int index = indexOf(step.node);
        if (index < 0)
            index = addNode(g, step.node, last - i, options);
        if (!indices.empty() && step.edge < g.edgeCount() && !m_graphEdges.contains(step.edge)) {
            m_graphEdges.insert(step.edge);
            m_edges.push_back({indices.back(), index, g.edgeLabel(step.edge), step.edge});
        }
        m_nodes[size_t(index)].visible = true;
        indices.push_back(index);
    }
    return indices;
}

void ReferenceSubgraph::setVisible(int node, bool visible)
{
    if (node >= 0 && node < nodeCount())
        m_nodes[size_t(node)].visible = visible;
}

} // namespace leakscope
