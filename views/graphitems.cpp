#include "views/graphitems.h"

#include <QFontMetricsF>
#include <QPainter>
#include <QPainterPathStroker>
#include <QStyleOptionGraphicsItem>

#include <algorithm>
#include <cmath>

namespace leakscope {

namespace {

constexpr double s_maxTextWidth = 280;
constexpr double s_paddingX = 12;
constexpr double s_paddingY = 7;
constexpr double s_lineGap = 2;
constexpr double s_tabHeight = 6; // module "folder" tab
constexpr double s_bandHeight = 5; // class header band

// Extra width a shape needs beside its text (hexagon points, round ends).
double shapeExtraWidth(NodeKind kind, double height)
{
    switch (kind) {
    case NodeKind::Frame:
        return 16;
    case NodeKind::Function:
        return height * 0.45;
    default:
        return 0;
    }
}

double shapeExtraHeight(NodeKind kind)
{
    switch (kind) {
    case NodeKind::Root:
        return s_tabHeight;
    case NodeKind::Class:
        return s_bandHeight;
    default:
        return 0;
    }
}

QString singleLine(QString text)
{
    text.replace(QLatin1Char('\n'), QLatin1Char(' '));
    text.replace(QLatin1Char('\r'), QLatin1Char(' '));
    text.replace(QLatin1Char('\t'), QLatin1Char(' '));
    return text;
}

// Points along a cubic Bezier chain, a few per segment (QPainterPath's
// pointAtPercent measures the whole length on every call).
std::vector<QPointF> sampleCurve(const std::vector<QPointF> &points)
{
    constexpr int steps = 12;
    std::vector<QPointF> samples;
    if (points.empty())
        return samples;
    samples.reserve((points.size() / 3) * steps + 1);
    samples.push_back(points.front());
    for (size_t i = 0; i + 3 < points.size(); i += 3) {
        const QPointF &p0 = points[i], &p1 = points[i + 1], &p2 = points[i + 2], &p3 = points[i + 3];
        for (int k = 1; k <= steps; ++k) {
            const double t = double(k) / steps, u = 1 - t;
            samples.push_back(u * u * u * p0 + 3 * u * u * t * p1 + 3 * u * t * t * p2 + t * t * t * p3);
        }
    }
    return samples;
}

void prepareText(QStaticText &text, const QString &string, const QFont &font)
{
    // Reprs such as "<Session object at 0x…>" must never be taken for HTML.
    text.setTextFormat(Qt::PlainText);
    text.setPerformanceHint(QStaticText::AggressiveCaching);
    text.setText(string);
    text.prepare(QTransform(), font);
}

} // namespace

QColor graphColor(quint32 rgb)
{
    return QColor::fromRgb(QRgb(rgb | 0xff000000u));
}

QColor graphEdgeColor()
{
    return graphColor(GraphLayout::s_edgeColor);
}

QColor graphHighlightColor()
{
    return graphColor(GraphLayout::s_highlightColor);
}

GraphFonts GraphFonts::fromBase(const QFont &base)
{
    GraphFonts fonts;
    fonts.title = base;
    fonts.title.setPixelSize(12);
    fonts.subtitle = base;
    fonts.subtitle.setPixelSize(10);
    fonts.edgeLabel = base;
    fonts.edgeLabel.setPixelSize(11);
    return fonts;
}

NodeText NodeText::measure(const LayoutNode &node, const GraphFonts &fonts)
{
    QFont titleFont = fonts.title;
    if (node.kind == NodeKind::Target)
        titleFont.setBold(true);
    if (node.kind == NodeKind::Collapsed)
        titleFont.setItalic(true);
    const QFontMetricsF title(titleFont);
    const QFontMetricsF subtitle(fonts.subtitle);

    NodeText text;
    text.title = title.elidedText(singleLine(node.title), Qt::ElideRight, s_maxTextWidth);
    text.subtitle = subtitle.elidedText(singleLine(node.subtitle), Qt::ElideMiddle, s_maxTextWidth);
    double width = title.horizontalAdvance(text.title);
    double height = title.height();
    if (!text.subtitle.isEmpty()) {
        width = std::max(width, subtitle.horizontalAdvance(text.subtitle));
        height += s_lineGap + subtitle.height();
    }
    height += 2 * s_paddingY + shapeExtraHeight(node.kind);
    width += 2 * s_paddingX + shapeExtraWidth(node.kind, height);
    text.boxSize = QSizeF(std::ceil(std::max(width, 48.0)), std::ceil(height));
    return text;
}

GraphNodeItem::GraphNodeItem(int index, const LayoutNode &node, const QRectF &sceneRect, const GraphFonts &fonts)
    : m_index(index)
    , m_kind(node.kind)
    , m_text(NodeText::measure(node, fonts))
    , m_titleFont(fonts.title)
    , m_subtitleFont(fonts.subtitle)
    , m_highlighted(node.highlighted)
{
    const NodeStyle style = GraphLayout::style(node.kind);
    m_fill = graphColor(style.fill);
    m_border = graphColor(style.border);
    m_textColor = graphColor(style.text);
    if (m_kind == NodeKind::Target)
        m_titleFont.setBold(true);
    if (m_kind == NodeKind::Collapsed)
        m_titleFont.setItalic(true);
    prepareText(m_titleText, m_text.title, m_titleFont);
    prepareText(m_subtitleText, m_text.subtitle, m_subtitleFont);

    setPos(sceneRect.center());
    m_rect = QRectF(-sceneRect.width() / 2, -sceneRect.height() / 2, sceneRect.width(), sceneRect.height());
    setZValue(1);
    setAcceptedMouseButtons(Qt::NoButton);
    QString tip = node.title.toHtmlEscaped();
    if (!node.subtitle.isEmpty())
        tip += QStringLiteral("<br><i>") + node.subtitle.toHtmlEscaped() + QStringLiteral("</i>");
    setToolTip(tip);
}

void GraphNodeItem::setHighlighted(bool on)
{
    if (on == m_highlighted)
        return;
    m_highlighted = on;
    update();
}

QColor GraphNodeItem::borderColor() const
{
    return m_highlighted ? graphHighlightColor() : m_border;
}

QPainterPath GraphNodeItem::outline() const
{
    const QRectF r = m_rect;
    QPainterPath path;
    switch (m_kind) {
    case NodeKind::Target:
        path.addRoundedRect(r, 7, 7);
        break;
    case NodeKind::Object:
    case NodeKind::Collapsed:
        path.addRoundedRect(r, 4, 4);
        break;
    case NodeKind::Class:
        path.addRoundedRect(r, 2, 2);
        break;
    case NodeKind::Function:
        path.addRoundedRect(r, r.height() / 2, r.height() / 2);
        break;
    case NodeKind::Root: {
        // A folder: a tab on the top-left edge over the body.
        const QRectF body = r.adjusted(0, s_tabHeight, 0, 0);
        const double tabWidth = std::min(r.width() * 0.4, 56.0);
        QPainterPath bodyPath;
        bodyPath.addRoundedRect(body, 3, 3);
        QPolygonF tab;
        tab << QPointF(r.left(), body.top() + 3) << QPointF(r.left() + 2, r.top())
            << QPointF(r.left() + tabWidth - 4, r.top()) << QPointF(r.left() + tabWidth, body.top() + 1)
            << QPointF(r.left() + tabWidth, body.top() + 3);
        QPainterPath tabPath;
        tabPath.addPolygon(tab);
        tabPath.closeSubpath();
        path = bodyPath.united(tabPath);
        break;
    }
    case NodeKind::Frame: {
        const double inset = std::min(10.0, r.width() / 6);
        QPolygonF hexagon;
        hexagon << QPointF(r.left() + inset, r.top()) << QPointF(r.right() - inset, r.top())
                << QPointF(r.right(), r.center().y()) << QPointF(r.right() - inset, r.bottom())
                << QPointF(r.left() + inset, r.bottom()) << QPointF(r.left(), r.center().y());
        path.addPolygon(hexagon);
        path.closeSubpath();
        break;
    }
    }
    return path;
}

QRectF GraphNodeItem::boundingRect() const
{
    // Room for the highlight pen and the shadow.
    return m_rect.adjusted(-3, -3, 4, 4);
}

QPainterPath GraphNodeItem::shape() const
{
    QPainterPath path;
    path.addRect(m_rect);
    return path;
}

void GraphNodeItem::paint(QPainter *painter, const QStyleOptionGraphicsItem *, QWidget *)
{
    painter->setRenderHint(QPainter::Antialiasing);
    const QPainterPath path = outline();

    painter->setPen(Qt::NoPen);
    painter->setBrush(QColor(0, 0, 0, 28));
    painter->drawPath(path.translated(1.2, 1.6));

    QPen pen(borderColor(), m_highlighted ? 3.0 : (m_kind == NodeKind::Target ? 2.0 : 1.3));
    if (m_kind == NodeKind::Collapsed && !m_highlighted)
        pen.setStyle(Qt::DashLine);
    painter->setPen(pen);
    painter->setBrush(m_fill);
    painter->drawPath(path);

    QRectF body = m_rect;
    if (m_kind == NodeKind::Class) {
        painter->save();
        painter->setClipPath(path);
        painter->fillRect(QRectF(m_rect.left(), m_rect.top(), m_rect.width(), s_bandHeight), m_border);
        painter->restore();
        body.setTop(body.top() + s_bandHeight);
    } else if (m_kind == NodeKind::Root) {
        body.setTop(body.top() + s_tabHeight);
    }

    const QSizeF titleSize = m_titleText.size();
    const QSizeF subtitleSize = m_subtitleText.size();
    const bool hasSubtitle = !m_text.subtitle.isEmpty();
    const double textHeight = titleSize.height() + (hasSubtitle ? s_lineGap + subtitleSize.height() : 0);
    double y = body.center().y() - textHeight / 2;
    painter->setPen(m_textColor);
    painter->setFont(m_titleFont);
    painter->drawStaticText(QPointF(body.center().x() - titleSize.width() / 2, y), m_titleText);
    if (hasSubtitle) {
        y += titleSize.height() + s_lineGap;
        painter->setPen(QColor(0x5c, 0x63, 0x6a));
        painter->setFont(m_subtitleFont);
        painter->drawStaticText(QPointF(body.center().x() - subtitleSize.width() / 2, y), m_subtitleText);
    }
}

GraphEdgeItem::GraphEdgeItem(int index, const LayoutEdge &edge, const EdgeGeometry &geometry, const GraphFonts &fonts)
    : m_index(index)
    , m_label(singleLine(edge.label))
    , m_font(fonts.edgeLabel)
    , m_highlighted(edge.highlighted)
{
    const std::vector<QPointF> &points = geometry.bezier;
    if (!points.empty()) {
        m_path.moveTo(points.front());
        for (size_t i = 1; i + 2 < points.size(); i += 3)
            m_path.cubicTo(points[i], points[i + 1], points[i + 2]);
    }
    if (geometry.hasArrow) {
        const QPointF tip = geometry.arrowTip;
        const QPointF base = geometry.arrowBase;
        const QPointF d = tip - base;
        const double length = std::hypot(d.x(), d.y());
        if (length > 0.1) {
            const QPointF normal(-d.y() / length, d.x() / length);
            const double halfWidth = std::max(3.0, length * 0.38);
            m_arrow << tip << base + normal * halfWidth << base - normal * halfWidth;
        }
        if (m_path.elementCount() == 0)
            m_path.moveTo(base);
    }
    if (!m_label.isEmpty()) {
        prepareText(m_labelText, m_label, m_font);
        const QSizeF size = m_labelText.size() + QSizeF(4, 1);
        const QPointF centre = geometry.labelSize.isEmpty() ? m_path.pointAtPercent(0.5) : geometry.labelPos;
        m_labelRect = QRectF(centre.x() - size.width() / 2, centre.y() - size.height() / 2, size.width(), size.height());
        // dot puts the label beside its edge, but measured with its own
        // fonts; keep the text clear of the line it belongs to: to the right
        // of an edge that runs down (top-to-bottom drawing), above one that
        // runs across (left-to-right), where the line would strike the text.
        const std::vector<QPointF> samples = sampleCurve(points);
        const bool across = points.size() >= 2
            && std::abs(points.back().x() - points.front().x()) > std::abs(points.back().y() - points.front().y());
        if (across) {
            double lineTop = 1e9;
            bool strikes = false;
            const QRectF clear = m_labelRect.adjusted(-2, -2, 2, 2);
            for (const QPointF &p : samples) {
                if (p.x() < clear.left() || p.x() > clear.right())
                    continue;
                strikes = strikes || clear.contains(p);
                lineTop = std::min(lineTop, p.y());
            }
            if (strikes)
                m_labelRect.moveBottom(lineTop - 3);
        } else {
            double lineRight = -1e9;
            for (const QPointF &p : samples) {
                if (p.y() >= m_labelRect.top() - 2 && p.y() <= m_labelRect.bottom() + 2 && p.x() <= m_labelRect.center().x())
                    lineRight = std::max(lineRight, p.x());
            }
            if (lineRight + 4 > m_labelRect.left())
                m_labelRect.moveLeft(lineRight + 4);
        }
    }
    m_bounds = m_path.controlPointRect().united(m_arrow.boundingRect());
    if (!m_labelRect.isNull())
        m_bounds = m_bounds.united(m_labelRect);
    m_bounds.adjust(-3, -3, 3, 3);
    setAcceptedMouseButtons(Qt::NoButton);
    setToolTip(m_label);
}

void GraphEdgeItem::setHighlighted(bool on)
{
    if (on == m_highlighted)
        return;
    m_highlighted = on;
    setZValue(on ? 0.5 : 0);
    update();
}

QRectF GraphEdgeItem::boundingRect() const
{
    return m_bounds;
}

QPainterPath GraphEdgeItem::shape() const
{
    QPainterPathStroker stroker;
    stroker.setWidth(6);
    QPainterPath shape = stroker.createStroke(m_path);
    shape.addPolygon(m_arrow);
    if (!m_labelRect.isNull())
        shape.addRect(m_labelRect);
    return shape;
}

void GraphEdgeItem::paint(QPainter *painter, const QStyleOptionGraphicsItem *, QWidget *)
{
    painter->setRenderHint(QPainter::Antialiasing);
    const QColor colour = m_highlighted ? graphHighlightColor() : graphEdgeColor();
    QPen pen(colour, m_highlighted ? 3.0 : 1.2);
    pen.setCapStyle(Qt::RoundCap);
    painter->setPen(pen);
    painter->setBrush(Qt::NoBrush);
    painter->drawPath(m_path);
    if (!m_arrow.isEmpty()) {
        painter->setPen(QPen(colour, 1.0));
        painter->setBrush(colour);
        painter->drawPolygon(m_arrow);
    }
    if (!m_label.isEmpty()) {
        painter->setPen(Qt::NoPen);
        painter->setBrush(QColor(255, 255, 255, 225));
        painter->drawRoundedRect(m_labelRect, 3, 3);
        painter->setPen(m_highlighted ? graphHighlightColor().darker(130) : QColor(0x49, 0x50, 0x57));
        painter->setFont(m_font);
        painter->drawStaticText(m_labelRect.topLeft() + QPointF(2, 0.5), m_labelText);
    }
}

} // namespace leakscope
