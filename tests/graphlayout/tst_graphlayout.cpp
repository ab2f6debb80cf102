// Graphviz layout of the reference graph: geometry, bad input, the locale
// guard, threads, DOT and SVG export.

#include "graphlayout/graphlayout.h"
#include "testutil/graphviewsample.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QtConcurrent/QtConcurrentRun>

#include <clocale>
#include <cmath>
#include <cstdlib>
#include <langinfo.h>
#include <locale.h>

using namespace leakscope;
using namespace leakscope::graphviewtest;

Q_DECLARE_METATYPE(leakscope::LayoutInput)

namespace {

double distance(const QPointF &p, const QRectF &r)
{
    const double dx = std::max({r.left() - p.x(), 0.0, p.x() - r.right()});
    const double dy = std::max({r.top() - p.y(), 0.0, p.y() - r.bottom()});
    return std::hypot(dx, dy);
}

// Everything a drawing needs holds: boxes as big as asked and apart, edges
// running from box to box, labels placed, all inside the bounds.
QString checkGeometry(const LayoutInput &input, const LayoutResult &result)
{
    if (result.nodeRects.size() != input.nodes.size() || result.edges.size() != input.edges.size())
        return QStringLiteral("result has %1 nodes and %2 edges for %3 and %4")
            .arg(result.nodeRects.size())
            .arg(result.edges.size())
            .arg(input.nodes.size())
            .arg(input.edges.size());
    const QRectF bounds = result.bounds.adjusted(-1, -1, 1, 1);
    for (size_t i = 0; i < input.nodes.size(); ++i) {
        const QRectF r = result.nodeRects[i];
        const QSizeF want = input.nodes[i].size.isEmpty() ? GraphLayout::estimatedSize(input.nodes[i], 12)
                                                          : input.nodes[i].size;
        if (r.width() + 0.5 < want.width() || r.height() + 0.5 < want.height())
            return QStringLiteral("node %1 is %2x%3, asked %4x%5")
                .arg(i)
                .arg(r.width())
                .arg(r.height())
                .arg(want.width())
                .arg(want.height());
        if (!bounds.contains(r))
            return QStringLiteral("node %1 lies outside the bounds").arg(i);
        for (size_t j = i + 1; j < input.nodes.size(); ++j) {
            const QRectF overlap = r.intersected(result.nodeRects[j]);
            if (overlap.width() * overlap.height() > 0.01)
                return QStringLiteral("nodes %1 and %2 overlap").arg(i).arg(j);
        }
    }
    for (size_t i = 0; i < input.edges.size(); ++i) {
        const LayoutEdge &e = input.edges[i];
        const EdgeGeometry &g = result.edges[i];
        if (g.bezier.size() < 4 || (g.bezier.size() - 1) % 3 != 0)
            return QStringLiteral("edge %1 has %2 Bezier points").arg(i).arg(g.bezier.size());
        const double atSource = distance(g.start(), result.nodeRects[size_t(e.from)]);
        const double atTarget = distance(g.end(), result.nodeRects[size_t(e.to)]);
        if (atSource > 3 || atTarget > 3)
            return QStringLiteral("edge %1 starts %2 px from its source and ends %3 px from its target")
                .arg(i)
                .arg(atSource)
                .arg(atTarget);
        if (!g.hasArrow)
            return QStringLiteral("edge %1 has no arrow head").arg(i);
        if (e.label.isEmpty() != g.labelSize.isEmpty())
            return QStringLiteral("edge %1 label '%2' has size %3x%4")
                .arg(i)
                .arg(e.label)
                .arg(g.labelSize.width())
                .arg(g.labelSize.height());
        if (!e.label.isEmpty() && !bounds.contains(g.labelPos))
            return QStringLiteral("edge %1 label lies outside the bounds").arg(i);
    }
    return QString();
}

bool sameGeometry(const LayoutResult &a, const LayoutResult &b)
{
    if (a.nodeRects.size() != b.nodeRects.size() || a.edges.size() != b.edges.size())
        return false;
    const auto near = [](QPointF p, QPointF q) { return std::abs(p.x() - q.x()) < 0.01 && std::abs(p.y() - q.y()) < 0.01; };
    for (size_t i = 0; i < a.nodeRects.size(); ++i) {
        if (!near(a.nodeRects[i].topLeft(), b.nodeRects[i].topLeft())
            || !near(a.nodeRects[i].bottomRight(), b.nodeRects[i].bottomRight()))
            return false;
    }
    for (size_t i = 0; i < a.edges.size(); ++i) {
        if (a.edges[i].bezier.size() != b.edges[i].bezier.size() || !near(a.edges[i].end(), b.edges[i].end())
            || !near(a.edges[i].labelPos, b.edges[i].labelPos))
            return false;
    }
    return true;
}

bool usesDecimalComma(const char *name)
{
    locale_t loc = newlocale(LC_NUMERIC_MASK, name, locale_t(nullptr));
    if (!loc)
        return false;
    const bool comma = QByteArray(nl_langinfo_l(RADIXCHAR, loc)) == ",";
    freelocale(loc);
    return comma;
}

LayoutInput withSizes(LayoutInput input)
{
    for (LayoutNode &n : input.nodes)
        n.size = QSizeF(std::ceil(GraphLayout::estimatedSize(n, 12).width()) + 7.4, 37.6);
    return input;
}

} // namespace

class TestGraphLayout : public QObject
{
    Q_OBJECT

private slots:
    void layoutGeometry_data();
    void layoutGeometry();
    void layout300Nodes();
    void emptyGraph();
    void rejectsBadInput_data();
    void rejectsBadInput();
    void cancelled();
    void decimalCommaLocale();
    void concurrentCalls();
    void dotRoundTrip_data();
    void dotRoundTrip();
    void readDotRejectsGarbage_data();
    void readDotRejectsGarbage();
    void svgExport();
    void pngExport();

private:
    QTemporaryDir m_localeDir;
};

void TestGraphLayout::layoutGeometry_data()
{
    QTest::addColumn<LayoutInput>("input");

    QTest::newRow("leak sample with every node kind") << leakSample();
    QTest::newRow("leak sample, measured sizes") << withSizes(leakSample());

    LayoutInput single;
    single.nodes = {node(QStringLiteral("a"), QStringLiteral("alone"), QString(), NodeKind::Target)};
    QTest::newRow("one node, no edges") << single;

    LayoutInput fanIn;
    fanIn.nodes.push_back(node(QStringLiteral("t"), QStringLiteral("<Session>"), QStringLiteral("Session"), NodeKind::Target));
    for (int i = 0; i < 30; ++i) {
        fanIn.nodes.push_back(node(QString::number(i), QStringLiteral("referrer %1").arg(i), QStringLiteral("dict"), NodeKind::Object));
        fanIn.edges.push_back(edge(i + 1, 0, QStringLiteral("['k%1']").arg(i)));
    }
    QTest::newRow("fan-in of 30 labelled edges") << fanIn;

    LayoutInput multi;
    multi.nodes = {node(QStringLiteral("a"), QStringLiteral("a"), QString(), NodeKind::Object),
                   node(QStringLiteral("b"), QStringLiteral("b"), QString(), NodeKind::Target)};
    multi.edges = {edge(0, 1, QStringLiteral("x")), edge(0, 1, QStringLiteral("y")), edge(0, 1),
                   edge(1, 0, QStringLiteral("back"))};
    QTest::newRow("parallel edges and a cycle") << multi;

    LayoutInput loop = multi;
    loop.edges = {edge(0, 1, QStringLiteral("next")), edge(1, 1, QStringLiteral("self"))};
    QTest::newRow("self reference") << loop;

    LayoutInput lr = leakSample();
    lr.rankDir = LayoutInput::RankDir::LeftToRight;
    QTest::newRow("left to right") << lr;

    LayoutInput odd = leakSample();
    odd.nodes[2].title = QStringLiteral("\"quoted\" \\back\\slash\\n <html> & ünïcödé ✓");
    odd.edges[1].label = QStringLiteral("['a\"b\\\\c']\nsecond line");
    QTest::newRow("quotes, backslashes, newlines, unicode") << odd;

    QTest::newRow("layered 60 nodes") << layeredGraph(60, 7);
    QTest::newRow("layered 450 nodes, quick dot settings") << layeredGraph(GraphLayout::s_quickLayoutNodes + 50, 8);
}

void TestGraphLayout::layoutGeometry()
{
    QFETCH(LayoutInput, input);
    const Expected<LayoutResult> result = GraphLayout::layout(input);
    QVERIFY2(result.ok(), qPrintable(result.error()));
    const QString problem = checkGeometry(input, result.value());
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
}

void TestGraphLayout::layout300Nodes()
{
    const LayoutInput input = layeredGraph(300);
    QElapsedTimer timer;
    timer.start();
    const Expected<LayoutResult> result = GraphLayout::layout(input);
    const qint64 ms = timer.elapsed();
    QVERIFY2(result.ok(), qPrintable(result.error()));
    const QString problem = checkGeometry(input, result.value());
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    qInfo("300 nodes, %zu edges laid out in %lld ms", input.edges.size(), ms);
}

void TestGraphLayout::emptyGraph()
{
    const Expected<LayoutResult> result = GraphLayout::layout(LayoutInput());
    QVERIFY(result.ok());
    QVERIFY(result.value().nodeRects.empty());
    QVERIFY(result.value().edges.empty());
}

void TestGraphLayout::rejectsBadInput_data()
{
    QTest::addColumn<LayoutInput>("input");
    QTest::addColumn<QString>("expected");

    LayoutInput badTarget = leakSample();
    badTarget.edges.push_back(edge(0, 99));
    QTest::newRow("edge to a node past the end") << badTarget << QStringLiteral("has 13 nodes");

    LayoutInput negative = leakSample();
    negative.edges.push_back(edge(-1, 0));
    QTest::newRow("edge from node -1") << negative << QStringLiteral("joins nodes -1 and 0");

    LayoutInput huge = layeredGraph(GraphLayout::s_maxNodes + 1);
    QTest::newRow("one node over the cap") << huge << QStringLiteral("2001 nodes");

    LayoutInput manyEdges;
    manyEdges.nodes = {node(QStringLiteral("a"), QStringLiteral("a"), QString(), NodeKind::Object)};
    manyEdges.edges.assign(size_t(GraphLayout::s_maxEdges) + 1, edge(0, 0));
    QTest::newRow("too many edges") << manyEdges << QStringLiteral("10001 edges");
}

void TestGraphLayout::rejectsBadInput()
{
    QFETCH(LayoutInput, input);
    QFETCH(QString, expected);
    QElapsedTimer timer;
    timer.start();
    const Expected<LayoutResult> result = GraphLayout::layout(input);
    QVERIFY(!result.ok());
    QVERIFY2(result.error().contains(expected), qPrintable(result.error()));
    QVERIFY2(result.error().contains(QStringLiteral("reference graph")), qPrintable(result.error()));
    // Refused up front, not after trying.
    QVERIFY(timer.elapsed() < 1000);
    QVERIFY(!GraphLayout::toSvg(input).ok());
}

void TestGraphLayout::cancelled()
{
    std::atomic_bool cancel{true};
    const Expected<LayoutResult> result = GraphLayout::layout(leakSample(), &cancel);
    QVERIFY(!result.ok());
    QVERIFY2(result.error().contains(QStringLiteral("cancelled")), qPrintable(result.error()));
    cancel = false;
    QVERIFY(GraphLayout::layout(leakSample(), &cancel).ok());
}

void TestGraphLayout::decimalCommaLocale()
{
    // A German desktop gives the process LC_NUMERIC=de_DE; Graphviz would then
    // read "0.5" as 0. Use an installed decimal-comma locale, or build one.
    QByteArray name;
    for (const char *candidate : {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "nl_NL.UTF-8", "de_DE"}) {
        if (usesDecimalComma(candidate)) {
            name = candidate;
            break;
        }
    }
    if (name.isEmpty() && m_localeDir.isValid()) {
        const QString localedef = QStandardPaths::findExecutable(QStringLiteral("localedef"));
        if (!localedef.isEmpty()) {
            QProcess::execute(localedef, {QStringLiteral("-i"), QStringLiteral("de_DE"), QStringLiteral("-f"),
                                          QStringLiteral("UTF-8"), m_localeDir.filePath(QStringLiteral("de_DE.UTF-8"))});
            qputenv("LOCPATH", QFile::encodeName(m_localeDir.path()));
            if (usesDecimalComma("de_DE.UTF-8"))
                name = "de_DE.UTF-8";
        }
    }
    if (name.isEmpty())
        QSKIP("no locale with a decimal comma is installed and localedef could not build one");

    const LayoutInput input = withSizes(leakSample());
    const Expected<LayoutResult> reference = GraphLayout::layout(input);
    QVERIFY(reference.ok());

    const QByteArray previous = setlocale(LC_NUMERIC, nullptr);
    QVERIFY(setlocale(LC_NUMERIC, name.constData()));
    // The locale is really in effect for this process...
    const double parsed = std::strtod("0.5", nullptr);
    const Expected<LayoutResult> german = GraphLayout::layout(input);
    // ...and for other threads, which share the global locale.
    const Expected<LayoutResult> fromThread = QtConcurrent::run([&input] { return GraphLayout::layout(input); }).result();
    const Expected<QByteArray> svg = GraphLayout::toSvg(input);
    const Expected<DotGraphInfo> read = GraphLayout::readDot(GraphLayout::toDot(input));
    const QByteArray stillSet = setlocale(LC_NUMERIC, nullptr);
    setlocale(LC_NUMERIC, previous.constData());

    QCOMPARE(parsed, 0.0);
    QCOMPARE(stillSet, name); // the guard restored the caller's locale
    QVERIFY2(german.ok(), qPrintable(german.error()));
    QVERIFY2(fromThread.ok(), qPrintable(fromThread.error()));
    QVERIFY2(checkGeometry(input, german.value()).isEmpty(), qPrintable(checkGeometry(input, german.value())));
    QVERIFY(sameGeometry(reference.value(), german.value()));
    QVERIFY(sameGeometry(reference.value(), fromThread.value()));
    QVERIFY(svg.ok());
    // SVG numbers keep their decimal point.
    QVERIFY(svg.value().contains("points=\""));
    QVERIFY(!svg.value().contains(QByteArray("viewBox=\"0,00")));
    QVERIFY(read.ok());
    QCOMPARE(read.value().nodes.size(), qsizetype(input.nodes.size()));
}

void TestGraphLayout::concurrentCalls()
{
    const LayoutInput input = layeredGraph(80, 3);
    const Expected<LayoutResult> reference = GraphLayout::layout(input);
    QVERIFY(reference.ok());

    std::vector<QFuture<bool>> futures;
    for (int i = 0; i < 8; ++i) {
        futures.push_back(QtConcurrent::run([&input, &reference, i] {
            // Mix the three Graphviz entry points, as a busy GUI would.
            if (i % 4 == 3)
                return GraphLayout::toSvg(input).ok();
            if (i % 4 == 2)
                return GraphLayout::readDot(GraphLayout::toDot(input)).ok();
            const Expected<LayoutResult> result = GraphLayout::layout(input);
            return result.ok() && sameGeometry(result.value(), reference.value());
        }));
    }
    for (QFuture<bool> &future : futures)
        QVERIFY(future.result());
}

void TestGraphLayout::dotRoundTrip_data()
{
    QTest::addColumn<LayoutInput>("input");

    QTest::newRow("leak sample") << leakSample();

    LayoutInput odd;
    odd.nodes = {node(QStringLiteral("with \"quotes\""), QStringLiteral("a \"repr\""), QStringLiteral("str"), NodeKind::Object),
                 node(QStringLiteral("back\\slash"), QStringLiteral("C:\\temp\\n"), QString(), NodeKind::Target),
                 node(QStringLiteral("ünïcödé id ✓"), QStringLiteral("日本語"), QStringLiteral("type"), NodeKind::Class),
                 node(QStringLiteral("-> { } ; = [ ]"), QStringLiteral("two\nlines"), QString(), NodeKind::Frame),
                 node(QStringLiteral("digraph"), QStringLiteral("a keyword as id"), QString(), NodeKind::Collapsed)};
    odd.edges = {edge(0, 1, QStringLiteral("['say \"hi\"']")), edge(1, 2, QStringLiteral("a\\b")),
                 edge(2, 3, QStringLiteral("line\nbreak")), edge(3, 4), edge(4, 0, QStringLiteral("ünï"))};
    odd.edges[1].highlighted = true;
    odd.nodes[2].highlighted = true;
    QTest::newRow("ids and labels with DOT syntax in them") << odd;
    QTest::newRow("big graph with quick dot settings") << layeredGraph(GraphLayout::s_quickLayoutNodes + 1);
}

void TestGraphLayout::dotRoundTrip()
{
    QFETCH(LayoutInput, input);
    const QByteArray dot = GraphLayout::toDot(input);
    // The export asks dot for the same settings the layout used.
    QCOMPARE(dot.contains("nslimit=1"), input.nodes.size() > size_t(GraphLayout::s_quickLayoutNodes));
    const Expected<DotGraphInfo> read = GraphLayout::readDot(dot);
    QVERIFY2(read.ok(), qPrintable(read.error() + QLatin1Char('\n') + QString::fromUtf8(dot)));
    const DotGraphInfo &info = read.value();
    QCOMPARE(info.nodes.size(), qsizetype(input.nodes.size()));
    for (size_t i = 0; i < input.nodes.size(); ++i) {
        QCOMPARE(info.nodes[qsizetype(i)], input.nodes[i].id);
        const QString label = input.nodes[i].subtitle.isEmpty()
            ? input.nodes[i].title
            : input.nodes[i].title + QLatin1Char('\n') + input.nodes[i].subtitle;
        QCOMPARE(info.nodeLabels[qsizetype(i)], label);
    }
    QCOMPARE(info.edges.size(), input.edges.size());
    // Edges come back grouped by tail; compare as sets of (from, to, label).
    QStringList want, got;
    for (const LayoutEdge &e : input.edges)
        want << input.nodes[size_t(e.from)].id + QStringLiteral(" -> ") + input.nodes[size_t(e.to)].id
                + QStringLiteral(" : ") + e.label;
    for (const DotGraphInfo::Edge &e : info.edges)
        got << e.from + QStringLiteral(" -> ") + e.to + QStringLiteral(" : ") + e.label;
    want.sort();
    got.sort();
    QCOMPARE(got, want);
}

void TestGraphLayout::readDotRejectsGarbage_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::newRow("empty") << QByteArray();
    QTest::newRow("plain text") << QByteArray("this is not a graph");
    QTest::newRow("unterminated graph") << QByteArray("digraph { a -> b ");
    QTest::newRow("unterminated string") << QByteArray("digraph { \"a -> b }");
    QTest::newRow("edge to nothing") << QByteArray("digraph { a -> ; }");
    QTest::newRow("binary") << QByteArray("\x01\x02\xff\xfe{{{", 8);
}

void TestGraphLayout::readDotRejectsGarbage()
{
    QFETCH(QByteArray, text);
    const Expected<DotGraphInfo> read = GraphLayout::readDot(text);
    QVERIFY(!read.ok());
    QVERIFY2(read.error().contains(QStringLiteral("DOT")), qPrintable(read.error()));
    // Graphviz's parser recovers: the next good text still reads.
    const Expected<DotGraphInfo> good = GraphLayout::readDot("digraph { a -> b [label=x]; }");
    QVERIFY2(good.ok(), qPrintable(good.error()));
    QCOMPARE(good.value().nodes, QStringList({QStringLiteral("a"), QStringLiteral("b")}));
}

void TestGraphLayout::svgExport()
{
    const LayoutInput input = leakSample();
    const Expected<QByteArray> svg = GraphLayout::toSvg(input);
    QVERIFY2(svg.ok(), qPrintable(svg.error()));
    const QByteArray &text = svg.value();
    QVERIFY(text.contains("<svg"));
    QCOMPARE(text.count("class=\"node\""), qsizetype(input.nodes.size()));
    QCOMPARE(text.count("class=\"edge\""), qsizetype(input.edges.size()));
    QVERIFY(text.contains("__main__"));
    QVERIFY(text.contains("+12 more"));
    QVERIFY(text.contains("[&#39;_CACHE&#39;]") || text.contains("['_CACHE']"));
}

void TestGraphLayout::pngExport()
{
    const Expected<QByteArray> png = GraphLayout::toPng(leakSample());
    QVERIFY2(png.ok(), qPrintable(png.error()));
    QVERIFY(png.value().startsWith("\x89PNG\r\n\x1a\n"));
    QVERIFY(png.value().size() > 5000);
    QVERIFY(!GraphLayout::toPng(layeredGraph(GraphLayout::s_maxNodes + 1)).ok());
}

QTEST_GUILESS_MAIN(TestGraphLayout)
#include "tst_graphlayout.moc"
