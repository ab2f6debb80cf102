#pragma once

// Reference graphs for the layout and view tests (and the screenshot).

#include "graphlayout/graphlayout.h"

#include <QRandomGenerator>

namespace leakscope::graphviewtest {

inline LayoutNode node(const QString &id, const QString &title, const QString &subtitle, NodeKind kind)
{
    LayoutNode n;
    n.id = id;
    n.title = title;
    n.subtitle = subtitle;
    n.kind = kind;
    return n;
}

inline LayoutEdge edge(int from, int to, const QString &label = QString())
{
    LayoutEdge e;
    e.from = from;
    e.to = to;
    e.label = label;
    return e;
}

// What a leak in a web app looks like: a module global `_CACHE` dict keyed by
// user name holds lists of Session objects; a class attribute, a closure and
// a running frame hold a few more; twelve sessions are collapsed.
inline LayoutInput leakSample()
{
    LayoutInput g;
    g.nodes = {
        node(QStringLiteral("0x7f3a10"), QStringLiteral("__main__"), QStringLiteral("module"), NodeKind::Root),
        node(QStringLiteral("0x7f3a58"), QStringLiteral("{'__name__': '__main__', …}"), QStringLiteral("dict"),
             NodeKind::Object),
        node(QStringLiteral("0x7f4b00"), QStringLiteral("{'abc': […], 'xyz': […]}"), QStringLiteral("dict"),
             NodeKind::Object),
        node(QStringLiteral("0x7f4c40"), QStringLiteral("[<Session 17>, <Session 18>, …]"), QStringLiteral("list"),
             NodeKind::Object),
        node(QStringLiteral("0x7f5010"), QStringLiteral("<Session user='abc' id=17>"),
             QStringLiteral("__main__.Session"), NodeKind::Target),
        node(QStringLiteral("0x7f5090"), QStringLiteral("<Session user='abc' id=18>"),
             QStringLiteral("__main__.Session"), NodeKind::Target),
        node(QStringLiteral("0x7f5110"), QStringLiteral("<Session user='abc' id=19>"),
             QStringLiteral("__main__.Session"), NodeKind::Target),
        node(QStringLiteral("more:3"), QStringLiteral("+12 more"), QStringLiteral("__main__.Session"),
             NodeKind::Collapsed),
        node(QStringLiteral("0x7f2000"), QStringLiteral("Session"), QStringLiteral("type"), NodeKind::Class),
        node(QStringLiteral("0x7f2040"), QStringLiteral("[<Session 17>]"), QStringLiteral("list"), NodeKind::Object),
        node(QStringLiteral("0x7f6000"), QStringLiteral("on_close"), QStringLiteral("function"), NodeKind::Function),
        node(QStringLiteral("0x7f6040"), QStringLiteral("<cell: Session object>"), QStringLiteral("cell"),
             NodeKind::Object),
        node(QStringLiteral("0x7f7000"), QStringLiteral("handle_request() line 42"), QStringLiteral("frame"),
             NodeKind::Frame),
    };
    g.edges = {
        edge(0, 1, QStringLiteral("__dict__")),
        edge(1, 2, QStringLiteral("['_CACHE']")),
        edge(2, 3, QStringLiteral("['abc']")),
        edge(3, 4, QStringLiteral("[0]")),
        edge(3, 5, QStringLiteral("[1]")),
        edge(3, 6, QStringLiteral("[2]")),
        edge(3, 7, QStringLiteral("[3:15]")),
        edge(8, 9, QStringLiteral("_live")),
        edge(9, 4, QStringLiteral("[0]")),
        edge(10, 11, QStringLiteral("__closure__[0]")),
        edge(11, 5, QStringLiteral("cell_contents")),
        edge(12, 6, QStringLiteral("f_locals['session']")),
    };
    return g;
}

// A layered graph like a back-reference search gives: `targets` objects at
// the bottom, referrers above, a few cross edges, some labelled.
inline LayoutInput layeredGraph(int nodes, quint32 seed = 42)
{
    QRandomGenerator rng(seed);
    LayoutInput g;
    g.nodes.reserve(size_t(nodes));
    const NodeKind kinds[] = {NodeKind::Object, NodeKind::Object, NodeKind::Object, NodeKind::Class,
                              NodeKind::Function, NodeKind::Frame, NodeKind::Root};
    for (int i = 0; i < nodes; ++i) {
        const NodeKind kind = i < 5 ? NodeKind::Target : kinds[rng.bounded(int(std::size(kinds)))];
        g.nodes.push_back(node(QStringLiteral("0x%1").arg(0x7f0000 + i * 48, 0, 16),
                               QStringLiteral("obj %1 %2").arg(i).arg(QString(int(rng.bounded(12)), QLatin1Char('x'))),
                               i % 3 ? QStringLiteral("dict") : QString(), kind));
    }
    for (int i = 1; i < nodes; ++i) {
        // Each node is referred to by one earlier node, and sometimes another.
        const int parent = int(rng.bounded(i));
        g.edges.push_back(edge(i, parent, i % 2 ? QStringLiteral("[%1]").arg(i) : QString()));
        if (i > 10 && rng.bounded(4) == 0)
            g.edges.push_back(edge(i, int(rng.bounded(i)), QStringLiteral("attr_%1").arg(i)));
    }
    return g;
}

} // namespace leakscope::graphviewtest
