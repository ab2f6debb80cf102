#include "graphlayout/referencelayout.h"

#include "core/textutil.h"
#include "heapgraph/dominatortree.h"
#include "heapgraph/heapgraph.h"

#include <QCoreApplication>
#include <QLocale>

#include <algorithm>

namespace leakscope {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("leakscope::ReferenceLayout", text);
}

// The JSON number of an object id (exact below 2^53, as the protocol says);
// the agent's "+N more" nodes have negative ids.
const QHash<QString, NodeKind> &liveKinds()
{
    static const QHash<QString, NodeKind> kinds = {
        {QStringLiteral("target"), NodeKind::Target},     {QStringLiteral("object"), NodeKind::Object},
        {QStringLiteral("module"), NodeKind::Root},       {QStringLiteral("root"), NodeKind::Root},
        {QStringLiteral("class"), NodeKind::Class},       {QStringLiteral("function"), NodeKind::Function},
        {QStringLiteral("frame"), NodeKind::Frame},       {QStringLiteral("collapsed"), NodeKind::Collapsed},
    };
    return kinds;
}

// Title and subtitle as the CLI draws them: the label on top, the type below;
// objects labelled only by their type show their id instead.
void setText(LayoutNode *node, const QString &type, const QString &rawLabel, quint64 id)
{
    QString label = TextUtil::oneLine(rawLabel);
    if (label == type)
        label.clear();
    node->title = label.isEmpty() ? type : label;
    node->subtitle = label.isEmpty() ? (id ? TextUtil::hexId(id) : QString()) : type;
}

} // namespace

int ReferenceLayout::layoutIndexOf(int sourceNode) const
{
    const auto it = std::find(nodeSource.begin(), nodeSource.end(), sourceNode);
    return it == nodeSource.end() ? -1 : int(it - nodeSource.begin());
}

void ReferenceLayout::highlightChain(const std::vector<int> &sourceChain)
{
    const auto [nodes, edges] = chainIndices(sourceChain);
    for (int n : nodes)
        input.nodes[size_t(n)].highlighted = true;
    for (int e : edges)
        input.edges[size_t(e)].highlighted = true;
}

std::pair<std::vector<int>, std::vector<int>> ReferenceLayout::chainIndices(const std::vector<int> &sourceChain) const
{
    std::vector<int> nodes;
    std::vector<int> edges;
    int previous = -1;
    for (int source : sourceChain) {
        const int index = layoutIndexOf(source);
        if (index >= 0)
            nodes.push_back(index);
        if (previous >= 0 && index >= 0) {
            for (size_t e = 0; e < input.edges.size(); ++e)
                if (input.edges[e].from == previous && input.edges[e].to == index)
                    edges.push_back(int(e));
        }
        previous = index;
    }
    return {nodes, edges};
}

NodeKind ReferenceLayout::kindOf(const ReferenceSubgraph::Node &node)
{
    switch (node.kind) {
    case ReferenceSubgraph::Kind::Object:
        return node.target ? NodeKind::Target : NodeKind::Object;
    case ReferenceSubgraph::Kind::Module:
    case ReferenceSubgraph::Kind::OtherRoot:
        return NodeKind::Root;
    case ReferenceSubgraph::Kind::Class:
        return NodeKind::Class;
    case ReferenceSubgraph::Kind::Function:
        return NodeKind::Function;
    case ReferenceSubgraph::Kind::Frame:
        return NodeKind::Frame;
    case ReferenceSubgraph::Kind::More:
        return NodeKind::Collapsed;
    }
    return NodeKind::Object;
}

ReferenceLayout ReferenceLayout::fromSubgraph(const ReferenceSubgraph &sub, const DominatorTree *dominators,
                                              const std::vector<int> &chain)
{
    ReferenceLayout out;
    std::vector<int> index(size_t(sub.nodeCount()), -1);
    for (int i = 0; i < sub.nodeCount(); ++i) {
        const ReferenceSubgraph::Node &n = sub.node(i);
        if (!n.visible)
            continue;
        LayoutNode node;
        node.id = QStringLiteral("n%1").arg(i);
        node.kind = kindOf(n);
        if (n.kind == ReferenceSubgraph::Kind::More) {
            node.title = TextUtil::oneLine(n.label);
        } else {
            setText(&node, n.typeName, n.label, n.objectId);
            // Modules and classes retain nearly everything; the number says
            // little there and crowds the box.
            if (dominators && n.graphNode < dominators->nodeCount() && !n.isRoot())
                node.subtitle += QStringLiteral(" \u00b7 ") + tr("retained %1")
                                     .arg(TextUtil::bytes(qint64(dominators->retainedSize(n.graphNode))));
            else if (n.hasRetainedSize && !n.isRoot())
                node.subtitle += QStringLiteral(" \u00b7 ") + tr("retained %1").arg(TextUtil::bytes(qint64(n.retainedSize)));
        }
        index[size_t(i)] = int(out.input.nodes.size());
        out.input.nodes.push_back(node);
        out.nodeSource.push_back(i);
    }
    for (size_t e = 0; e < sub.edges().size(); ++e) {
        const ReferenceSubgraph::Edge &edge = sub.edges()[e];
        if (edge.from < 0 || edge.to < 0 || edge.from >= sub.nodeCount() || edge.to >= sub.nodeCount())
            continue;
        const int from = index[size_t(edge.from)];
        const int to = index[size_t(edge.to)];
        if (from < 0 || to < 0)
            continue;
        out.input.edges.push_back(LayoutEdge{from, to, TextUtil::oneLine(edge.label), false});
        out.edgeSource.push_back(int(e));
    }
    out.highlightChain(chain);
    // Referrers point down at what they keep alive; roots end up on top.
    out.input.rankDir = LayoutInput::RankDir::TopToBottom;
    return out;
}

// ------------------------------------------------------------------ live

void LiveReferenceGraph::clear()
{
    m_nodes.clear();
    m_edges.clear();
    m_index.clear();
    m_edgeIndex.clear();
    m_truncated = false;
}

void LiveReferenceGraph::setVisible(int node, bool visible)
{
    if (node >= 0 && node < nodeCount())
        m_nodes[size_t(node)].visible = visible;
}

int LiveReferenceGraph::addNode(const AgentReply::RefNode &n)
{
    const qint64 id = n.id;
    const NodeKind kind = liveKinds().value(n.kind, NodeKind::Object);
    if (kind != NodeKind::Collapsed && id > 0) {
        const int existing = m_index.value(id, -1);
        if (existing >= 0) {
            // A target of an earlier reply may be a referrer now; a target stays one.
            if (m_nodes[size_t(existing)].kind == NodeKind::Object && kind != NodeKind::Object
                && kind != NodeKind::Target)
                m_nodes[size_t(existing)].kind = kind;
            return existing;
        }
    }
    Node node;
    node.objectId = kind == NodeKind::Collapsed ? 0 : id;
    node.type = TextUtil::oneLine(n.type);
    node.label = TextUtil::oneLine(n.label);
    node.kind = kind;
    node.more = n.more;
    node.moreOffset = std::max<qint64>(0, n.offset);
    // Roots are never searched past; there is nothing to expand.
    node.expanded = kind == NodeKind::Root || kind == NodeKind::Class || kind == NodeKind::Collapsed;
    m_nodes.push_back(node);
    if (node.objectId > 0)
        m_index.insert(node.objectId, nodeCount() - 1);
    return nodeCount() - 1;
}

void LiveReferenceGraph::addEdge(int from, int to, const QString &label)
{
    const QPair<int, int> key(from, to);
    if (m_edgeIndex.contains(key))
        return;
    m_edgeIndex.insert(key, int(m_edges.size()));
    m_edges.push_back(Edge{from, to, TextUtil::oneLine(label)});
}

Status LiveReferenceGraph::mergeBackrefs(const AgentReply::Backrefs &reply, qint64 expandedId)
{
    if (nodeCount() + qint64(reply.nodes.size()) > GraphLayout::s_maxNodes)
        return Status::failure(tr("the reference graph would have more than %1 nodes; lower the depth or the node limit")
                                   .arg(GraphLayout::s_maxNodes));
    LiveReferenceGraph merged = *this;
    QHash<qint64, int> local; // the reply's ids (including -1, -2...) -> index
    for (const AgentReply::RefNode &n : reply.nodes)
        local.insert(n.id, merged.addNode(n));
    for (const AgentReply::RefEdge &e : reply.edges) {
        if (!local.contains(e.from) || !local.contains(e.to))
            return Status::failure(tr("the agent's backrefs reply has an edge between unknown nodes"));
        merged.addEdge(local.value(e.from), local.value(e.to), e.label);
        Node &source = merged.m_nodes[size_t(local.value(e.from))];
        if (source.kind == NodeKind::Collapsed && source.moreOf < 0)
            source.moreOf = local.value(e.to);
    }
    if (expandedId) {
        const int index = merged.indexOf(expandedId);
        if (index >= 0)
            merged.m_nodes[size_t(index)].expanded = true;
    }
    merged.m_truncated = m_truncated || reply.truncated;
    *this = std::move(merged);
    return {};
}

Expected<std::vector<int>> LiveReferenceGraph::mergeChain(const AgentReply::Chain &reply)
{
    if (reply.steps.empty())
        return Expected<std::vector<int>>::failure(tr("no chain of references leads to this object"));
    if (nodeCount() + qint64(reply.steps.size()) > GraphLayout::s_maxNodes)
        return Expected<std::vector<int>>::failure(
            tr("the chain is too long to draw (%1 steps)").arg(qint64(reply.steps.size())));
    LiveReferenceGraph merged = *this;
    std::vector<int> indices;
    for (const AgentReply::RefNode &step : reply.steps) {
        const int index = merged.addNode(step);
        merged.m_nodes[size_t(index)].visible = true;
        if (!indices.empty())
            merged.addEdge(indices.back(), index, step.edge);
        indices.push_back(index);
    }
    *this = std::move(merged);
    return indices;
}

ReferenceLayout LiveReferenceGraph::layout(const std::vector<int> &chain) const
{
    ReferenceLayout out;
    // A module's namespace says whose globals it holds, as in files.
    QHash<int, QString> described;
    for (const Edge &e : m_edges) {
        if (e.label != QLatin1String("__dict__") || m_nodes[size_t(e.from)].kind != NodeKind::Root)
            continue;
        const QString named = HeapGraph::namespaceLabel(m_nodes[size_t(e.to)].label, m_nodes[size_t(e.from)].label);
        if (!named.isEmpty())
            described.insert(e.to, named);
    }
    std::vector<int> index(m_nodes.size(), -1);
    for (int i = 0; i < nodeCount(); ++i) {
        const Node &n = m_nodes[size_t(i)];
        if (!n.visible)
            continue;
        LayoutNode node;
        // Object ids are stable across replies, so the expanded node keeps its place.
        node.id = n.objectId ? QStringLiteral("o%1").arg(n.objectId) : QStringLiteral("m%1").arg(i);
        node.kind = n.kind;
        if (n.kind == NodeKind::Collapsed)
            node.title = n.label.isEmpty() ? tr("+%1 more").arg(n.more) : n.label;
        else
            setText(&node, n.type, described.value(i, n.label), quint64(n.objectId));
        index[size_t(i)] = int(out.input.nodes.size());
        out.input.nodes.push_back(node);
        out.nodeSource.push_back(i);
    }
    for (size_t e = 0; e < m_edges.size(); ++e) {
        const int from = index[size_t(m_edges[e].from)];
        const int to = index[size_t(m_edges[e].to)];
        if (from < 0 || to < 0)
            continue;
        out.input.edges.push_back(LayoutEdge{from, to, m_edges[e].label, false});
        out.edgeSource.push_back(int(e));
    }
    out.highlightChain(chain);
    return out;
}

} // namespace leakscope
