#pragma once

#include "graphlayout/graphlayout.h"

#include <QGraphicsView>
#include <QImage>
#include <QPointF>

#include <atomic>
#include <memory>
#include <vector>

class QMenu;

namespace leakscope {

class JobRunner;
class ReferenceGraphScene;

// The References tab: who keeps the selected objects alive, laid out by
// Graphviz off the UI thread and drawn with light items. Wheel zooms under
// the mouse, dragging pans, F fits the graph to the view. Double-click and
// the context menu only emit signals; the controller decides what they do.
class ReferenceGraphView : public QGraphicsView
{
    Q_OBJECT
public:
    enum class ExportFormat { Dot, Svg, Png };
    Q_ENUM(ExportFormat)

    explicit ReferenceGraphView(QWidget *parent = nullptr);
    ~ReferenceGraphView() override;

    // Lays `graph` out in the background and shows it when done; a newer call
    // drops the result of an older one. With `anchorId` naming a node that is
    // on screen now (the one the user expanded), that node stays at the same
    // place in the viewport; otherwise the new graph is fitted to the view.
    void setGraph(LayoutInput graph, const QString &anchorId = QString());
    // Back to the empty state.
    void clear();

    // The graph on screen (with measured node sizes), empty before the first
    // layout has finished.
    const LayoutInput &graph() const;
    ReferenceGraphScene *graphScene() const { return m_scene; }
    bool isLayoutRunning() const;
    // Zero until the first layout finishes; counts layouts shown.
    quint64 layoutsShown() const { return m_layoutsShown; }

    // Highlights a chain (input indices) without a new layout.
    void setHighlighted(const std::vector<int> &nodes, const std::vector<int> &edges);

    // Find in graph: marks `node` (an input index; -1: none) with a ring and
    // centres the view on it without changing the zoom.
    void focusNode(int node);
    int focusedNode() const { return m_focused; }

    void fitToView();
    void zoomBy(double factor);
    double zoom() const;

    void setEmptyText(const QString &text);
    // What the view says when there is no graph: the empty-state hint, the
    // layout in progress, or why the last layout failed.
    QString placeholderText() const;
    QString lastError() const { return m_error; }

    // Exports of the graph on screen; writing files is the caller's part.
    QByteArray toDot() const;
    Expected<QByteArray> toSvg() const;
    QImage toImage(double scale = 2.0) const;

    // The menu the view shows for `node` (or for the background with -1);
    // the caller owns it. Its actions emit the signals below.
    QMenu *createContextMenu(int node);

signals:
    // A layout began in the background (the old graph stays on screen).
    void layoutStarted();
    void layoutFinished();
    void layoutFailed(const QString &error);
    void nodeActivated(int node);
    void nodeContextMenuRequested(int node, const QPoint &globalPos);
    void chainToRootRequested(int node);
    void hideNodeRequested(int node);
    void copyReprRequested(int node);
    void showInstancesRequested(int node);
    void inspectRequested(int node);
    void exportRequested(leakscope::ReferenceGraphView::ExportFormat format);

protected:
    void wheelEvent(QWheelEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;
    void mouseDoubleClickEvent(QMouseEvent *event) override;
    void contextMenuEvent(QContextMenuEvent *event) override;
    void drawForeground(QPainter *painter, const QRectF &rect) override;
    void resizeEvent(QResizeEvent *event) override;

private:
    struct LayoutJob;
    void applyLayout(const LayoutJob &job);
    QRectF paddedBounds() const;
    void keepScenePointAt(const QPointF &scenePoint, const QPointF &viewportPos);

    ReferenceGraphScene *m_scene;
    JobRunner *m_layouts; // one layout at a time; a newer one supersedes it
    quint64 m_layoutsShown = 0;
    bool m_fitPending = false;
    QString m_emptyText;
    QString m_error;
    // The node to keep in place across a re-layout, and where it was.
    QString m_anchorId;
    int m_focused = -1;
    QPointF m_anchorViewportPos;
};

} // namespace leakscope
