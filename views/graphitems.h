#pragma once

#include "graphlayout/graphlayout.h"

#include <QColor>
#include <QFont>
#include <QGraphicsItem>
#include <QPainterPath>
#include <QPolygonF>
#include <QStaticText>

namespace leakscope {

// Fonts of the reference graph, in pixel sizes (one scene unit is one
// Graphviz point, so a 12 px font is what Graphviz calls fontsize 12).
struct GraphFonts
{
    QFont title;
    QFont subtitle;
    QFont edgeLabel;

    static GraphFonts fromBase(const QFont &base);
};

// The text a node shows (cut to fit a maximum width) and the box it needs.
struct NodeText
{
    QString title;
    QString subtitle;
    QSizeF boxSize;

    static NodeText measure(const LayoutNode &node, const GraphFonts &fonts);
};

// One node of the reference graph: a box whose colour and shape say what it
// is (target, module, class, function, frame, "+N more"). Light on purpose:
// no QObject, text laid out once.
class GraphNodeItem : public QGraphicsItem
{
public:
    enum { Type = UserType + 601 };

    GraphNodeItem(int index, const LayoutNode &node, const QRectF &sceneRect, const GraphFonts &fonts);

    int index() const { return m_index; }
    NodeKind kind() const { return m_kind; }
    QString title() const { return m_text.title; }
    QString subtitle() const { return m_text.subtitle; }
    bool isHighlighted() const { return m_highlighted; }
    void setHighlighted(bool on);
    QColor fillColor() const { return m_fill; }
    QColor borderColor() const;
    // The node's outline in item coordinates.
    QPainterPath outline() const;

    int type() const override { return Type; }
    QRectF boundingRect() const override;
    QPainterPath shape() const override;
    void paint(QPainter *painter, const QStyleOptionGraphicsItem *option, QWidget *widget) override;

private:
    int m_index;
    NodeKind m_kind;
    NodeText m_text;
    QRectF m_rect; // item coordinates, origin at the box centre
    QColor m_fill;
    QColor m_border;
    QColor m_textColor;
    QFont m_titleFont;
    QFont m_subtitleFont;
    QStaticText m_titleText;
    QStaticText m_subtitleText;
    bool m_highlighted = false;
};

// One reference, drawn as Graphviz routed it: a curve, an arrow head at the
// object referred to, and a small label (attribute, key, index).
class GraphEdgeItem : public QGraphicsItem
{
public:
    enum { Type = UserType + 602 };

    GraphEdgeItem(int index, const LayoutEdge &edge, const EdgeGeometry &geometry, const GraphFonts &fonts);

    int index() const { return m_index; }
    QString label() const { return m_label; }
    const QPainterPath &path() const { return m_path; }
    const QPolygonF &arrowHead() const { return m_arrow; }
    QRectF labelRect() const { return m_labelRect; }
    bool isHighlighted() const { return m_highlighted; }
    void setHighlighted(bool on);

    int type() const override { return Type; }
    QRectF boundingRect() const override;
    QPainterPath shape() const override;
    void paint(QPainter *painter, const QStyleOptionGraphicsItem *option, QWidget *widget) override;

private:
    int m_index;
    QString m_label;
    QPainterPath m_path;
    QPolygonF m_arrow;
    QRectF m_labelRect;
    QFont m_font;
    QStaticText m_labelText;
    QRectF m_bounds;
    bool m_highlighted = false;
};

// Colours shared by items and the view.
QColor graphColor(quint32 rgb);
QColor graphEdgeColor();
QColor graphHighlightColor();

} // namespace leakscope
