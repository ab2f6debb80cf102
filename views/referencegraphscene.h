#pragma once

#include "views/graphitems.h"
#include "graphlayout/graphlayout.h"

#include <QGraphicsScene>
#include <QHash>
#include <QImage>

#include <vector>

namespace leakscope {

// The items of one laid-out reference graph: a node item per input node and
// an edge item per input edge, both found by their input index.
class ReferenceGraphScene : public QGraphicsScene
{
    Q_OBJECT
public:
    explicit ReferenceGraphScene(QObject *parent = nullptr);

    void setFonts(const GraphFonts &fonts);
    const GraphFonts &fonts() const { return m_fonts; }

    // The input with every node's box measured for the fonts of this scene and
    // the label font set, ready for GraphLayout::layout(). UI thread only
    // (font metrics).
    LayoutInput prepare(LayoutInput input) const;

    // Replaces the items. `input` must be what prepare() returned and
    // `layout` its layout.
    void setGraph(const LayoutInput &input, const LayoutResult &layout);
    void clearGraph();

    const LayoutInput &graph() const { return m_input; }
    bool isEmpty() const { return m_nodes.empty(); }
    int nodeCount() const { return int(m_nodes.size()); }
    int edgeCount() const { return int(m_edges.size()); }
    GraphNodeItem *nodeItem(int index) const;
    GraphEdgeItem *edgeItem(int index) const;
    int indexOf(const QString &id) const { return m_indexById.value(id, -1); }
    // The node under a scene point, or -1.
    int nodeAt(const QPointF &scenePos) const;
    QRectF graphBounds() const { return m_bounds; }

    // Draws these nodes and edges (input indices) as the highlighted chain;
    // all others plain.
    void setHighlighted(const std::vector<int> &nodes, const std::vector<int> &edges);

    // The whole graph on a white background, `scale` pixels per scene unit.
    QImage toImage(double scale = 2.0);

private:
    GraphFonts m_fonts;
    LayoutInput m_input;
    std::vector<GraphNodeItem *> m_nodes; // owned by the scene
    std::vector<GraphEdgeItem *> m_edges;
    QHash<QString, int> m_indexById;
    QRectF m_bounds;
};

} // namespace leakscope
