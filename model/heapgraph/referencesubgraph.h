#pragma once

#include "heapgraph/heapgraph.h"

#include <QHash>
#include <QSet>
#include <QString>

#include <vector>

namespace leakscope {

class DominatorTree;
struct ReferenceChain;

// Caps for a back-reference search (objgraph's show_backrefs max_depth and
// too_many, plus a total node cap so a big heap never hangs the layout).
struct BackrefOptions
{
    int maxDepth = 4;   // levels of referrers above the targets
    int maxNodes = 200; // total nodes, "+N more" nodes included
    int maxFanIn = 10;  // more distinct referrers than this collapse into "+N more"
    // When set, nodes carry their retained size.
    const DominatorTree *dominators = nullptr;
    // Leave out referrers that only close a cycle back to the object: with
    // dominators, those it keeps alive itself (it dominates them, so they
    // reach a root only through it: an instance's own bound methods, a
    // module's private helpers); and for a module's namespace every referrer
    // but the module (the functions defined there point back at it through
    // __globals__, running frames through f_globals). They cannot be what
    // keeps it alive. When every referrer is such a one (a cycle nothing
    // outside holds) all stay.
    bool skipKeptAlive = false;
};

// A small graph around some target objects: who refers to them, level by
// level, as the Graphviz view and the CLI draw it. A value type; node indices
// are stable (nodes are only ever added or hidden, never removed), so a view
// can keep its items keyed by them across expand().
class ReferenceSubgraph
{
public:
    enum class Kind {
        Object,
        Module,
        Class,
        Function,
        Frame,
        OtherRoot,
        More, // pseudo node standing for referrers that were not shown
    };

    struct Node
    {
        Kind kind = Kind::Object;
        quint32 graphNode = HeapGraph::NoNode; // NoNode for More nodes
        quint64 objectId = 0;
        qint32 type = -1;
        QString typeName;
        QString label; // short repr or name; "+N more" for More nodes
        quint8 flags = 0; // HeapGraph::NodeFlag bits
        int depth = 0;    // referrer levels above the nearest target
        quint64 shallowSize = 0;
        quint64 retainedSize = 0; // when BackrefOptions::dominators was set
        bool hasRetainedSize = false;
        bool target = false;       // one of the objects the search started from
        bool expanded = false;     // its referrers have been added (or it has none)
        quint32 referrerCount = 0; // distinct referrers in the whole graph
        // Referrers left out as cycles back to the node
        // (BackrefOptions::skipKeptAlive), once its referrers were added.
        quint32 keptAliveReferrers = 0;
        bool visible = true;       // hidden by the user, or a More node used up
        // More nodes: the node whose referrers they stand for, how many are
        // hidden, and where in its referrer list they start.
        int moreOf = -1;
        quint32 hiddenCount = 0;
        quint32 moreOffset = 0;

        bool isRoot() const { return flags & HeapGraph::RootMask; }
        // Referrers exist that are not in the subgraph yet.
        bool canExpand() const { return kind == Kind::More ? hiddenCount > 0 : !expanded && referrerCount > 0; }
    };

    struct Edge
    {
        int from = -1; // the referrer
        int to = -1;   // the object referred to
        QString label; // attribute, key, index... empty when unknown
        quint32 graphEdge = HeapGraph::NoEdge; // NoEdge for edges into More nodes
    };

    // Breadth-first over referrers from the targets (invalid indices are
    // skipped), depth-first never: every node sits at its shortest distance.
    // Roots are not searched past. Fan-in beyond maxFanIn distinct referrers
    // becomes one More node; the node cap counts More nodes.
    static ReferenceSubgraph build(const HeapGraph &graph, const std::vector<quint32> &targets,
                                   const BackrefOptions &options = {});

    // Adds one more level: the referrers of `node` (fan-in capped as above),
    // or for a More node the next batch of the referrers it stands for.
    // Returns the number of nodes added.
    int expand(const HeapGraph &graph, int node, const BackrefOptions &options = {});

    // Makes sure every step of the chain is in the subgraph, with the edges
    // between them, and returns their node indices, root first.
    std::vector<int> addChain(const HeapGraph &graph, const ReferenceChain &chain, const BackrefOptions &options = {});

    void setVisible(int node, bool visible);

    const std::vector<Node> &nodes() const { return m_nodes; }
    const std::vector<Edge> &edges() const { return m_edges; }
    int nodeCount() const { return int(m_nodes.size()); }
    const Node &node(int index) const { return m_nodes[size_t(index)]; }
    int indexOf(quint32 graphNode) const { return m_index.value(graphNode, -1); }
    // True when a cap (depth or nodes) left referrers out.
    bool truncated() const { return m_truncated; }

    static Kind kindOf(const HeapGraph &graph, quint32 node);

private:
    int addNode(const HeapGraph &graph, quint32 graphNode, int depth, const BackrefOptions &options);
    void addEdgesFrom(const HeapGraph &graph, quint32 firstIn, quint32 endIn, int from, int to);
    // Adds referrers of m_nodes[node] from position `offset` in its distinct
    // referrer list, up to the fan-in cap and nodeLimit; new nodes are
    // appended to `added`. moreNode is the More node to update, or -1.
    void addReferrers(const HeapGraph &graph, int node, quint32 offset, int moreNode, size_t nodeLimit,
                      const BackrefOptions &options, std::vector<int> *added);

    std::vector<Node> m_nodes;
    std::vector<Edge> m_edges;
    QHash<quint32, int> m_index;
    QSet<quint32> m_graphEdges;
    bool m_truncated = false;
};

} // namespace leakscope
