#include "graphlayout/graphlayout.h"

#include <QCoreApplication>
#include <QLoggingCategory>

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

#include <clocale>
#include <cmath>
#include <locale.h>
#include <mutex>
#include <utility>

namespace leakscope {

namespace {

Q_LOGGING_CATEGORY(lcGraphLayout, "leakscope.graphlayout")

QString tr(const char *text)
{
    return QCoreApplication::translate("leakscope::GraphLayout", text);
}

constexpr double s_pointsPerInch = 72.0;

// Graphviz keeps global state everywhere (lexer, plugin tables, error
// callback), so every call into it, from any thread, holds this one mutex.
std::mutex &graphvizMutex()
{
    static std::mutex mutex;
    return mutex;
}

// Graphviz messages collected while the mutex is held, for error texts.
QByteArray &graphvizMessages()
{
    static QByteArray messages;
    return messages;
}

// Graphviz hands a message over in pieces ("Error", ": ", the text).
int collectGraphvizMessage(char *message)
{
    graphvizMessages().append(message);
    return 0;
}

// One context for the whole process, created on first use under the mutex.
// It is never freed: plugins stay loaded until exit, which is what the
// `dot` command does too.
GVC_t *graphvizContext()
{
    static GVC_t *context = [] {
        agseterrf(collectGraphvizMessage);
        return gvContext();
    }();
    return context;
}

// Holds the Graphviz mutex and gives this thread LC_NUMERIC "C" for the
// duration: Graphviz reads "0.5" with strtod and prints with printf, which
// would use ',' under a German locale. uselocale() keeps other threads'
// numbers untouched, unlike setlocale().
class GraphvizCall
{
public:
    GraphvizCall()
        : m_lock(graphvizMutex())
    {
        locale_t base = duplocale(uselocale(locale_t(nullptr)));
        if (base) {
            m_locale = newlocale(LC_NUMERIC_MASK, "C", base);
            if (m_locale)
                m_previous = uselocale(m_locale);
            else
                freelocale(base);
        }
        graphvizMessages().clear();
    }
    ~GraphvizCall()
    {
        if (!graphvizMessages().isEmpty())
            qCDebug(lcGraphLayout) << "graphviz:" << graphvizMessages().simplified();
        if (m_locale) {
            uselocale(m_previous);
            freelocale(m_locale);
        }
    }
    GraphvizCall(const GraphvizCall &) = delete;
    GraphvizCall &operator=(const GraphvizCall &) = delete;

    GVC_t *context() const { return graphvizContext(); }

    // Graphviz's own words, for the end of an error text.
    static QString messages()
    {
        const QString text = QString::fromUtf8(graphvizMessages()).simplified();
        if (text.isEmpty())
            return QString();
        return QStringLiteral(" (") + text + QStringLiteral(")");
    }

private:
    std::unique_lock<std::mutex> m_lock;
    locale_t m_locale = locale_t(nullptr);
    locale_t m_previous = locale_t(nullptr);
};

// cgraph takes `char *` for names and values it never writes.
char *cstr(const char *text)
{
    return const_cast<char *>(text);
}

// Numbers for Graphviz attributes, always with '.' whatever the locale.
QByteArray number(double value)
{
    QByteArray text = QByteArray::number(value, 'f', 4);
    while (text.endsWith('0'))
        text.chop(1);
    if (text.endsWith('.'))
        text.chop(1);
    return text;
}

QByteArray inches(double points)
{
    return number(std::max(points, 1.0) / s_pointsPerInch);
}

QByteArray color(quint32 rgb)
{
    return '#' + QByteArray::number(rgb | 0x1000000, 16).mid(1);
}

const char *rankDirName(LayoutInput::RankDir dir)
{
    switch (dir) {
    case LayoutInput::RankDir::TopToBottom:
        return "TB";
    case LayoutInput::RankDir::BottomToTop:
        return "BT";
    case LayoutInput::RankDir::LeftToRight:
        return "LR";
    case LayoutInput::RankDir::RightToLeft:
        return "RL";
    }
    return "TB";
}

// Text for a Graphviz label: backslashes are escape characters there.
QByteArray labelText(const QString &text)
{
    QByteArray out;
    const QByteArray utf8 = text.toUtf8();
    out.reserve(utf8.size());
    for (char c : utf8) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else if (c != '\r')
            out += c;
    }
    return out;
}

// A DOT quoted string: only '"' is special inside one.
QByteArray quoted(const QByteArray &text)
{
    QByteArray out = "\"";
    for (char c : text) {
        if (c == '"')
            out += "\\\"";
        else
            out += c;
    }
    // A final backslash would escape the closing quote, and DOT has no way
    // to write one; a space keeps the text readable.
    if (out.endsWith('\\'))
        out += ' ';
    out += '"';
    return out;
}

QString nodeLabel(const LayoutNode &node)
{
    return node.subtitle.isEmpty() ? node.title : node.title + QLatin1Char('\n') + node.subtitle;
}

QSizeF nodeSize(const LayoutNode &node, const LayoutInput &input)
{
    const QSizeF size = node.size.isEmpty() ? GraphLayout::estimatedSize(node, input.nodeFontSize) : node.size;
    // Graphviz rounds node sizes to whole points; round up here so the box it
    // returns is never smaller than the one the view measured.
    return QSizeF(std::ceil(size.width()), std::ceil(size.height()));
}

Status validate(const LayoutInput &input)
{
    const int nodes = int(input.nodes.size());
    if (input.nodes.size() > size_t(GraphLayout::s_maxNodes))
        return Status::failure(tr("the reference graph has %1 nodes, more than the %2 that can be laid out; "
                                  "lower the node cap or hide nodes")
                                   .arg(input.nodes.size())
                                   .arg(GraphLayout::s_maxNodes));
    if (input.edges.size() > size_t(GraphLayout::s_maxEdges))
        return Status::failure(tr("the reference graph has %1 edges, more than the %2 that can be laid out")
                                   .arg(input.edges.size())
                                   .arg(GraphLayout::s_maxEdges));
    for (size_t i = 0; i < input.edges.size(); ++i) {
        const LayoutEdge &e = input.edges[i];
        if (e.from < 0 || e.from >= nodes || e.to < 0 || e.to >= nodes)
            return Status::failure(tr("reference graph edge %1 joins nodes %2 and %3, but the graph has %4 nodes")
                                       .arg(i)
                                       .arg(e.from)
                                       .arg(e.to)
                                       .arg(nodes));
    }
    return {};
}

// Fewer crossing-minimisation and network-simplex passes: about half the
// time of dot's defaults on graphs past a few hundred nodes, where a layout
// otherwise takes tens of seconds (2000 nodes: 12 s -> 5 s of CPU).
std::vector<std::pair<const char *, const char *>> quickLayoutAttributes()
{
    return {{"mclimit", "0.3"}, {"nslimit", "1"}, {"nslimit1", "1"}};
}

bool cancelled(const std::atomic_bool *cancel)
{
    return cancel && cancel->load(std::memory_order_relaxed);
}

// Owns a laid-out cgraph graph: gvFreeLayout before agclose, always.
class GraphHandle
{
public:
    GraphHandle(GVC_t *context, Agraph_t *graph)
        : m_context(context)
        , m_graph(graph)
    {
    }
    ~GraphHandle()
    {
        if (m_graph) {
            if (m_laidOut)
                gvFreeLayout(m_context, m_graph);
            agclose(m_graph);
        }
    }
    GraphHandle(const GraphHandle &) = delete;
    GraphHandle &operator=(const GraphHandle &) = delete;

    Agraph_t *get() const { return m_graph; }
    bool layout()
    {
        m_laidOut = gvLayout(m_context, m_graph, "dot") == 0;
        return m_laidOut;
    }

private:
    GVC_t *m_context;
    Agraph_t *m_graph;
    bool m_laidOut = false;
};

// Graphviz points (72 per inch, y upwards, origin anywhere) to scene
// coordinates (y downwards, origin at the top-left of the bounding box).
// The only place that converts.
class SceneMapper
{
public:
    explicit SceneMapper(boxf bb)
        : m_bb(bb)
    {
    }
    QPointF point(pointf p) const { return QPointF(p.x - m_bb.LL.x, m_bb.UR.y - p.y); }
    QRectF bounds() const { return QRectF(0, 0, m_bb.UR.x - m_bb.LL.x, m_bb.UR.y - m_bb.LL.y); }

private:
    boxf m_bb;
};

EdgeGeometry edgeGeometry(Agedge_t *edge, const SceneMapper &map)
{
    EdgeGeometry geometry;
    const splines *spl = ED_spl(edge);
    if (spl) {
        for (int b = 0; b < spl->size; ++b) {
            const bezier &bz = spl->list[b];
            if (bz.size <= 0)
                continue;
            if (!geometry.bezier.empty()) {
                // Join separate pieces with a straight segment.
                const QPointF last = geometry.bezier.back();
                const QPointF first = map.point(bz.list[0]);
                geometry.bezier.push_back(last);
                geometry.bezier.push_back(first);
                geometry.bezier.push_back(first);
            } else {
                geometry.bezier.reserve(size_t(bz.size));
            }
            for (int i = geometry.bezier.empty() ? 0 : 1; i < bz.size; ++i)
                geometry.bezier.push_back(map.point(bz.list[i]));
            if (b == spl->size - 1 && bz.eflag) {
                geometry.hasArrow = true;
                geometry.arrowBase = map.point(bz.list[bz.size - 1]);
                geometry.arrowTip = map.point(bz.ep);
            }
        }
    }
    if (const textlabel_t *label = ED_label(edge); label && label->set) {
        geometry.labelPos = map.point(label->pos);
        geometry.labelSize = QSizeF(label->dimen.x, label->dimen.y);
    }
    return geometry;
}

} // namespace

NodeStyle GraphLayout::style(NodeKind kind)
{
    switch (kind) {
    case NodeKind::Target:
        return {0xffe3e3, 0xc92a2a, 0x212529, "box", false};
    case NodeKind::Object:
        return {0xf8f9fa, 0x868e96, 0x212529, "box", false};
    case NodeKind::Root:
        return {0xd3f9d8, 0x2b8a3e, 0x212529, "folder", false};
    case NodeKind::Class:
        return {0xdbe4ff, 0x3b5bdb, 0x212529, "box", false};
    case NodeKind::Function:
        return {0xf3d9fa, 0x862e9c, 0x212529, "ellipse", false};
    case NodeKind::Frame:
        return {0xffe8cc, 0xd9480f, 0x212529, "hexagon", false};
    case NodeKind::Collapsed:
        return {0xf1f3f5, 0x868e96, 0x495057, "box", true};
    }
    return {0xf8f9fa, 0x868e96, 0x212529, "box", false};
}

QSizeF GraphLayout::estimatedSize(const LayoutNode &node, double fontSize)
{
    // Average glyph width of a sans-serif font is a bit over half its size.
    const double chars = std::max<double>(node.title.size(), node.subtitle.size() * 0.9);
    const int lines = node.subtitle.isEmpty() ? 1 : 2;
    return QSizeF(std::max(40.0, chars * fontSize * 0.6 + 20), lines * fontSize * 1.35 + 12);
}

Expected<LayoutResult> GraphLayout::layout(const LayoutInput &input, const std::atomic_bool *cancel)
{
    if (const Status status = validate(input); !status)
        return Expected<LayoutResult>::failure(status.error());
    const auto cancelledResult = [] {
        return Expected<LayoutResult>::failure(tr("graph layout cancelled"));
    };
    if (cancelled(cancel))
        return cancelledResult();

    LayoutResult result;
    if (input.nodes.empty())
        return result;

    // Sizes are computed before taking the lock, to hold it as briefly as possible.
    std::vector<QByteArray> widths, heights, edgeLabels;
    widths.reserve(input.nodes.size());
    heights.reserve(input.nodes.size());
    for (const LayoutNode &node : input.nodes) {
        const QSizeF size = nodeSize(node, input);
        widths.push_back(inches(size.width()));
        heights.push_back(inches(size.height()));
    }
    edgeLabels.reserve(input.edges.size());
    for (const LayoutEdge &edge : input.edges)
        edgeLabels.push_back(labelText(edge.label));

    GraphvizCall call;
    if (cancelled(cancel))
        return cancelledResult();

    GraphHandle graph(call.context(), agopen(cstr("leakscope"), Agdirected, nullptr));
    Agraph_t *g = graph.get();
    if (!g)
        return Expected<LayoutResult>::failure(tr("Graphviz could not create a graph") + GraphvizCall::messages());

    agattr(g, AGRAPH, cstr("rankdir"), cstr(rankDirName(input.rankDir)));
    agattr(g, AGRAPH, cstr("nodesep"), inches(input.nodeSeparation).data());
    agattr(g, AGRAPH, cstr("ranksep"), inches(input.rankSeparation).data());
    if (input.nodes.size() > size_t(GraphLayout::s_quickLayoutNodes)) {
        for (const auto &[name, value] : quickLayoutAttributes())
            agattr(g, AGRAPH, cstr(name), cstr(value));
    }
    // Fixed boxes measured by the view: dot must not size them from text.
    agattr(g, AGNODE, cstr("shape"), cstr("box"));
    agattr(g, AGNODE, cstr("fixedsize"), cstr("true"));
    agattr(g, AGNODE, cstr("label"), cstr(""));
    Agsym_t *widthSym = agattr(g, AGNODE, cstr("width"), cstr("0.75"));
    Agsym_t *heightSym = agattr(g, AGNODE, cstr("height"), cstr("0.5"));
    const QByteArray fontName = input.labelFontFamily.toUtf8();
    const QByteArray fontSize = number(input.labelFontSize);
    agattr(g, AGEDGE, cstr("fontname"), cstr(fontName.constData()));
    agattr(g, AGEDGE, cstr("fontsize"), cstr(fontSize.constData()));
    agattr(g, AGEDGE, cstr("arrowsize"), cstr("0.8"));
    Agsym_t *labelSym = agattr(g, AGEDGE, cstr("label"), cstr(""));

    std::vector<Agnode_t *> nodes;
    nodes.reserve(input.nodes.size());
    for (size_t i = 0; i < input.nodes.size(); ++i) {
        // Internal names: user ids may repeat or hold anything.
        const QByteArray name = 'n' + QByteArray::number(quint64(i));
        Agnode_t *n = agnode(g, cstr(name.constData()), 1);
        agxset(n, widthSym, widths[i].data());
        agxset(n, heightSym, heights[i].data());
        nodes.push_back(n);
    }
    std::vector<Agedge_t *> edges;
    edges.reserve(input.edges.size());
    for (size_t i = 0; i < input.edges.size(); ++i) {
        const LayoutEdge &e = input.edges[i];
        const QByteArray name = 'e' + QByteArray::number(quint64(i));
        Agedge_t *edge = agedge(g, nodes[size_t(e.from)], nodes[size_t(e.to)], cstr(name.constData()), 1);
        if (!edgeLabels[i].isEmpty())
            agxset(edge, labelSym, edgeLabels[i].data());
        edges.push_back(edge);
    }

    if (!graph.layout())
        return Expected<LayoutResult>::failure(tr("Graphviz dot could not lay out the reference graph")
                                               + GraphvizCall::messages());
    if (cancelled(cancel))
        return cancelledResult();

    const SceneMapper map(GD_bb(g));
    result.bounds = map.bounds();
    result.nodeRects.reserve(nodes.size());
    for (Agnode_t *n : nodes) {
        const QPointF centre = map.point(ND_coord(n));
        const double w = ND_width(n) * s_pointsPerInch;
        const double h = ND_height(n) * s_pointsPerInch;
        result.nodeRects.emplace_back(centre.x() - w / 2, centre.y() - h / 2, w, h);
    }
    result.edges.reserve(edges.size());
    for (Agedge_t *edge : edges)
        result.edges.push_back(edgeGeometry(edge, map));
    return result;
}

QByteArray GraphLayout::toDot(const LayoutInput &input)
{
    const QByteArray font = quoted(input.labelFontFamily.toUtf8());
    QByteArray dot;
    dot += "digraph leakscope {\n";
    dot += "  graph [rankdir=" + QByteArray(rankDirName(input.rankDir)) + ", nodesep=" + inches(input.nodeSeparation)
        + ", ranksep=" + inches(input.rankSeparation) + ", fontname=" + font;
    if (input.nodes.size() > size_t(GraphLayout::s_quickLayoutNodes)) {
        for (const auto &[name, value] : quickLayoutAttributes())
            dot += ", " + QByteArray(name) + '=' + value;
    }
    dot += "];\n";
    dot += "  node [fixedsize=true, margin=0, fontname=" + font + ", fontsize=" + number(input.nodeFontSize) + "];\n";
    dot += "  edge [fontname=" + font + ", fontsize=" + number(input.labelFontSize) + ", arrowsize=0.8, color=\""
        + color(GraphLayout::s_edgeColor) + "\", fontcolor=\"#495057\"];\n";
    for (const LayoutNode &node : input.nodes) {
        const NodeStyle s = style(node.kind);
        const QSizeF size = nodeSize(node, input);
        QByteArray styles = "filled";
        if (qstrcmp(s.dotShape, "box") == 0 && node.kind != NodeKind::Class)
            styles += ",rounded";
        if (s.dashed)
            styles += ",dashed";
        dot += "  " + quoted(node.id.toUtf8()) + " [label=" + quoted(labelText(nodeLabel(node)))
            + ", width=" + inches(size.width()) + ", height=" + inches(size.height()) + ", shape=" + s.dotShape
            + ", style=\"" + styles + "\", fillcolor=\"" + color(s.fill) + "\", color=\""
            + color(node.highlighted ? GraphLayout::s_highlightColor : s.border) + "\", fontcolor=\"" + color(s.text) + '"'
            + (node.highlighted ? ", penwidth=3" : ", penwidth=1.2") + "];\n";
    }
    for (const LayoutEdge &edge : input.edges) {
        if (edge.from < 0 || edge.to < 0 || size_t(edge.from) >= input.nodes.size()
            || size_t(edge.to) >= input.nodes.size())
            continue;
        dot += "  " + quoted(input.nodes[size_t(edge.from)].id.toUtf8()) + " -> "
            + quoted(input.nodes[size_t(edge.to)].id.toUtf8());
        QByteArrayList attrs;
        if (!edge.label.isEmpty())
            attrs << "label=" + quoted(labelText(edge.label));
        if (edge.highlighted)
            attrs << "color=\"" + color(GraphLayout::s_highlightColor) + "\", penwidth=3";
        if (!attrs.isEmpty())
            dot += " [" + attrs.join(", ") + ']';
        dot += ";\n";
    }
    dot += "}\n";
    return dot;
}

Expected<QByteArray> GraphLayout::toSvg(const LayoutInput &input)
{
    return render(input, "svg");
}

Expected<QByteArray> GraphLayout::toPng(const LayoutInput &input)
{
    return render(input, "png");
}

Expected<QByteArray> GraphLayout::render(const LayoutInput &input, const char *format)
{
    if (const Status status = validate(input); !status)
        return Expected<QByteArray>::failure(status.error());
    // Through the DOT text, so the file matches the DOT export exactly.
    const QByteArray dot = toDot(input);

    GraphvizCall call;
    GraphHandle graph(call.context(), agmemread(dot.constData()));
    if (!graph.get())
        return Expected<QByteArray>::failure(tr("Graphviz could not read the reference graph") + GraphvizCall::messages());
    if (!graph.layout())
        return Expected<QByteArray>::failure(tr("Graphviz dot could not lay out the reference graph")
                                             + GraphvizCall::messages());
    char *data = nullptr;
    unsigned int length = 0;
    const int status = gvRenderData(call.context(), graph.get(), format, &data, &length);
    if (status != 0 || !data || length == 0) {
        if (data)
            gvFreeRenderData(data);
        return Expected<QByteArray>::failure(tr("Graphviz could not render the reference graph as %1")
                                                 .arg(QString::fromLatin1(format).toUpper())
                                             + GraphvizCall::messages());
    }
    QByteArray bytes(data, int(length));
    gvFreeRenderData(data);
    return bytes;
}

Expected<DotGraphInfo> GraphLayout::readDot(const QByteArray &dot)
{
    // agmemread wants a NUL-terminated string; QByteArray guarantees one.
    GraphvizCall call;
    GraphHandle graph(call.context(), agmemread(dot.constData()));
    Agraph_t *g = graph.get();
    if (!g)
        return Expected<DotGraphInfo>::failure(tr("Graphviz could not read the DOT text") + GraphvizCall::messages());

    // Labels hold Graphviz escapes; give back the text they stand for.
    const auto unescape = [](const char *raw) {
        QByteArray out;
        for (const char *p = raw; p && *p; ++p) {
            if (*p == '\\' && p[1]) {
                ++p;
                out += (*p == 'n' || *p == 'l' || *p == 'r') ? '\n' : *p;
            } else {
                out += *p;
            }
        }
        return QString::fromUtf8(out);
    };

    DotGraphInfo info;
    for (Agnode_t *n = agfstnode(g); n; n = agnxtnode(g, n)) {
        info.nodes << QString::fromUtf8(agnameof(n));
        info.nodeLabels << unescape(agget(n, cstr("label")));
    }
    for (Agnode_t *n = agfstnode(g); n; n = agnxtnode(g, n)) {
        for (Agedge_t *e = agfstout(g, n); e; e = agnxtout(g, e)) {
            info.edges.push_back({QString::fromUtf8(agnameof(agtail(e))), QString::fromUtf8(agnameof(aghead(e))),
                                  unescape(agget(e, cstr("label")))});
        }
    }
    return info;
}

} // namespace leakscope
