#include "cli/backrefscommand.h"

#include "cli/agenttarget.h"
#include "cli/commandline.h"
#include "cli/graphtarget.h"
#include "cli/textformat.h"
#include "core/textutil.h"
#include "graphlayout/graphlayout.h"
#include "graphlayout/referencelayout.h"
#include "heapgraph/dominatortree.h"
#include "heapgraph/referencesubgraph.h"
#include "live/agentclient.h"
#include "live/protocol.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QSaveFile>

namespace leakscope {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("GraphCommands", text);
}

// Writes the graph as DOT, SVG or PNG to `output`; false after reporting.
bool writeGraph(const LayoutInput &input, const char *format, const QString &output, const QString &what,
                CliOutput &io)
{
    QByteArray bytes;
    if (qstrcmp(format, "--dot") == 0) {
        bytes = GraphLayout::toDot(input);
    } else {
        const Expected<QByteArray> rendered =
            qstrcmp(format, "--svg") == 0 ? GraphLayout::toSvg(input) : GraphLayout::toPng(input);
        if (!rendered) {
            io.error(tr("%1: %2").arg(what, rendered.error()));
            return false;
        }
        bytes = rendered.value();
    }
    QSaveFile file(output);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit()) {
        io.error(tr("%1: cannot write (%2)").arg(output, file.errorString()));
        return false;
    }
    return true;
}

} // namespace

QString BackrefsCommand::usage()
{
    return tr("Usage: leakscope-cli backrefs (FILE | --pid PID [--timeout S]) --type NAME [--snapshot N]\n"
              "                              [--baseline N]\n"
              "                              [--depth N] [--max-nodes N] [--skip-cycles]\n"
              "                              (-o OUT | --dot OUT | --svg OUT | --png OUT)\n"
              "\n"
              "Draws who refers to a few instances of type NAME (up to 3, like objgraph's\n"
              "show_backrefs), level by level up to the roots: edges carry the attribute, key or\n"
              "index; more than 10 referrers of one object collapse into a \"+N more\" node.\n"
              "\n"
              "  FILE            a .lsnap file recorded with heap graphs (record --graph)\n"
              "  --pid PID       ask the live agent of process PID instead\n"
              "  --timeout S     with --pid: seconds to wait for the agent's answer (default 60)\n"
              "  --type NAME     qualified type name, e.g. __main__.Session\n"
              "  --snapshot N    the snapshot in FILE, numbered from 1 as `info` shows (default:\n"
              "                  the last with a graph)\n"
              "  --baseline N    sample instances absent from snapshot N first (default 1)\n"
              "  --depth N       levels of referrers (default 4)\n"
              "  --max-nodes N   at most N nodes, \"+N more\" nodes included (default 200, at most 2000)\n"
              "  --skip-cycles   leave out referrers that only point back: above a module's\n"
              "                  namespace only the module (not its functions' __globals__),\n"
              "                  and from FILE whatever an object keeps alive itself\n"
              "                  (computes the dominator tree first)\n"
              "  -o OUT          write OUT as DOT, SVG or PNG by its suffix (.dot, .svg, .png)\n"
              "  --dot OUT       write Graphviz DOT text (render with `dot -Tsvg OUT`)\n"
              "  --svg OUT       write SVG laid out by Graphviz dot\n"
              "  --png OUT       write PNG rendered by Graphviz dot\n"
              "\n"
              "Exit codes: 0 ok, 2 bad usage, no heap graph, unknown type, bad file, dead pid or\n"
              "OUT not writable.\n");
}

int BackrefsCommand::run(const QStringList &arguments, CliOutput &io)
{
    CommandLine line;
    GraphTarget::declare(line);
    line.option({"--depth"}).option({"--max-nodes"}).option({"--dot"}).option({"--svg"}).option({"--png"});
    line.option({"-o", "--output"}, tr("%1 needs a file name"), true);
    line.flag({"--skip-cycles"});
    if (const std::optional<int> done = line.parseFor(arguments, io, usage()))
        return *done;
    const CommandLine *a = &line;
    QString error;
    const std::optional<GraphTarget> t = GraphTarget::fromCommandLine(line, "backrefs", &error);
    if (!t)
        return io.usageError(error, usage());
    const std::optional<qint64> depth = line.wholeNumber("--depth", 4, 1, 100, &error);
    if (!depth)
        return io.usageError(error, usage());
    const std::optional<qint64> maxNodes = line.wholeNumber("--max-nodes", 200, 1, GraphLayout::s_maxNodes, &error);
    if (!maxNodes)
        return io.usageError(error, usage());
    const int outputs =
        int(a->has("--dot")) + int(a->has("--svg")) + int(a->has("--png")) + int(a->has("--output"));
    if (outputs != 1)
        return io.usageError(outputs == 0 ? tr("backrefs needs one of --dot OUT, --svg OUT, --png OUT")
                                            : tr("backrefs writes one of --dot, --svg, --png at a time"),
                          usage());
    const char *format = a->has("--dot") ? "--dot" : a->has("--svg") ? "--svg" : "--png";
    QString output = a->value(format);
    if (a->has("--output")) {
        // -o OUT: the format from OUT's suffix (what the leak report suggests).
        output = a->value("--output");
        const QString suffix = QFileInfo(output).suffix().toLower();
        if (suffix == QLatin1String("dot") || suffix == QLatin1String("gv"))
            format = "--dot";
        else if (suffix == QLatin1String("svg"))
            format = "--svg";
        else if (suffix == QLatin1String("png"))
            format = "--png";
        else
            return io.usageError(tr("-o %1: name the file .dot, .svg or .png, or use --dot, --svg or --png")
                                      .arg(TextFormat::escape(output)),
                              usage());
    }
    const bool skipCycles = a->has("--skip-cycles");
    if (output.isEmpty())
        return io.usageError(tr("%1 needs a file name").arg(QLatin1String(format)), usage());

    if (t->pid > 0) {
        const Expected<QString> socket = AgentTarget::socketOf(t->pid);
        if (!socket) {
            io.error(socket.error());
            return 2;
        }
        Protocol::BackrefsQuery query;
        query.type = t->type;
        query.depth = int(*depth);
        query.maxNodes = int(*maxNodes);
        query.skipCycles = skipCycles;
        const QString source = tr("pid %1").arg(t->pid);
        const Expected<QJsonObject> reply =
            AgentClient::call(socket.value(), Protocol::backrefs(query), t->timeoutMs);
        if (!reply) {
            io.error(tr("%1: %2").arg(source, reply.error()));
            return 2;
        }
        const Expected<Protocol::Backrefs> parsed = Protocol::parseBackrefs(reply.value(), source);
        if (!parsed) {
            io.error(parsed.error());
            return 2;
        }
        bool truncated = false;
        LiveReferenceGraph live;
        const Status merged = live.mergeBackrefs(parsed.value());
        const Expected<LayoutInput> input = merged ? Expected<LayoutInput>(live.layout().input)
                                                   : Expected<LayoutInput>::failure(merged.error());
        truncated = live.truncated();
        if (!input) {
            io.error(tr("pid %1: %2").arg(t->pid).arg(input.error()));
            return 2;
        }
        const QString what = tr("pid %1").arg(t->pid);
        if (!writeGraph(input.value(), format, output, what, io))
            return 2;
        int targets = 0;
        for (const LayoutNode &n : input.value().nodes)
            targets += n.kind == NodeKind::Target ? 1 : 0;
        io.out += tr("%1: back-references of %2 instances of %3 in %4: %5 nodes, %6 edges%7\n")
                      .arg(output)
                      .arg(targets)
                      .arg(TextFormat::escape(t->type), what)
                      .arg(input.value().nodes.size())
                      .arg(input.value().edges.size())
                      .arg(truncated ? tr(" (cut at --depth/--max-nodes)") : QString());
        QStringList followed;
        for (const Protocol::RefNode &n : parsed.value().nodes)
            if (n.kind == QLatin1String("target"))
                followed << TextUtil::hexId(quint64(n.id));
        io.out += tr("Followed instances: %1\n").arg(followed.join(QStringLiteral(", ")));
        return 0;
    }

    Expected<LoadedGraph> loaded = GraphTarget::load(t->file, t->snapshot, t->baseline);
    if (!loaded) {
        io.error(loaded.error());
        return 2;
    }
    const LoadedGraph &g = loaded.value();
    const Expected<qint32> type = GraphTarget::findType(g, t->type);
    if (!type) {
        io.error(type.error());
        return 2;
    }
    BackrefOptions options;
    options.maxDepth = int(*depth);
    options.maxNodes = int(*maxNodes);
    options.skipKeptAlive = skipCycles;
    Expected<DominatorTree> tree = Expected<DominatorTree>::failure(QString());
    if (skipCycles) {
        tree = DominatorTree::compute(g.graph);
        if (!tree) {
            io.error(tr("%1: %2").arg(GraphTarget::describe(g), tree.error()));
            return 2;
        }
        options.dominators = &tree.value();
    }
    // New instances since the baseline first, as the window's References tab.
    const std::vector<quint32> targets =
        g.graph.sampleInstances(type.value(), 3, g.baseline ? &g.baseline.value() : nullptr);
    const ReferenceSubgraph sub = ReferenceSubgraph::build(g.graph, targets, options);
    const LayoutInput input = ReferenceLayout::fromSubgraph(sub).input;

    if (!writeGraph(input, format, output, GraphTarget::describe(g), io))
        return 2;
    io.out += tr("%1: back-references of %2 of %3 instances of %4 in %5: %6 nodes, %7 edges%8\n")
                  .arg(output)
                  .arg(targets.size())
                  .arg(g.graph.instanceCount(type.value()))
                  .arg(TextFormat::escape(t->type), GraphTarget::describe(g))
                  .arg(input.nodes.size())
                  .arg(input.edges.size())
                  .arg(sub.truncated() ? tr(" (cut at --depth/--max-nodes)") : QString());
    QStringList followed;
    for (quint32 node : targets) {
        const QString age = g.age(node);
        followed << (age.isEmpty() ? TextUtil::hexId(g.graph.id(node))
                                   : QStringLiteral("%1 (%2)").arg(TextUtil::hexId(g.graph.id(node)), age));
    }
    io.out += tr("Followed instances: %1\n").arg(followed.join(QStringLiteral(", ")));
    if (!g.baselineNote.isEmpty())
        io.out += QStringLiteral("(%1)\n").arg(g.baselineNote);
    return 0;
}

} // namespace leakscope
