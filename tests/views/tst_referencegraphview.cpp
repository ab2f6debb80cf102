// The reference graph view, offscreen: items per node, colours per kind,
// fit, zoom, pan-steady re-layout, signals, exports, and the screenshot.

#include "views/graphitems.h"
#include "testutil/graphviewsample.h"
#include "views/referencegraphscene.h"
#include "views/referencegraphview.h"

#include <QAction>
#include <QApplication>
#include <QBuffer>
#include <QDir>
#include <QMenu>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QThreadPool>
#include <QTimer>
#include <QTest>
#include <QWheelEvent>

#include <set>

using namespace leakscope;
using namespace leakscope::graphviewtest;

namespace {

template <typename Item>
int countItems(const QGraphicsScene *scene)
{
    int n = 0;
    for (const QGraphicsItem *item : scene->items())
        n += item->type() == Item::Type;
    return n;
}

// Share of pixels that are not (near) white.
double inkShare(const QImage &image)
{
    if (image.isNull())
        return 0;
    const QImage rgb = image.convertToFormat(QImage::Format_RGB32);
    qint64 ink = 0;
    for (int y = 0; y < rgb.height(); ++y) {
        const QRgb *line = reinterpret_cast<const QRgb *>(rgb.constScanLine(y));
        for (int x = 0; x < rgb.width(); ++x)
            ink += qRed(line[x]) < 235 || qGreen(line[x]) < 235 || qBlue(line[x]) < 235;
    }
    return double(ink) / (qint64(rgb.width()) * rgb.height());
}

QPointF viewportPos(const ReferenceGraphView &view, int node)
{
    return view.viewportTransform().map(view.graphScene()->nodeItem(node)->scenePos());
}

QAction *findAction(QMenu *menu, const QString &text)
{
    for (QAction *action : menu->actions()) {
        if (action->text() == text)
            return action;
    }
    return nullptr;
}

// The sample with `extra` more referrers of node `of`.
LayoutInput expanded(LayoutInput g, int of, int extra)
{
    for (int i = 0; i < extra; ++i) {
        g.nodes.push_back(node(QStringLiteral("new%1").arg(i), QStringLiteral("{'k%1': …}").arg(i),
                               QStringLiteral("dict"), NodeKind::Object));
        g.edges.push_back(edge(int(g.nodes.size()) - 1, of, QStringLiteral("['k%1']").arg(i)));
    }
    return g;
}

} // namespace

class TestReferenceGraphView : public QObject
{
    Q_OBJECT

private slots:
    void emptyState();
    void showsOneItemPerNodeAndEdge();
    void textFitsItsBox();
    void coloursByKindDiffer();
    void fitToViewShowsEverything();
    void wheelZoomKeepsPointUnderMouse();
    void dragPans();
    void relayoutKeepsAnchorSteady();
    void staleLayoutIsDropped();
    void failedLayoutShowsError();
    void doubleClickActivatesNode();
    void contextMenuActions();
    void contextMenuEventNamesNode();
    void destroyedWhileLayoutRuns();
    void highlightChain();
    void exports();
    void screenshot();

private:
    static bool waitForLayout(ReferenceGraphView &view, quint64 shown)
    {
        return QTest::qWaitFor([&] { return view.layoutsShown() >= shown && !view.isLayoutRunning(); }, 20000);
    }
};

void TestReferenceGraphView::emptyState()
{
    ReferenceGraphView view;
    view.resize(600, 400);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QCOMPARE(view.placeholderText(),
             QStringLiteral("Select a type in the growth table to see who keeps its objects alive"));
    // The hint is painted, not just stored.
    const QImage empty = view.grab().toImage();
    QVERIFY(inkShare(empty) > 0.001);

    view.setGraph(leakSample());
    QVERIFY(view.placeholderText().contains(QStringLiteral("Laying out")));
    QVERIFY(waitForLayout(view, 1));
    QVERIFY(view.placeholderText().isEmpty());
    view.clear();
    QCOMPARE(view.graphScene()->nodeCount(), 0);
    QVERIFY(view.placeholderText().startsWith(QStringLiteral("Select a type")));
}

void TestReferenceGraphView::showsOneItemPerNodeAndEdge()
{
    ReferenceGraphView view;
    QSignalSpy finished(&view, &ReferenceGraphView::layoutFinished);
    const LayoutInput input = layeredGraph(120, 5);
    view.setGraph(input);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 20000);
    QCOMPARE(countItems<GraphNodeItem>(view.graphScene()), int(input.nodes.size()));
    QCOMPARE(countItems<GraphEdgeItem>(view.graphScene()), int(input.edges.size()));
    for (size_t i = 0; i < input.nodes.size(); ++i) {
        QCOMPARE(view.graphScene()->indexOf(input.nodes[i].id), int(i));
        QCOMPARE(view.graphScene()->nodeItem(int(i))->kind(), input.nodes[i].kind);
    }
    // Edges run from box to box in the scene, as laid out.
    for (size_t i = 0; i < input.edges.size(); ++i) {
        const GraphEdgeItem *e = view.graphScene()->edgeItem(int(i));
        const QRectF from = view.graphScene()->nodeItem(input.edges[i].from)->sceneBoundingRect();
        const QRectF to = view.graphScene()->nodeItem(input.edges[i].to)->sceneBoundingRect();
        QVERIFY2(from.adjusted(-3, -3, 3, 3).contains(e->path().pointAtPercent(0)), qPrintable(QString::number(i)));
        QVERIFY(!e->arrowHead().isEmpty());
        QVERIFY2(to.adjusted(-3, -3, 3, 3).contains(e->arrowHead().first()), qPrintable(QString::number(i)));
        QCOMPARE(e->label(), input.edges[i].label);
    }
}

void TestReferenceGraphView::textFitsItsBox()
{
    ReferenceGraphView view;
    LayoutInput input = leakSample();
    input.nodes[3].title = QStringLiteral("[") + QString(400, QLatin1Char('x')) + QStringLiteral("]");
    view.setGraph(input);
    QVERIFY(waitForLayout(view, 1));
    const GraphFonts &fonts = view.graphScene()->fonts();
    for (int i = 0; i < view.graphScene()->nodeCount(); ++i) {
        const GraphNodeItem *item = view.graphScene()->nodeItem(i);
        QFont title = fonts.title;
        title.setBold(item->kind() == NodeKind::Target);
        title.setItalic(item->kind() == NodeKind::Collapsed);
        const double textWidth = std::max(QFontMetricsF(title).horizontalAdvance(item->title()),
                                          QFontMetricsF(fonts.subtitle).horizontalAdvance(item->subtitle()));
        const QRectF box = item->outline().boundingRect();
        QVERIFY2(textWidth + 16 <= box.width(), qPrintable(item->title()));
        QVERIFY(QFontMetricsF(title).height() + QFontMetricsF(fonts.subtitle).height() < box.height());
    }
    // The long repr was cut, not drawn past its box.
    QVERIFY(view.graphScene()->nodeItem(3)->title().size() < 100);
    QVERIFY(view.graphScene()->nodeItem(3)->title().endsWith(QChar(0x2026)));
}

void TestReferenceGraphView::coloursByKindDiffer()
{
    const NodeKind kinds[] = {NodeKind::Target, NodeKind::Object, NodeKind::Root, NodeKind::Class,
                              NodeKind::Function, NodeKind::Frame, NodeKind::Collapsed};
    LayoutInput input;
    for (NodeKind kind : kinds)
        input.nodes.push_back(node(QString::number(int(kind)), QStringLiteral("n"), QString(), kind));
    ReferenceGraphView view;
    view.setGraph(input);
    QVERIFY(waitForLayout(view, 1));
    std::set<QRgb> fills, borders;
    std::set<QString> outlines;
    for (int i = 0; i < view.graphScene()->nodeCount(); ++i) {
        const GraphNodeItem *item = view.graphScene()->nodeItem(i);
        fills.insert(item->fillColor().rgb());
        borders.insert(item->borderColor().rgb());
        // Shape: element count of the outline tells rounded boxes, tabs and hexagons apart.
        outlines.insert(QString::number(item->kind() == NodeKind::Collapsed ? -1 : item->outline().elementCount()));
    }
    QCOMPARE(int(fills.size()), int(std::size(kinds)));
    // Object and "+N more" share a grey border; "+N more" is dashed instead.
    QVERIFY(int(borders.size()) >= int(std::size(kinds)) - 1);
    QVERIFY(outlines.size() >= 4);
    QVERIFY(GraphLayout::style(NodeKind::Collapsed).dashed);
}

void TestReferenceGraphView::fitToViewShowsEverything()
{
    ReferenceGraphView view;
    view.resize(640, 480);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.setGraph(layeredGraph(200, 11));
    QVERIFY(waitForLayout(view, 1));

    const auto allVisible = [&view] {
        const QRectF visible = view.mapToScene(view.viewport()->rect()).boundingRect().adjusted(-1, -1, 1, 1);
        for (const QGraphicsItem *item : view.graphScene()->items()) {
            if (!visible.contains(item->sceneBoundingRect()))
                return false;
        }
        return true;
    };
    QVERIFY(allVisible());
    QVERIFY(view.zoom() < 1.0); // a 200-node graph needed shrinking

    view.zoomBy(4);
    QVERIFY(!allVisible());
    QTest::keyClick(&view, Qt::Key_F);
    QVERIFY(allVisible());

    // A small graph is drawn a little larger than its natural size (legible
    // in a big window), but not blown up.
    LayoutInput small;
    small.nodes = {node(QStringLiteral("a"), QStringLiteral("a"), QString(), NodeKind::Root),
                   node(QStringLiteral("b"), QStringLiteral("b"), QString(), NodeKind::Target)};
    small.edges = {edge(0, 1, QStringLiteral("x"))};
    view.setGraph(small);
    QVERIFY(waitForLayout(view, 2));
    QVERIFY(allVisible());
    QCOMPARE(view.zoom(), 1.4);
}

void TestReferenceGraphView::wheelZoomKeepsPointUnderMouse()
{
    ReferenceGraphView view;
    view.resize(640, 480);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.setGraph(layeredGraph(150, 2));
    QVERIFY(waitForLayout(view, 1));

    const QPointF mouse(420, 150);
    const QPointF scenePoint = view.viewportTransform().inverted().map(mouse);
    const double before = view.zoom();
    QWheelEvent wheel(mouse, view.viewport()->mapToGlobal(mouse), QPoint(), QPoint(0, 240), Qt::NoButton,
                      Qt::NoModifier, Qt::NoScrollPhase, false);
    QApplication::sendEvent(view.viewport(), &wheel);
    QVERIFY(view.zoom() > before * 1.3);
    const QPointF after = view.viewportTransform().map(scenePoint);
    QVERIFY2(QLineF(after, mouse).length() < 2.0,
             qPrintable(QStringLiteral("%1,%2").arg(after.x()).arg(after.y())));

    QWheelEvent back(mouse, view.viewport()->mapToGlobal(mouse), QPoint(), QPoint(0, -240), Qt::NoButton,
                     Qt::NoModifier, Qt::NoScrollPhase, false);
    QApplication::sendEvent(view.viewport(), &back);
    QVERIFY(qAbs(view.zoom() - before) < 1e-6);
}

void TestReferenceGraphView::dragPans()
{
    ReferenceGraphView view;
    view.resize(640, 480);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QSignalSpy started(&view, &ReferenceGraphView::layoutStarted);
    view.setGraph(layeredGraph(150, 4));
    QCOMPARE(started.count(), 1);
    QVERIFY(waitForLayout(view, 1));
    // Zoomed in far enough to scroll both ways.
    view.zoomBy(2.0 / view.zoom());
    view.centerOn(view.graphScene()->graphBounds().center());
    QVERIFY(view.horizontalScrollBar()->maximum() > 200 && view.verticalScrollBar()->maximum() > 200);

    const QPoint from(400, 300);
    const QPoint to = from - QPoint(120, 80);
    const QPointF grabbed = view.mapToScene(from);
    QWidget *viewport = view.viewport();
    const auto send = [viewport](QEvent::Type type, QPoint pos, Qt::MouseButton button, Qt::MouseButtons buttons) {
        QMouseEvent event(type, QPointF(pos), viewport->mapToGlobal(QPointF(pos)), button, buttons, Qt::NoModifier);
        QApplication::sendEvent(viewport, &event);
    };
    send(QEvent::MouseButtonPress, from, Qt::LeftButton, Qt::LeftButton);
    for (int i = 1; i <= 4; ++i)
        send(QEvent::MouseMove, from + (to - from) * i / 4, Qt::NoButton, Qt::LeftButton);
    send(QEvent::MouseButtonRelease, to, Qt::LeftButton, Qt::NoButton);
    // The scene point that was under `from` is now under `to`.
    const QPointF now = view.viewportTransform().map(grabbed);
    QVERIFY2(QLineF(now, QPointF(to)).length() < 3,
             qPrintable(QStringLiteral("%1,%2").arg(now.x()).arg(now.y())));
}

void TestReferenceGraphView::relayoutKeepsAnchorSteady()
{
    ReferenceGraphView view;
    view.resize(700, 500);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    const LayoutInput first = leakSample();
    view.setGraph(first);
    QVERIFY(waitForLayout(view, 1));

    // The user zooms in and looks at the dict `_CACHE`, then expands it.
    view.zoomBy(1.5);
    const int anchor = 2;
    view.centerOn(view.graphScene()->nodeItem(anchor)->scenePos() + QPointF(60, 40));
    const QPointF beforeScene = view.graphScene()->nodeItem(anchor)->scenePos();
    const QPointF before = viewportPos(view, anchor);
    const double zoom = view.zoom();

    const LayoutInput second = expanded(first, anchor, 6);
    view.setGraph(second, first.nodes[anchor].id);
    QVERIFY(waitForLayout(view, 2));
    QCOMPARE(view.graphScene()->nodeCount(), int(second.nodes.size()));
    const int newIndex = view.graphScene()->indexOf(first.nodes[anchor].id);
    QVERIFY(newIndex >= 0);
    // The layout moved the node in the scene, the view moved with it.
    QVERIFY(QLineF(view.graphScene()->nodeItem(newIndex)->scenePos(), beforeScene).length() > 5);
    const QPointF after = viewportPos(view, newIndex);
    QVERIFY2(QLineF(before, after).length() <= 2.0, qPrintable(QStringLiteral("(%1,%2) -> (%3,%4)")
                                                                   .arg(before.x())
                                                                   .arg(before.y())
                                                                   .arg(after.x())
                                                                   .arg(after.y())));
    QCOMPARE(view.zoom(), zoom);
}

void TestReferenceGraphView::staleLayoutIsDropped()
{
    ReferenceGraphView view;
    QSignalSpy finished(&view, &ReferenceGraphView::layoutFinished);
    view.setGraph(layeredGraph(250, 1)); // slow, and replaced before it ends
    view.setGraph(leakSample());
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 20000);
    QVERIFY(QTest::qWaitFor([&view] { return !view.isLayoutRunning(); }, 20000));
    QCOMPARE(view.graphScene()->nodeCount(), int(leakSample().nodes.size()));
    // The first job finishing late must not replace the newer graph.
    QTest::qWait(50);
    QTRY_COMPARE_WITH_TIMEOUT(view.graphScene()->nodeCount(), int(leakSample().nodes.size()), 1000);
    QCOMPARE(finished.count(), 1);
    QCOMPARE(view.layoutsShown(), quint64(1));
}

void TestReferenceGraphView::failedLayoutShowsError()
{
    ReferenceGraphView view;
    QSignalSpy failed(&view, &ReferenceGraphView::layoutFailed);
    view.setGraph(layeredGraph(GraphLayout::s_maxNodes + 1));
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 10000);
    QVERIFY(failed.first().first().toString().contains(QStringLiteral("2001 nodes")));
    QVERIFY(view.placeholderText().contains(QStringLiteral("2001 nodes")));
    QCOMPARE(view.graphScene()->nodeCount(), 0);
}

void TestReferenceGraphView::doubleClickActivatesNode()
{
    ReferenceGraphView view;
    view.resize(700, 500);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.setGraph(leakSample());
    QVERIFY(waitForLayout(view, 1));
    QSignalSpy activated(&view, &ReferenceGraphView::nodeActivated);
    const int node = 7; // "+12 more"
    const QPoint pos = view.mapFromScene(view.graphScene()->nodeItem(node)->scenePos());
    QTest::mouseDClick(view.viewport(), Qt::LeftButton, Qt::NoModifier, pos);
    QCOMPARE(activated.count(), 1);
    QCOMPARE(activated.first().first().toInt(), node);

    // Double-click on empty space activates nothing.
    QTest::mouseDClick(view.viewport(), Qt::LeftButton, Qt::NoModifier, QPoint(2, 2));
    QCOMPARE(activated.count(), 1);
}

void TestReferenceGraphView::contextMenuActions()
{
    ReferenceGraphView view;
    view.setGraph(leakSample());
    QVERIFY(waitForLayout(view, 1));

    QSignalSpy chain(&view, &ReferenceGraphView::chainToRootRequested);
    QSignalSpy hide(&view, &ReferenceGraphView::hideNodeRequested);
    QSignalSpy copy(&view, &ReferenceGraphView::copyReprRequested);
    QSignalSpy instances(&view, &ReferenceGraphView::showInstancesRequested);
    QSignalSpy exports(&view, &ReferenceGraphView::exportRequested);

    std::unique_ptr<QMenu> menu(view.createContextMenu(4));
    findAction(menu.get(), QStringLiteral("Chain to Root"))->trigger();
    findAction(menu.get(), QStringLiteral("Hide Node"))->trigger();
    findAction(menu.get(), QStringLiteral("Copy Repr"))->trigger();
    findAction(menu.get(), QStringLiteral("Show Instances"))->trigger();
    findAction(menu.get(), QStringLiteral("Export as SVG…"))->trigger();
    QCOMPARE(chain.count(), 1);
    QCOMPARE(chain.first().first().toInt(), 4);
    QCOMPARE(hide.first().first().toInt(), 4);
    QCOMPARE(copy.first().first().toInt(), 4);
    QCOMPARE(instances.first().first().toInt(), 4);
    QCOMPARE(exports.first().first().value<ReferenceGraphView::ExportFormat>(), ReferenceGraphView::ExportFormat::Svg);

    // "+N more" stands for no one object: no chain, no repr.
    std::unique_ptr<QMenu> more(view.createContextMenu(7));
    QVERIFY(!findAction(more.get(), QStringLiteral("Chain to Root"))->isEnabled());
    QVERIFY(!findAction(more.get(), QStringLiteral("Copy Repr"))->isEnabled());
    QVERIFY(findAction(more.get(), QStringLiteral("Hide Node"))->isEnabled());

    // The background menu has no node actions.
    std::unique_ptr<QMenu> background(view.createContextMenu(-1));
    QVERIFY(!findAction(background.get(), QStringLiteral("Chain to Root")));
    QVERIFY(findAction(background.get(), QStringLiteral("Fit to View"))->isEnabled());
}

void TestReferenceGraphView::contextMenuEventNamesNode()
{
    ReferenceGraphView view;
    view.resize(700, 500);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.setGraph(leakSample());
    QVERIFY(waitForLayout(view, 1));
    QSignalSpy requested(&view, &ReferenceGraphView::nodeContextMenuRequested);
    const int node = 12; // the frame
    const QPoint pos = view.mapFromScene(view.graphScene()->nodeItem(node)->scenePos());
    // The menu runs its own event loop; close it once it is up.
    bool sawMenu = false;
    QTimer::singleShot(0, &view, [&sawMenu] {
        if (QWidget *popup = QApplication::activePopupWidget()) {
            sawMenu = qobject_cast<QMenu *>(popup) != nullptr;
            popup->close();
        }
    });
    QContextMenuEvent event(QContextMenuEvent::Mouse, pos, view.viewport()->mapToGlobal(pos));
    QApplication::sendEvent(view.viewport(), &event);
    QCOMPARE(requested.count(), 1);
    QCOMPARE(requested.first().at(0).toInt(), node);
    QCOMPARE(requested.first().at(1).toPoint(), view.viewport()->mapToGlobal(pos));
    QVERIFY(sawMenu);
}

void TestReferenceGraphView::destroyedWhileLayoutRuns()
{
    {
        ReferenceGraphView view;
        view.setGraph(layeredGraph(300, 9));
        QVERIFY(view.isLayoutRunning());
    }
    // The orphaned job finishes (or sees its cancel flag) without a view to
    // report to.
    QVERIFY(QThreadPool::globalInstance()->waitForDone(30000));
    ReferenceGraphView next;
    next.setGraph(leakSample());
    QVERIFY(waitForLayout(next, 1));
}

void TestReferenceGraphView::highlightChain()
{
    ReferenceGraphView view;
    view.setGraph(leakSample());
    QVERIFY(waitForLayout(view, 1));
    ReferenceGraphScene *scene = view.graphScene();
    view.setHighlighted({0, 1, 2, 3, 4}, {0, 1, 2, 3});
    QVERIFY(scene->nodeItem(4)->isHighlighted());
    QVERIFY(!scene->nodeItem(5)->isHighlighted());
    QCOMPARE(scene->nodeItem(4)->borderColor(), graphHighlightColor());
    QVERIFY(scene->edgeItem(3)->isHighlighted());
    QVERIFY(!scene->edgeItem(4)->isHighlighted());
    // The export carries the highlight.
    QVERIFY(view.toDot().contains("penwidth=3"));
    view.setHighlighted({}, {});
    QVERIFY(!scene->nodeItem(4)->isHighlighted());
    QVERIFY(!view.toDot().contains("penwidth=3"));
}

void TestReferenceGraphView::exports()
{
    ReferenceGraphView view;
    QVERIFY(view.toImage().isNull());
    const LayoutInput input = leakSample();
    view.setGraph(input);
    QVERIFY(waitForLayout(view, 1));

    const Expected<DotGraphInfo> dot = GraphLayout::readDot(view.toDot());
    QVERIFY2(dot.ok(), qPrintable(dot.error()));
    QCOMPARE(dot.value().nodes.size(), qsizetype(input.nodes.size()));
    for (const LayoutNode &n : input.nodes)
        QVERIFY(dot.value().nodes.contains(n.id));
    QStringList labels;
    for (const DotGraphInfo::Edge &e : dot.value().edges)
        labels << e.label;
    for (const LayoutEdge &e : input.edges)
        QVERIFY2(labels.contains(e.label), qPrintable(e.label));

    const Expected<QByteArray> svg = view.toSvg();
    QVERIFY2(svg.ok(), qPrintable(svg.error()));
    QVERIFY(svg.value().contains("<svg"));

    const QImage image = view.toImage(2.0);
    QVERIFY(!image.isNull());
    QByteArray png;
    QBuffer buffer(&png);
    QVERIFY(buffer.open(QIODevice::WriteOnly));
    QVERIFY(image.save(&buffer, "PNG"));
    const QImage decoded = QImage::fromData(png, "PNG");
    QCOMPARE(decoded.size(), image.size());
    const QRectF bounds = view.graphScene()->graphBounds();
    QVERIFY(decoded.width() >= bounds.width() * 2);
    // Boxes, text and edges, not a blank page...
    QVERIFY2(inkShare(decoded) > 0.08, qPrintable(QString::number(inkShare(decoded))));
    // ...with the target's red border somewhere.
    bool red = false;
    const QColor border = graphColor(GraphLayout::style(NodeKind::Target).border);
    for (int y = 0; y < decoded.height() && !red; y += 2) {
        for (int x = 0; x < decoded.width() && !red; ++x) {
            const QColor c = decoded.pixelColor(x, y);
            red = qAbs(c.red() - border.red()) < 10 && qAbs(c.green() - border.green()) < 10
                && qAbs(c.blue() - border.blue()) < 10;
        }
    }
    QVERIFY(red);
}

void TestReferenceGraphView::screenshot()
{
    // LEAKSCOPE_SCREENSHOT_DIR=docs refreshes docs/screenshot-references.png.
    QTemporaryDir tmp;
    const QString dir = qEnvironmentVariableIsSet("LEAKSCOPE_SCREENSHOT_DIR")
        ? qEnvironmentVariable("LEAKSCOPE_SCREENSHOT_DIR")
        : tmp.path();
    ReferenceGraphView view;
    view.resize(980, 600);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    LayoutInput input = leakSample();
    view.setGraph(input);
    QVERIFY(waitForLayout(view, 1));
    // The chain to root of the first session, as "Chain to Root" shows it.
    view.setHighlighted({0, 1, 2, 3, 4}, {0, 1, 2, 3});
    const QImage shot = view.grab().toImage();
    QVERIFY(inkShare(shot) > 0.05);
    const QString path = QDir(dir).filePath(QStringLiteral("screenshot-references.png"));
    QVERIFY2(shot.save(path), qPrintable(path));
}

QTEST_MAIN(TestReferenceGraphView)
#include "tst_referencegraphview.moc"
