#include "cli/retainedcommand.h"

#include "cli/commandline.h"
#include "cli/graphtarget.h"
#include "cli/textformat.h"
#include "core/textutil.h"
#include "heapgraph/dominatortree.h"
#include "heapgraph/referencechain.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <limits>

namespace leakscope {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("GraphCommands", text);
}

// "module __main__.__dict__['_CACHE']['s0']": the root's label, then each
// edge label, attribute-style where the label is not an index.
QString compactChain(const HeapGraph &graph, const ReferenceChain &chain)
{
    if (chain.steps.empty())
        return QString();
    const quint32 root = chain.root();
    QString label = graph.label(root);
    QString out = label.isEmpty() ? graph.typeName(graph.type(root)) + QLatin1Char('@') + TextUtil::hexId(graph.id(root))
                                  : label;
    for (size_t i = 1; i < chain.steps.size(); ++i) {
        QString edge = graph.edgeLabel(chain.steps[i].edge);
        if (edge.isEmpty())
            edge = QStringLiteral("?");
        if (!edge.startsWith(QLatin1Char('[')) && !edge.startsWith(QLatin1Char('.')))
            out += QLatin1Char('.');
        out += edge;
    }
    return out; // raw: escaped where it reaches a terminal
}

struct TypeTotals
{
    quint64 count = 0;
    quint64 shallow = 0;
};

} // namespace

QString RetainedCommand::usage()
{
    return tr("Usage: leakscope-cli retained FILE [--snapshot N] [--top N] [--by object|type] [--json]\n"
              "\n"
              "Retained sizes from the heap graph's dominator tree: what would be freed if an\n"
              "object (or all instances of a type) were released.\n"
              "\n"
              "  --by object     (default) the objects retaining the most: id, type, label, shallow\n"
              "                  and retained size, and the chain from a root in compact form\n"
              "                  (modules, classes and thread frames themselves are left out)\n"
              "  --by type       per type: instances, shallow total, retained size (instances\n"
              "                  held by another instance of the same type count once)\n"
              "  --snapshot N    the snapshot in FILE, numbered from 1 as `info` shows (default:\n"
              "                  the last with a graph)\n"
              "  --top N         rows to show (default 20)\n"
              "  --json          print JSON instead of a table\n"
              "\n"
              "Exit codes: 0 ok, 2 bad usage, no heap graph, bad file.\n");
}

int RetainedCommand::run(const QStringList &arguments, CliOutput &io)
{
    CommandLine line;
    line.option({"--snapshot"}).option({"--top"}).option({"--by"}).flag({"--json"});
    if (const std::optional<int> done = line.parseFor(arguments, io, usage()))
        return *done;
    const CommandLine *a = &line;
    QString error;
    if (a->positional().size() != 1)
        return io.usageError(a->positional().isEmpty() ? tr("retained needs a FILE") : tr("retained takes one FILE"),
                          usage());
    std::optional<int> snapshot = -1;
    if (line.has("--snapshot"))
        snapshot = CommandLine::snapshotIndex(QStringLiteral("--snapshot"), line.value("--snapshot"), &error);
    if (!snapshot)
        return io.usageError(error, usage());
    const std::optional<qint64> top = line.wholeNumber("--top", 20, 1, std::numeric_limits<int>::max(), &error);
    if (!top)
        return io.usageError(error, usage());
    const QString by = a->has("--by") ? a->value("--by") : QStringLiteral("object");
    if (by != QLatin1String("object") && by != QLatin1String("type"))
        return io.usageError(tr("--by takes object or type, not '%1'").arg(by), usage());
    const bool json = a->has("--json");

    Expected<LoadedGraph> loaded = GraphTarget::load(a->positional().first(), *snapshot);
    if (!loaded) {
        io.error(loaded.error());
        return 2;
    }
    const LoadedGraph &g = loaded.value();
    const HeapGraph &graph = g.graph;
    const Expected<DominatorTree> tree = DominatorTree::compute(graph);
    if (!tree) {
        io.error(tr("%1: %2").arg(GraphTarget::describe(g), tree.error()));
        return 2;
    }
    const DominatorTree &d = tree.value();

    QJsonObject root;
    root.insert(QStringLiteral("format"), QStringLiteral("leakscope-retained"));
    root.insert(QStringLiteral("version"), 1);
    root.insert(QStringLiteral("file"), g.path);
    root.insert(QStringLiteral("snapshot"), g.index + 1); // from 1, as the timeline shows
    root.insert(QStringLiteral("snapshot_id"), g.id);
    root.insert(QStringLiteral("label"), g.label.isEmpty() ? QJsonValue() : QJsonValue(g.label));
    root.insert(QStringLiteral("nodes"), qint64(graph.nodeCount()));
    root.insert(QStringLiteral("edges"), qint64(graph.edgeCount()));
    root.insert(QStringLiteral("total_size"), qint64(d.totalSize()));
    root.insert(QStringLiteral("unreachable"), qint64(d.unreachableCount()));
    root.insert(QStringLiteral("by"), by);

    QString out = tr("Retained sizes in %1: %2 objects, %3 shallow in total\n")
                      .arg(GraphTarget::describe(g))
                      .arg(graph.nodeCount())
                      .arg(TextFormat::size(qint64(d.totalSize())));
    QJsonArray rows;
    if (by == QLatin1String("object")) {
        TextTable table({TextTable::Right, TextTable::Right, TextTable::Left, TextTable::Left, TextTable::Left,
                         TextTable::Left});
        table.addRow({tr("retained"), tr("shallow"), tr("id"), tr("type"), tr("object"), tr("chain")});
        for (quint32 node : d.topRetainers(graph, int(*top))) {
            const Expected<ReferenceChain> chain = ReferenceChain::shortestToRoot(graph, {node});
            const QString path = chain ? compactChain(graph, chain.value()) : QString();
            const QString label = graph.describe(node);
            const QString typeName = graph.typeName(graph.type(node));
            QJsonObject row;
            row.insert(QStringLiteral("id"), TextUtil::hexId(graph.id(node)));
            row.insert(QStringLiteral("type"), typeName);
            row.insert(QStringLiteral("label"), label);
            row.insert(QStringLiteral("shallow"), qint64(graph.shallowSize(node)));
            row.insert(QStringLiteral("retained"), qint64(d.retainedSize(node)));
            row.insert(QStringLiteral("chain"), path.isEmpty() ? QJsonValue() : QJsonValue(path));
            rows.append(row);
            table.addRow({TextFormat::size(qint64(d.retainedSize(node))), TextFormat::size(qint64(graph.shallowSize(node))),
                          TextUtil::hexId(graph.id(node)), TextFormat::escape(typeName), label.isEmpty() ? QStringLiteral("-") : TextFormat::escape(label),
                          path.isEmpty() ? QStringLiteral("-") : TextFormat::escape(path)});
        }
        out += table.render();
    } else {
        std::vector<TypeTotals> totals(size_t(graph.typeCount()));
        for (quint32 i = 0; i < graph.nodeCount(); ++i) {
            TypeTotals &t = totals[size_t(graph.type(i))];
            ++t.count;
            t.shallow += graph.shallowSize(i);
        }
        TextTable table({TextTable::Left, TextTable::Right, TextTable::Right, TextTable::Right});
        table.addRow({tr("type"), tr("count"), tr("shallow"), tr("retained")});
        for (qint32 type : d.topTypes(int(*top))) {
            const TypeTotals &t = totals[size_t(type)];
            if (t.count == 0)
                continue;
            QJsonObject row;
            row.insert(QStringLiteral("type"), graph.typeName(type));
            row.insert(QStringLiteral("count"), qint64(t.count));
            row.insert(QStringLiteral("shallow"), qint64(t.shallow));
            row.insert(QStringLiteral("retained"), qint64(d.retainedSizeOfType(type)));
            rows.append(row);
            table.addRow({TextFormat::escape(graph.typeName(type)), QString::number(t.count), TextFormat::size(qint64(t.shallow)),
                          TextFormat::size(qint64(d.retainedSizeOfType(type)))});
        }
        out += table.render();
    }
    root.insert(by == QLatin1String("object") ? QStringLiteral("objects") : QStringLiteral("types"), rows);
    if (json) {
        io.exactOut = true; // JSON escapes what needs it; the data stays exact
        io.out += QString::fromUtf8(QJsonDocument(root).toJson(QJsonDocument::Indented));
    }
    else
        io.out += out;
    return 0;
}

} // namespace leakscope
