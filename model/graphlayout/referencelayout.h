#pragma once

#include "core/agentreplies.h"
#include "core/expected.h"
#include "graphlayout/graphlayout.h"
#include "heapgraph/referencesubgraph.h"

#include <QHash>
#include <QString>

#include <utility>
#include <vector>

namespace leakscope {

class DominatorTree;

// A back-reference graph as the Graphviz view draws it, with the way back
// from each drawn node and edge to the graph it came from (hidden nodes are
// left out, so the indices differ). Node ids stay the same across expand(),
// so the view can keep the expanded node in place.
struct ReferenceLayout
{
    LayoutInput input;
    std::vector<int> nodeSource; // layout node -> source node index
    std::vector<int> edgeSource; // layout edge -> source edge index

    int layoutIndexOf(int sourceNode) const;
    // Layout indices of these source nodes and of the edges between
    // consecutive ones (a chain, root first), for the view's highlight.
    std::pair<std::vector<int>, std::vector<int>> chainIndices(const std::vector<int> &sourceChain) const;
    // Highlights those nodes and edges in `input`.
    void highlightChain(const std::vector<int> &sourceChain);

    // The file case. With `dominators`, object nodes say how much they retain.
    // Nodes of `chain` (subgraph indices, root first) and the edges between
    // them are highlighted.
    static ReferenceLayout fromSubgraph(const ReferenceSubgraph &sub, const DominatorTree *dominators = nullptr,
                                        const std::vector<int> &chain = {});

    static NodeKind kindOf(const ReferenceSubgraph::Node &node);
};

// The live case: what the agent's `backrefs` and `chain` replies
// (docs/protocol.md) said about the heap, merged reply after reply so that
// expanding a node adds its referrers to what is on screen. Nodes are keyed
// by object id; the agent's "+N more" nodes (ids -1, -2... in each reply) get
// their own keys so replies never collide.
class LiveReferenceGraph
{
public:
    struct Node
    {
        qint64 objectId = 0; // 0 for "+N more"
        QString type;
        QString label;
        NodeKind kind = NodeKind::Object;
        qint64 more = 0;
        // "+N more" nodes: the node whose referrers they stand for, and where
        // in its referrer list the hidden ones start (the agent's `offset`).
        int moreOf = -1;
        qint64 moreOffset = 0;
        bool expanded = false;
        bool visible = true;
    };
    struct Edge
    {
        int from = -1;
        int to = -1;
        QString label;
    };

    // Adds the nodes and edges of a checked backrefs reply
    // (Protocol::parseBackrefs); `expandedId` marks that node as expanded (its
    // referrers are now known). Fails when the graph would grow too large or
    // an edge joins unknown nodes, leaving the graph as it was.
    Status mergeBackrefs(const AgentReply::Backrefs &reply, qint64 expandedId = 0);
    // Adds the steps of a checked chain reply and returns their node indices,
    // root first.
    Expected<std::vector<int>> mergeChain(const AgentReply::Chain &reply);

    void clear();
    void setVisible(int node, bool visible);
    int nodeCount() const { return int(m_nodes.size()); }
    const Node &node(int index) const { return m_nodes[size_t(index)]; }
    const std::vector<Edge> &edges() const { return m_edges; }
    int indexOf(qint64 objectId) const { return m_index.value(objectId, -1); }
    bool truncated() const { return m_truncated; }

    ReferenceLayout layout(const std::vector<int> &chain = {}) const;

private:
    int addNode(const AgentReply::RefNode &n);
    void addEdge(int from, int to, const QString &label);

    std::vector<Node> m_nodes;
    std::vector<Edge> m_edges;
    QHash<qint64, int> m_index;
    QHash<QPair<int, int>, int> m_edgeIndex;
    bool m_truncated = false;
};

} // namespace leakscope
