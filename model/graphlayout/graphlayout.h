#pragma once

#include "core/expected.h"

#include <QByteArray>
#include <QPointF>
#include <QRectF>
#include <QSizeF>
#include <QString>
#include <QStringList>

#include <atomic>
#include <vector>

namespace leakscope {

// What a node of the reference graph stands for; the view draws each kind in
// its own colour and shape.
enum class NodeKind {
    Target,    // an instance of the type being hunted
    Object,    // any other referrer
    Root,      // a module (from sys.modules) or another root
    Class,
    Function,
    Frame,     // a thread's frame
    Collapsed, // "+N more" referrers that were not shown
};

struct LayoutNode
{
    QString id;       // unique within the graph; the node name in DOT export
    QString title;    // first line (short repr or name)
    QString subtitle; // second line (type name), may be empty
    NodeKind kind = NodeKind::Object;
    bool highlighted = false;
    // Box size in scene units (1 unit = 1 Graphviz point). The view measures
    // its text with QFontMetrics; an empty size is estimated from the text.
    QSizeF size;
};

struct LayoutEdge
{
    int from = -1; // index into LayoutInput::nodes: the referrer
    int to = -1;   // the object referred to
    QString label; // attribute, key, index; may be empty
    bool highlighted = false;
};

struct LayoutInput
{
    enum class RankDir { TopToBottom, BottomToTop, LeftToRight, RightToLeft };

    std::vector<LayoutNode> nodes;
    std::vector<LayoutEdge> edges;
    RankDir rankDir = RankDir::TopToBottom;
    // Spacing in scene units.
    double nodeSeparation = 22;
    double rankSeparation = 40;
    // Font Graphviz uses to size edge labels; should match what the view draws.
    QString labelFontFamily = QStringLiteral("DejaVu Sans");
    double labelFontSize = 10;
    double nodeFontSize = 12; // for sizes estimated without a measured size
};

// Where Graphviz put one edge, in scene coordinates.
struct EdgeGeometry
{
    // Cubic Bezier from the source box to the base of the arrow head: a start
    // point, then three points per segment (two controls and an end point).
    std::vector<QPointF> bezier;
    // The arrow head points from its base to its tip, which touches the
    // target box. Without a head the curve itself ends at the target.
    bool hasArrow = false;
    QPointF arrowBase;
    QPointF arrowTip;
    // Centre and size of the label; an empty size when there is no label.
    QPointF labelPos;
    QSizeF labelSize;

    QPointF start() const { return bezier.empty() ? QPointF() : bezier.front(); }
    QPointF end() const { return hasArrow ? arrowTip : (bezier.empty() ? QPointF() : bezier.back()); }
};

// Geometry in scene coordinates (y downwards, origin at the top-left of the
// drawing), one entry per input node or edge, in input order.
struct LayoutResult
{
    std::vector<QRectF> nodeRects;
    std::vector<EdgeGeometry> edges;
    QRectF bounds;
};

// What a DOT text holds, as Graphviz reads it back (for checks and import).
struct DotGraphInfo
{
    struct Edge
    {
        QString from;
        QString to;
        QString label;
    };
    QStringList nodes;
    QStringList nodeLabels;
    std::vector<Edge> edges;
};

// Fill and border colours and the DOT shape of one node kind; the Qt view and
// the DOT/SVG export share this one palette.
struct NodeStyle
{
    quint32 fill;   // 0xRRGGBB
    quint32 border; // 0xRRGGBB
    quint32 text;   // 0xRRGGBB
    const char *dotShape;
    bool dashed;
};

// Lays a reference graph out with Graphviz `dot`. Every call into Graphviz
// holds one process-wide mutex (Graphviz is not thread-safe) and runs with the
// calling thread's LC_NUMERIC set to "C" (Graphviz parses and prints numbers
// with the C library). Safe to call from any thread; slow for big graphs, so
// views call it off the UI thread.
class GraphLayout
{
public:
    // Inputs past this many nodes are refused: the caller is expected to
    // collapse fan-in into "+N more" nodes long before.
    static constexpr int s_maxNodes = 2000;
    static constexpr int s_maxEdges = 10000;
    // Past this many nodes dot runs with fewer optimisation passes.
    static constexpr int s_quickLayoutNodes = 400;
    // Colours of edges and of a highlighted chain (0xRRGGBB).
    static constexpr quint32 s_edgeColor = 0x868e96;
    static constexpr quint32 s_highlightColor = 0xe64980;

    // `cancel` is checked before and after the Graphviz call (the call itself
    // cannot be interrupted).
    static Expected<LayoutResult> layout(const LayoutInput &input, const std::atomic_bool *cancel = nullptr);

    // The same graph as DOT text (node names are LayoutNode::id), with the
    // sizes, shapes and colours of the view, so `dot` reproduces the layout.
    static QByteArray toDot(const LayoutInput &input);

    // The graph laid out and rendered by Graphviz as SVG.
    static Expected<QByteArray> toSvg(const LayoutInput &input);
    // ... and as PNG (Graphviz's cairo or gd renderer, 96 dpi).
    static Expected<QByteArray> toPng(const LayoutInput &input);

    // Parses DOT text with Graphviz (agmemread).
    static Expected<DotGraphInfo> readDot(const QByteArray &dot);

    static NodeStyle style(NodeKind kind);

    // The node size used when LayoutNode::size is empty.
    static QSizeF estimatedSize(const LayoutNode &node, double fontSize);

private:
    // Lays the DOT export out with Graphviz and renders it (gvRenderData).
    static Expected<QByteArray> render(const LayoutInput &input, const char *format);
};

} // namespace leakscope
