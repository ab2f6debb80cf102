#include "cli/chaincommand.h"

#include "cli/agenttarget.h"
#include "cli/commandline.h"
#include "cli/graphtarget.h"
#include "cli/textformat.h"
#include "core/textutil.h"
#include "heapgraph/referencechain.h"
#include "heapgraph/rootpathindex.h"
#include "live/agentclient.h"
#include "live/protocol.h"

#include <QCoreApplication>
#include <QHash>

#include <algorithm>
#include <utility>

namespace leakscope {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("GraphCommands", text);
}

// With %n replaced by n (and the plural chosen by a translation, if any).
QString trN(const char *text, int n)
{
    return QCoreApplication::translate("GraphCommands", text, nullptr, n);
}

QString rootKind(quint8 flags)
{
    if (flags & HeapGraph::ModuleRoot)
        return tr("(module root)");
    if (flags & HeapGraph::ClassRoot)
        return tr("(class root)");
    if (flags & HeapGraph::ThreadFrameRoot)
        return tr("(thread frame root)");
    return tr("(root)");
}

// The shape of a chain: the root, then each step's type and reference, with
// keys and indices left out ("[42]" and "[43]" are the same shape).
QString chainShape(const HeapGraph &graph, const ReferenceChain &chain)
{
    QString shape = graph.label(chain.root());
    for (size_t i = 1; i < chain.steps.size(); ++i) {
        QString edge = graph.edgeLabel(chain.steps[i].edge);
        const qsizetype bracket = edge.indexOf(QLatin1Char('['));
        if (bracket >= 0)
            edge = edge.left(bracket) + QStringLiteral("[]");
        shape += QLatin1Char('\n') + edge + QLatin1Char(' ') + graph.typeName(graph.type(chain.steps[i].node));
    }
    return shape;
}

// The chain most of `sources` share: each source's shortest chain from a
// root, grouped by shape; the largest group wins (ties: the shorter chain,
// then the first source), so a leak's many new instances outvote the few
// objects an import created. *shared: how many sources have that shape.
Expected<ReferenceChain> commonChain(const HeapGraph &graph, const std::vector<quint32> &sources, size_t *shared)
{
    *shared = 0;
    const Expected<RootPathIndex> paths = RootPathIndex::build(graph);
    if (!paths)
        return Expected<ReferenceChain>::failure(paths.error());
    // Evenly spread over the sources: a few thousand chains tell the shape.
    constexpr size_t limit = 2000;
    const size_t step = std::max<size_t>(1, sources.size() / limit);
    struct Group
    {
        size_t count = 0;
        size_t first = 0;
        quint32 depth = 0;
    };
    QHash<QString, Group> groups;
    for (size_t i = 0; i < sources.size(); i += step) {
        if (!paths.value().reachesRoot(sources[i]))
            continue;
        const Expected<ReferenceChain> chain = paths.value().chain(graph, {sources[i]});
        if (!chain)
            continue;
        const QString shape = chainShape(graph, chain.value());
        auto it = groups.find(shape);
        if (it == groups.end())
            it = groups.insert(shape, Group{0, i, paths.value().depth(sources[i])});
        ++it->count;
    }
    const Group *best = nullptr;
    for (const Group &g : std::as_const(groups))
        if (!best || g.count > best->count || (g.count == best->count && (g.depth < best->depth
                                                                          || (g.depth == best->depth && g.first < best->first))))
            best = &g;
    if (!best) // no source reaches a root: the nearest unreferenced start
        return paths.value().chain(graph, sources);
    *shared = best->count * step;
    return paths.value().chain(graph, {sources[best->first]});
}

int chainFromFile(const GraphTarget &t, CliOutput &io)
{
    const QString &typeName = t.type;
    Expected<LoadedGraph> loaded = GraphTarget::load(t.file, t.snapshot, t.baseline);
    if (!loaded) {
        io.error(loaded.error());
        return 2;
    }
    const LoadedGraph &g = loaded.value();
    const HeapGraph &graph = g.graph;
    const Expected<qint32> type = GraphTarget::findType(g, typeName);
    if (!type) {
        io.error(type.error());
        return 2;
    }
    // From instances new since the baseline when there are any, as the
    // window's References tab: an old instance is rarely the leak.
    bool fresh = false;
    const std::vector<quint32> sources = g.newInstances(type.value(), &fresh);
    const quint64 instances = graph.instanceCount(type.value());
    size_t shared = 0;
    const Expected<ReferenceChain> chain = fresh ? commonChain(graph, sources, &shared)
                                                 : ReferenceChain::shortestToRoot(graph, sources);
    if (!chain) {
        io.error(tr("%1: %2").arg(GraphTarget::describe(g), chain.error()));
        return 2;
    }
    const ReferenceChain &c = chain.value();
    QString out = trN("Chain to %1 in %2: %n reference(s) from %3 (%4 instances)\n", int(c.steps.size() - 1))
                      .arg(TextFormat::escape(typeName), GraphTarget::describe(g),
                           c.end == ReferenceChain::End::Root ? tr("a root") : tr("an unreferenced object"))
                      .arg(instances);
    if (fresh)
        out += tr("Followed instance %1, new since snapshot %2 (%3 of the %4 instances are; about %5 of them are "
                  "held along this path)\n")
                   .arg(TextUtil::hexId(graph.id(c.object())))
                   .arg(g.baselineIndex + 1)
                   .arg(sources.size())
                   .arg(instances)
                   .arg(shared);
    else
        out += tr("Followed instance %1%2\n")
                   .arg(TextUtil::hexId(graph.id(c.object())),
                        !g.baselineNote.isEmpty() ? QStringLiteral(" (") + g.baselineNote + QLatin1Char(')')
                        : g.baseline             ? tr(" (no instance is new since snapshot %1)").arg(g.baselineIndex + 1)
                        : g.baselineIndex == g.index ? tr(" (the baseline is this snapshot)")
                                                     : QString());

    TextTable table({TextTable::Right, TextTable::Left, TextTable::Left, TextTable::Left, TextTable::Left});
    table.addRow({QStringLiteral("#"), tr("via"), tr("type"), tr("id"), tr("object")});
    for (size_t i = 0; i < c.steps.size(); ++i) {
        const quint32 node = c.steps[i].node;
        QString via;
        if (i == 0) {
            via = c.end == ReferenceChain::End::Root ? rootKind(graph.flags(node)) : tr("(unreferenced)");
        } else {
            via = TextFormat::escape(graph.edgeLabel(c.steps[i].edge));
            if (via.isEmpty())
                via = QStringLiteral("?");
        }
        const QString label = TextFormat::escape(graph.describe(node));
        table.addRow({QString::number(i), via, TextFormat::escape(graph.typeName(graph.type(node))), TextUtil::hexId(graph.id(node)),
                      label.isEmpty() ? QStringLiteral("-") : label});
    }
    out += table.render();
    if (c.end == ReferenceChain::End::Unreferenced)
        out += tr("(no module, class or thread frame leads to any instance; the chain starts at an object nothing "
                  "in the graph refers to, e.g. one held by C code)\n");
    io.out += out;
    return 0;
}

// The live agent's reply to op "chain" (docs/protocol.md): {"chain": [{"id",
// "type", "label", "edge"}, ...]}, root first, the edge being the reference
// from the previous step.
int chainFromPid(qint64 pid, const QString &typeName, int timeoutMs, CliOutput &io)
{
    const Expected<QString> socket = AgentTarget::socketOf(pid);
    if (!socket) {
        io.error(socket.error());
        return 2;
    }
    const QString source = tr("pid %1").arg(pid);
    const Expected<QJsonObject> reply = AgentClient::call(socket.value(), Protocol::chainOfType(typeName), timeoutMs);
    if (!reply) {
        io.error(tr("%1: %2").arg(source, reply.error()));
        return 2;
    }
    const Expected<Protocol::Chain> parsed = Protocol::parseChain(reply.value(), source);
    if (!parsed) {
        io.error(parsed.error());
        return 2;
    }
    const Protocol::Chain &chain = parsed.value();
    if (chain.end == Protocol::Chain::End::None) {
        io.error(tr("%1: no chain of references leads to an instance of %2").arg(source, TextFormat::escape(typeName)));
        return 2;
    }
    const bool unreferenced = chain.end == Protocol::Chain::End::Unreferenced;
    QString out = trN("Chain to %1 in pid %2: %n reference(s) from %3\n", int(chain.steps.size() - 1))
                      .arg(TextFormat::escape(typeName))
                      .arg(pid)
                      .arg(unreferenced ? tr("an unreferenced object") : tr("a root"));
    // The agent samples instances created since its last census with
    // remember_ids first (docs/protocol.md, "chain").
    out += tr("Followed instance %1\n").arg(TextUtil::hexId(quint64(chain.steps.back().id)));
    TextTable table({TextTable::Right, TextTable::Left, TextTable::Left, TextTable::Left, TextTable::Left});
    table.addRow({QStringLiteral("#"), tr("via"), tr("type"), tr("id"), tr("object")});
    for (size_t i = 0; i < chain.steps.size(); ++i) {
        const Protocol::RefNode &step = chain.steps[i];
        QString via = TextFormat::escape(step.edge);
        if (i == 0)
            via = unreferenced ? tr("(unreferenced)") : tr("(root)");
        else if (via.isEmpty())
            via = QStringLiteral("?");
        const QString label = TextFormat::escape(step.label);
        table.addRow({QString::number(i), via, TextFormat::escape(step.type), TextUtil::hexId(quint64(step.id)),
                      label.isEmpty() ? QStringLiteral("-") : label});
    }
    out += table.render();
    io.out += out;
    return 0;
}

} // namespace

QString ChainCommand::usage()
{
    return tr("Usage: leakscope-cli chain (FILE | --pid PID [--timeout S]) --type NAME [--snapshot N]\n"
              "                           [--baseline N]\n"
              "\n"
              "Prints the shortest chain of references from a root (a module, a class, a thread's\n"
              "frame) down to an instance of type NAME, one step per line: the reference by which\n"
              "the previous object holds it (attribute, ['key'], [index]...), its type, id and\n"
              "label. Of the instances new since the baseline (all of them when none is new),\n"
              "the one closest to a root is followed, as the window's References tab does; the\n"
              "second line names it.\n"
              "\n"
              "  FILE            a .lsnap file recorded with heap graphs (record --graph)\n"
              "  --pid PID       ask the live agent of process PID instead\n"
              "  --timeout S     with --pid: seconds to wait for the agent's answer (default 60)\n"
              "  --type NAME     qualified type name, e.g. __main__.Session, dict\n"
              "  --snapshot N    the snapshot in FILE, numbered from 1 as `info` and the window's\n"
              "                  timeline show them (default: the last one with a heap graph)\n"
              "  --baseline N    instances absent from snapshot N's heap graph are new (default 1)\n"
              "\n"
              "Exit codes: 0 ok, 2 bad usage, no heap graph, unknown type, bad file or dead pid.\n");
}

int ChainCommand::run(const QStringList &arguments, CliOutput &io)
{
    CommandLine line;
    GraphTarget::declare(line);
    if (const std::optional<int> done = line.parseFor(arguments, io, usage()))
        return *done;
    QString error;
    const std::optional<GraphTarget> t = GraphTarget::fromCommandLine(line, "chain", &error);
    if (!t)
        return io.usageError(error, usage());
    if (t->pid > 0)
        return chainFromPid(t->pid, t->type, t->timeoutMs, io);
    return chainFromFile(*t, io);
}

} // namespace leakscope
