#include "views/referencegraphview.h"

#include "core/jobrunner.h"
#include "views/referencegraphscene.h"

#include <QContextMenuEvent>
#include <QKeyEvent>
#include <QLoggingCategory>
#include <QMenu>
#include <QPainter>
#include <QScrollBar>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>
#include <optional>

namespace leakscope {

namespace {

Q_LOGGING_CATEGORY(lcGraphView, "leakscope.graphview")

constexpr double s_minZoom = 0.05;
constexpr double s_maxZoom = 8.0;
constexpr double s_margin = 24; // scene units around the graph
constexpr double s_maxFitZoom = 1.4;

} // namespace

struct ReferenceGraphView::LayoutJob
{
    LayoutInput input;
    std::optional<LayoutResult> result;
    QString error;
};

ReferenceGraphView::ReferenceGraphView(QWidget *parent)
    : QGraphicsView(parent)
    , m_scene(new ReferenceGraphScene(this))
    , m_layouts(new JobRunner(this))
    , m_emptyText(tr("Select a type in the growth table to see who keeps its objects alive"))
{
    setScene(m_scene);
    setDragMode(QGraphicsView::ScrollHandDrag);
    // Zoom anchors itself under the mouse in wheelEvent(); Qt's own anchor
    // reads the global cursor, which is wrong for synthetic wheel events.
    setTransformationAnchor(QGraphicsView::NoAnchor);
    setResizeAnchor(QGraphicsView::AnchorViewCenter);
    setRenderHints(QPainter::Antialiasing | QPainter::TextAntialiasing | QPainter::SmoothPixmapTransform);
    setViewportUpdateMode(QGraphicsView::SmartViewportUpdate);
    setBackgroundBrush(QColor(0xfc, 0xfc, 0xfd));
    setFocusPolicy(Qt::StrongFocus);
    setToolTip(QString());
}

ReferenceGraphView::~ReferenceGraphView() = default; // the runner cancels and waits

bool ReferenceGraphView::isLayoutRunning() const
{
    return m_layouts->isRunning();
}

void ReferenceGraphView::setGraph(LayoutInput graph, const QString &anchorId)
{
    m_anchorId.clear();
    if (const GraphNodeItem *item = m_scene->nodeItem(m_scene->indexOf(anchorId)); item && !anchorId.isEmpty()) {
        m_anchorId = anchorId;
        m_anchorViewportPos = viewportTransform().map(item->scenePos());
    }

    auto job = std::make_shared<LayoutJob>();
    job->input = m_scene->prepare(std::move(graph));
    // A newer graph (or clear()) supersedes this one: JobRunner sets its
    // cancel flag, which Graphviz's layout polls, and drops its result.
    m_layouts->start(tr("Laying out the reference graph"), [this, job](JobRunner::Context &context) -> std::function<void()> {
        Expected<LayoutResult> result = GraphLayout::layout(job->input, context.cancelFlag());
        if (context.isCancelled())
            return {};
        if (result)
            job->result = result.take();
        else
            job->error = result.error();
        return [this, job] { applyLayout(*job); };
    });
    viewport()->update();
    emit layoutStarted();
}

void ReferenceGraphView::applyLayout(const LayoutJob &job)
{
    if (!job.result) {
        m_error = job.error;
        qCWarning(lcGraphView) << "layout failed:" << m_error;
        viewport()->update();
        emit layoutFailed(m_error);
        return;
    }
    m_error.clear();
    m_scene->setGraph(job.input, *job.result);
    m_focused = -1;
    ++m_layoutsShown;

    const GraphNodeItem *anchor = m_anchorId.isEmpty() ? nullptr : m_scene->nodeItem(m_scene->indexOf(m_anchorId));
    if (anchor) {
        // Put the expanded node back where the user last saw it.
        setSceneRect(paddedBounds());
        keepScenePointAt(anchor->scenePos(), m_anchorViewportPos);
        m_fitPending = false;
    } else {
        fitToView();
    }
    m_anchorId.clear();
    viewport()->update();
    emit layoutFinished();
}

void ReferenceGraphView::clear()
{
    m_focused = -1;
    m_layouts->cancel();
    m_error.clear();
    m_anchorId.clear();
    m_scene->clearGraph();
    setSceneRect(QRectF());
    resetTransform();
    viewport()->update();
}

const LayoutInput &ReferenceGraphView::graph() const
{
    return m_scene->graph();
}

void ReferenceGraphView::setHighlighted(const std::vector<int> &nodes, const std::vector<int> &edges)
{
    m_scene->setHighlighted(nodes, edges);
}

void ReferenceGraphView::keepScenePointAt(const QPointF &scenePoint, const QPointF &viewportPos)
{
    // Centre the view on the scene point that puts `scenePoint` at
    // `viewportPos`, after growing the scene rect so that the scroll bars can
    // reach it (QGraphicsView centres a scene smaller than the viewport).
    const double z = zoom();
    const QPointF viewportCentre = QRectF(viewport()->rect()).center();
    const QPointF centre = scenePoint + (viewportCentre - viewportPos) / z;
    const QSizeF visible(viewport()->width() / z, viewport()->height() / z);
    const QRectF wanted(centre - QPointF(visible.width() / 2, visible.height() / 2), visible);
    setSceneRect(sceneRect().united(paddedBounds()).united(wanted.adjusted(-2, -2, 2, 2)));
    centerOn(centre);
}

QRectF ReferenceGraphView::paddedBounds() const
{
    return m_scene->graphBounds().adjusted(-s_margin, -s_margin, s_margin, s_margin);
}

void ReferenceGraphView::fitToView()
{
    if (m_scene->isEmpty())
        return;
    const QRectF bounds = paddedBounds();
    setSceneRect(bounds);
    fitInView(bounds, Qt::KeepAspectRatio);
    // Small graphs are drawn somewhat larger than their natural size in a
    // big view (legible on a 1920x1080 window), but not blown up.
    if (zoom() > s_maxFitZoom)
        setTransform(QTransform::fromScale(s_maxFitZoom, s_maxFitZoom));
    centerOn(bounds.center());
    m_fitPending = true;
}

double ReferenceGraphView::zoom() const
{
    return transform().m11();
}

void ReferenceGraphView::zoomBy(double factor)
{
    const double current = zoom();
    const double wanted = std::clamp(current * factor, s_minZoom, s_maxZoom);
    if (current <= 0 || qFuzzyCompare(wanted, current))
        return;
    const double f = wanted / current;
    scale(f, f);
    m_fitPending = false;
}

void ReferenceGraphView::setEmptyText(const QString &text)
{
    m_emptyText = text;
    viewport()->update();
}

QString ReferenceGraphView::placeholderText() const
{
    if (!m_scene->isEmpty())
        return QString();
    if (isLayoutRunning())
        return tr("Laying out the reference graph…");
    if (!m_error.isEmpty())
        return tr("The reference graph could not be drawn: %1").arg(m_error);
    return m_emptyText;
}

QByteArray ReferenceGraphView::toDot() const
{
    return GraphLayout::toDot(m_scene->graph());
}

Expected<QByteArray> ReferenceGraphView::toSvg() const
{
    return GraphLayout::toSvg(m_scene->graph());
}

QImage ReferenceGraphView::toImage(double scale) const
{
    return m_scene->toImage(scale);
}

QMenu *ReferenceGraphView::createContextMenu(int node)
{
    auto *menu = new QMenu(this);
    const GraphNodeItem *item = m_scene->nodeItem(node);
    if (item) {
        const bool real = item->kind() != NodeKind::Collapsed;
        QAction *chain = menu->addAction(tr("Chain to Root"), this, [this, node] { emit chainToRootRequested(node); });
        chain->setStatusTip(tr("Highlight the shortest chain of references from a module, class or frame"));
        chain->setEnabled(real);
        menu->addAction(tr("Hide Node"), this, [this, node] { emit hideNodeRequested(node); });
        QAction *copy = menu->addAction(tr("Copy Repr"), this, [this, node] { emit copyReprRequested(node); });
        copy->setEnabled(real);
        QAction *instances =
            menu->addAction(tr("Show Instances"), this, [this, node] { emit showInstancesRequested(node); });
        instances->setStatusTip(tr("Show other instances of this object's type"));
        instances->setEnabled(real);
        QAction *inspect = menu->addAction(tr("Inspect Object\u2026"), this, [this, node] { emit inspectRequested(node); });
        inspect->setStatusTip(tr("Open the object's type, sizes, fields and referrers in the inspector"));
        inspect->setEnabled(real);
        menu->addSeparator();
    }
    QAction *fit = menu->addAction(tr("Fit to View"), this, &ReferenceGraphView::fitToView);
    fit->setShortcut(QKeySequence(Qt::Key_F));
    fit->setEnabled(!m_scene->isEmpty());
    menu->addSeparator();
    const auto addExport = [&](const QString &text, ExportFormat format) {
        QAction *action = menu->addAction(text, this, [this, format] { emit exportRequested(format); });
        action->setEnabled(!m_scene->isEmpty());
    };
    addExport(tr("Export as DOT…"), ExportFormat::Dot);
    addExport(tr("Export as SVG…"), ExportFormat::Svg);
    addExport(tr("Export as PNG…"), ExportFormat::Png);
    return menu;
}

void ReferenceGraphView::wheelEvent(QWheelEvent *event)
{
    const int delta = event->angleDelta().y();
    if (delta == 0 || m_scene->isEmpty()) {
        QGraphicsView::wheelEvent(event);
        return;
    }
    // Keep the scene point under the mouse where it is.
    const QPointF mouse = event->position();
    const QPointF scenePoint = viewportTransform().inverted().map(mouse);
    zoomBy(std::pow(2.0, delta / 480.0));
    keepScenePointAt(scenePoint, mouse);
    event->accept();
}

void ReferenceGraphView::keyPressEvent(QKeyEvent *event)
{
    switch (event->key()) {
    case Qt::Key_F:
        fitToView();
        break;
    case Qt::Key_Plus:
    case Qt::Key_Equal:
        zoomBy(1.25);
        break;
    case Qt::Key_Minus:
        zoomBy(0.8);
        break;
    case Qt::Key_0:
        zoomBy(1.0 / zoom());
        break;
    default:
        QGraphicsView::keyPressEvent(event);
        return;
    }
    event->accept();
}

void ReferenceGraphView::mouseDoubleClickEvent(QMouseEvent *event)
{
    const int node = m_scene->nodeAt(mapToScene(event->position().toPoint()));
    if (node >= 0 && event->button() == Qt::LeftButton) {
        event->accept();
        emit nodeActivated(node);
        return;
    }
    QGraphicsView::mouseDoubleClickEvent(event);
}

void ReferenceGraphView::contextMenuEvent(QContextMenuEvent *event)
{
    const int node = m_scene->nodeAt(mapToScene(event->pos()));
    if (node >= 0)
        emit nodeContextMenuRequested(node, event->globalPos());
    std::unique_ptr<QMenu> menu(createContextMenu(node));
    menu->exec(event->globalPos());
    event->accept();
}

void ReferenceGraphView::focusNode(int node)
{
    m_focused = node >= 0 && node < m_scene->nodeCount() ? node : -1;
    if (m_focused >= 0)
        centerOn(m_scene->nodeItem(m_focused)->sceneBoundingRect().center());
    viewport()->update();
}

void ReferenceGraphView::drawForeground(QPainter *painter, const QRectF &rect)
{
    QGraphicsView::drawForeground(painter, rect);
    if (m_focused >= 0 && m_focused < m_scene->nodeCount()) {
        painter->save();
        QPen pen(palette().color(QPalette::Highlight), 3);
        pen.setCosmetic(true);
        painter->setPen(pen);
        painter->setBrush(Qt::NoBrush);
        painter->drawRoundedRect(m_scene->nodeItem(m_focused)->sceneBoundingRect().adjusted(-4, -4, 4, 4), 6, 6);
        painter->restore();
    }
    const QString text = placeholderText();
    if (text.isEmpty())
        return;
    painter->save();
    painter->resetTransform();
    QFont font = this->font();
    font.setPointSizeF(font.pointSizeF() * 1.1);
    painter->setFont(font);
    painter->setPen(m_error.isEmpty() ? palette().color(QPalette::PlaceholderText) : QColor(0xc9, 0x2a, 0x2a));
    const QRect area = viewport()->rect().adjusted(24, 24, -24, -24);
    painter->drawText(area, Qt::AlignCenter | Qt::TextWordWrap, text);
    painter->restore();
}

void ReferenceGraphView::resizeEvent(QResizeEvent *event)
{
    QGraphicsView::resizeEvent(event);
    // Until the user zooms, a fitted graph stays fitted.
    if (m_fitPending && !m_scene->isEmpty()) {
        fitToView();
    }
}

} // namespace leakscope
