#include "cli/chaincommand.h"

#include "cli/agenttarget.h"
#include "cli/commandline.h"
#include "cli/graphtarget.h"
#include "cli/textformat.h"
#include "core/textutil.h"
#include "heapgraph/referencechain.h"
#include "live/agentclient.h"
#include "live/protocol.h"

#include <QCoreApplication>

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

int usageError(CliOutput &io, const QString &message, const QString &usage)
{
    io.error(message);
    io.err += usage;
    return 2;
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

int chainFromFile(const QString &path, const QString &typeName, qint64 index, CliOutput &io)
{
    Expected<LoadedGraph> loaded = GraphTarget::load(path, index);
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
    const std::vector<quint32> instances = graph.nodesOfType(type.value());
    const Expected<ReferenceChain> chain = ReferenceChain::shortestToRoot(graph, instances);
    if (!chain) {
        io.error(tr("%1: %2").arg(GraphTarget::describe(g), chain.error()));
        return 2;
    }
    const ReferenceChain &c = chain.value();
    QString out = trN("Chain to %1 in %2: %n reference(s) from %3 (%4 instances)\n", int(c.steps.size() - 1))
                      .arg(TextFormat::escape(typeName), GraphTarget::describe(g),
                           c.end == ReferenceChain::End::Root ? tr("a root") : tr("an unreferenced object"))
                      .arg(instances.size());
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
              "\n"
              "Prints the shortest chain of references from a root (a module, a class, a thread's\n"
              "frame) down to an instance of type NAME, one step per line: the reference by which\n"
              "the previous object holds it (attribute, ['key'], [index]...), its type, id and\n"
              "label. Of all instances, the one closest to a root is shown.\n"
              "\n"
              "  FILE            a .lsnap file recorded with heap graphs (record --graph)\n"
              "  --pid PID       ask the live agent of process PID instead\n"
              "  --timeout S     with --pid: seconds to wait for the agent's answer (default 60)\n"
              "  --type NAME     qualified type name, e.g. __main__.Session, dict\n"
              "  --snapshot N    0-based index of the snapshot in FILE (default: the last one\n"
              "                  with a heap graph; see `leakscope-cli info`)\n"
              "\n"
              "Exit codes: 0 ok, 2 bad usage, no heap graph, unknown type, bad file or dead pid.\n");
}

int ChainCommand::run(const QStringList &arguments, CliOutput &io)
{
    CommandLine line;
    GraphTarget::declare(line);
    if (!line.parse(arguments))
        return usageError(io, line.error(), usage());
    if (line.help()) {
        io.out += usage();
        return 0;
    }
    QString error;
    const std::optional<GraphTarget> t = GraphTarget::fromCommandLine(line, "chain", &error);
    if (!t)
        return usageError(io, error, usage());
    if (t->pid > 0)
        return chainFromPid(t->pid, t->type, t->timeoutMs, io);
    return chainFromFile(t->file, t->type, t->snapshot, io);
}

} // namespace leakscope
