#include "views/referencegraphscene.h"

#include <QFontInfo>
#include <QGuiApplication>
#include <QPainter>

#include <cmath>

namespace leakscope {

ReferenceGraphScene::ReferenceGraphScene(QObject *parent)
    : QGraphicsScene(parent)
    , m_fonts(GraphFonts::fromBase(QGuiApplication::font()))
{
    // Items never move after a layout; a BSP tree would only cost inserts.
    setItemIndexMethod(QGraphicsScene::NoIndex);
}

void ReferenceGraphScene::setFonts(const GraphFonts &fonts)
{
    m_fonts = fonts;
}

LayoutInput ReferenceGraphScene::prepare(LayoutInput input) const
{
    for (LayoutNode &node : input.nodes)
        node.size = NodeText::measure(node, m_fonts).boxSize;
    // Graphviz sizes edge labels itself, with the font the view draws.
    input.labelFontFamily = QFontInfo(m_fonts.edgeLabel).family();
    input.labelFontSize = m_fonts.edgeLabel.pixelSize() > 0 ? m_fonts.edgeLabel.pixelSize()
                                                            : m_fonts.edgeLabel.pointSizeF();
    input.nodeFontSize = m_fonts.title.pixelSize() > 0 ? m_fonts.title.pixelSize() : m_fonts.title.pointSizeF();
    return input;
}

void ReferenceGraphScene::setGraph(const LayoutInput &input, const LayoutResult &layout)
{
    clearGraph();
    m_input = input;
    const size_t nodes = std::min(input.nodes.size(), layout.nodeRects.size());
    const size_t edges = std::min(input.edges.size(), layout.edges.size());
    m_nodes.reserve(nodes);
    m_edges.reserve(edges);
    for (size_t i = 0; i < nodes; ++i) {
        auto *item = new GraphNodeItem(int(i), input.nodes[i], layout.nodeRects[i], m_fonts);
        addItem(item);
        m_nodes.push_back(item);
        m_indexById.insert(input.nodes[i].id, int(i));
    }
    for (size_t i = 0; i < edges; ++i) {
        auto *item = new GraphEdgeItem(int(i), input.edges[i], layout.edges[i], m_fonts);
        addItem(item);
        m_edges.push_back(item);
    }
    m_bounds = layout.bounds;
    for (const GraphNodeItem *item : m_nodes)
        m_bounds = m_bounds.united(item->sceneBoundingRect());
    for (const GraphEdgeItem *item : m_edges)
        m_bounds = m_bounds.united(item->sceneBoundingRect());
    setSceneRect(m_bounds);
}

void ReferenceGraphScene::clearGraph()
{
    clear();
    m_nodes.clear();
    m_edges.clear();
    m_indexById.clear();
    m_input = LayoutInput();
    m_bounds = QRectF();
    setSceneRect(QRectF());
}

GraphNodeItem *ReferenceGraphScene::nodeItem(int index) const
{
    return index >= 0 && size_t(index) < m_nodes.size() ? m_nodes[size_t(index)] : nullptr;
}

GraphEdgeItem *ReferenceGraphScene::edgeItem(int index) const
{
    return index >= 0 && size_t(index) < m_edges.size() ? m_edges[size_t(index)] : nullptr;
}

int ReferenceGraphScene::nodeAt(const QPointF &scenePos) const
{
    for (QGraphicsItem *item : items(scenePos)) {
        if (item->type() == GraphNodeItem::Type)
            return static_cast<GraphNodeItem *>(item)->index();
    }
    return -1;
}

void ReferenceGraphScene::setHighlighted(const std::vector<int> &nodes, const std::vector<int> &edges)
{
    std::vector<bool> nodeOn(m_nodes.size(), false);
    std::vector<bool> edgeOn(m_edges.size(), false);
    for (int n : nodes) {
        if (n >= 0 && size_t(n) < nodeOn.size())
            nodeOn[size_t(n)] = true;
    }
    for (int e : edges) {
        if (e >= 0 && size_t(e) < edgeOn.size())
            edgeOn[size_t(e)] = true;
    }
    for (size_t i = 0; i < m_nodes.size(); ++i) {
        m_nodes[i]->setHighlighted(nodeOn[i]);
        m_input.nodes[i].highlighted = nodeOn[i];
    }
    for (size_t i = 0; i < m_edges.size(); ++i) {
        m_edges[i]->setHighlighted(edgeOn[i]);
        m_input.edges[i].highlighted = edgeOn[i];
    }
}

QImage ReferenceGraphScene::toImage(double scale)
{
    if (m_nodes.empty())
        return QImage();
    const QRectF source = m_bounds.adjusted(-12, -12, 12, 12);
    // Keep exports below ~100 megapixels whatever the graph.
    const double maxSide = 16000;
    scale = std::min(scale, maxSide / std::max(source.width(), source.height()));
    const QSize size(int(std::ceil(source.width() * scale)), int(std::ceil(source.height() * scale)));
    QImage image(size, QImage::Format_ARGB32_Premultiplied);
    image.fill(Qt::white);
    QPainter painter(&image);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setRenderHint(QPainter::TextAntialiasing);
    render(&painter, QRectF(QPointF(0, 0), QSizeF(size)), source);
    return image;
}

} // namespace leakscope
