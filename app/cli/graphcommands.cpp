#include "cli/graphcommands.h"

#include "core/textutil.h"
#include "live/agentclient.h"
#include "live/agentdiscovery.h"
#include "live/protocol.h"
#include "heapgraph/dominatortree.h"
#include "graphlayout/graphlayout.h"
#include "lsnap/heapgraphstore.h"
#include "heapgraph/referencechain.h"
#include "graphlayout/referencelayout.h"
#include "heapgraph/referencesubgraph.h"
#include "lsnap/snapshotreader.h"
#include "cli/textformat.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

#include <algorithm>
#include <limits>
#include <optional>

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

// Options of one command: --name VALUE, --name=VALUE, flags, and positional
// arguments; `--` ends the options.
struct Arguments
{
    QHash<QString, QString> values;
    QStringList flags;
    QStringList positional;
    bool help = false;

    bool has(const char *name) const { return values.contains(QLatin1String(name)); }
    QString value(const char *name) const { return values.value(QLatin1String(name)); }
};

std::optional<Arguments> parse(const QStringList &arguments, const QStringList &valueOptions,
                               const QStringList &flagOptions, QString *error)
{
    Arguments a;
    bool optionsDone = false;
    for (int i = 0; i < arguments.size(); ++i) {
        const QString &arg = arguments.at(i);
        if (optionsDone || !arg.startsWith(QLatin1Char('-')) || arg == QLatin1String("-")) {
            a.positional << arg;
            continue;
        }
        if (arg == QLatin1String("--")) {
            optionsDone = true;
            continue;
        }
        if (arg == QLatin1String("-h") || arg == QLatin1String("--help")) {
            a.help = true;
            continue;
        }
        const qsizetype eq = arg.indexOf(QLatin1Char('='));
        const QString name = eq > 0 ? arg.left(eq) : arg;
        if (valueOptions.contains(name)) {
            if (eq > 0) {
                a.values.insert(name, arg.mid(eq + 1));
            } else if (i + 1 < arguments.size()) {
                a.values.insert(name, arguments.at(++i));
            } else {
                *error = tr("%1 needs a value").arg(name);
                return std::nullopt;
            }
        } else if (flagOptions.contains(name) && eq < 0) {
            a.flags << name;
        } else {
            *error = tr("unknown option '%1'").arg(arg);
            return std::nullopt;
        }
    }
    return a;
}

// A whole number in [minimum, maximum], or an error naming the option.
std::optional<qint64> number(const Arguments &a, const char *name, qint64 fallback, qint64 minimum, qint64 maximum,
                             QString *error)
{
    if (!a.has(name))
        return fallback;
    bool ok = false;
    const qint64 value = a.value(name).toLongLong(&ok);
    if (!ok || value < minimum || value > maximum) {
        *error = tr("%1 needs a whole number from %2 to %3, not '%4'")
                     .arg(QLatin1String(name))
                     .arg(minimum)
                     .arg(maximum)
                     .arg(a.value(name));
        return std::nullopt;
    }
    return value;
}

int usageError(CliOutput &io, const QString &message, const QString &usage)
{
    io.error(message);
    io.err += usage;
    return 2;
}

struct LoadedGraph
{
    QString path;
    int index = 0;     // 0-based index of the snapshot in the file
    qint64 id = 0;     // its id in the file
    QString label;
    HeapGraph graph;
};

// The graph of snapshot `index` (-1: the last snapshot that has one).
Expected<LoadedGraph> loadGraph(const QString &path, qint64 index)
{
    Expected<LoadedFile> file = SnapshotReader::read(path);
    if (!file)
        return Expected<LoadedGraph>::failure(file.error());
    const LoadedFile &f = file.value();
    const auto failure = [&](const QString &reason) {
        return Expected<LoadedGraph>::failure(path + QStringLiteral(": ") + reason);
    };
    if (f.format != FileFormat::Lsnap)
        return failure(tr("objgraph output has no heap graph; record a .lsnap file with --graph"));
    const qint64 count = qint64(f.snapshots.size());
    if (count == 0)
        return failure(tr("the file holds no snapshots"));
    QStringList withGraph;
    for (qint64 i = 0; i < count; ++i) {
        if (f.snapshots[size_t(i)].info.hasGraph)
            withGraph << QString::number(i);
    }
    if (index < 0) {
        if (withGraph.isEmpty())
            return failure(tr("no snapshot has a heap graph (record with `leakscope-cli record --graph` or "
                              "leakscope_agent.snapshot(path, graph=True))"));
        index = withGraph.last().toLongLong();
    }
    if (index >= count)
        return failure(tr("snapshot index %1 is out of range (the file has %2 snapshots: 0 to %3)")
                           .arg(index)
                           .arg(count)
                           .arg(count - 1));
    const SnapshotInfo &info = f.snapshots[size_t(index)].info;
    if (!info.hasGraph)
        return failure(withGraph.isEmpty()
                           ? tr("snapshot %1 has no heap graph (no snapshot in the file has one)").arg(index)
                           : tr("snapshot %1 has no heap graph (snapshots with one: %2)")
                                 .arg(index)
                                 .arg(withGraph.join(QStringLiteral(", "))));
    Expected<HeapGraph> graph = HeapGraph::read(HeapGraphStore::readArrays, path, info.id);
    if (!graph) {
        // The store names the snapshot by its id; the user named it by index.
        QString error = graph.error();
        const QString byId = path + QStringLiteral(", snapshot ") + QString::number(info.id) + QLatin1Char(':');
        if (error.startsWith(byId))
            error = tr("%1, snapshot %2 (id %3):").arg(path).arg(index).arg(info.id) + error.mid(byId.size());
        return Expected<LoadedGraph>::failure(error);
    }
    LoadedGraph loaded;
    loaded.path = path;
    loaded.index = int(index);
    loaded.id = info.id;
    loaded.label = info.label;
    loaded.graph = graph.take();
    return loaded;
}

QString describeSnapshot(const LoadedGraph &g)
{
    QString s = tr("%1, snapshot %2").arg(TextFormat::escape(g.path)).arg(g.index);
    if (!g.label.isEmpty())
        s += QStringLiteral(" (\"%1\")").arg(TextFormat::escape(g.label));
    return s;
}

// The type's id, or an error that suggests close names.
Expected<qint32> findType(const LoadedGraph &g, const QString &name)
{
    const qint32 type = g.graph.findType(name);
    if (type >= 0 && g.graph.instanceCount(type) > 0)
        return type;
    QStringList similar;
    for (qint32 t = 0; t < g.graph.typeCount() && similar.size() < 5; ++t) {
        const QString &candidate = g.graph.typeName(t);
        if (candidate != name && g.graph.instanceCount(t) > 0
            && (candidate.endsWith(QLatin1Char('.') + name) || candidate.contains(name, Qt::CaseInsensitive)))
            similar << candidate;
    }
    QString message = tr("%1: no object of type '%2' in the heap graph").arg(describeSnapshot(g), name);
    if (!similar.isEmpty())
        message += tr(" (did you mean %1?)").arg(similar.join(QStringLiteral(", ")));
    return Expected<qint32>::failure(message);
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

// Resolves the socket of a live agent, or says why there is none.
Expected<QString> agentSocket(qint64 pid)
{
    QString refusal;
    const QString socket = AgentDiscovery::socketPathForPid(pid, &refusal);
    if (!AgentDiscovery::processAlive(pid))
        return Expected<QString>::failure(tr("no process with pid %1").arg(pid));
    if (socket.isEmpty())
        return Expected<QString>::failure(refusal.isEmpty()
                                              ? tr("process %1 has no Leakscope agent serving").arg(pid)
                                              : tr("process %1: %2").arg(pid).arg(refusal));
    return socket;
}

// How long chain and backrefs wait for a live agent's answer by default.
constexpr int s_defaultLiveTimeoutSeconds = 60;

// --------------------------------------------------------------------- chain

int chainFromFile(const QString &path, const QString &typeName, qint64 index, CliOutput &io)
{
    Expected<LoadedGraph> loaded = loadGraph(path, index);
    if (!loaded) {
        io.error(loaded.error());
        return 2;
    }
    const LoadedGraph &g = loaded.value();
    const HeapGraph &graph = g.graph;
    const Expected<qint32> type = findType(g, typeName);
    if (!type) {
        io.error(type.error());
        return 2;
    }
    const std::vector<quint32> instances = graph.nodesOfType(type.value());
    const Expected<ReferenceChain> chain = ReferenceChain::shortestToRoot(graph, instances);
    if (!chain) {
        io.error(tr("%1: %2").arg(describeSnapshot(g), chain.error()));
        return 2;
    }
    const ReferenceChain &c = chain.value();
    QString out = trN("Chain to %1 in %2: %n reference(s) from %3 (%4 instances)\n", int(c.steps.size() - 1))
                      .arg(TextFormat::escape(typeName), describeSnapshot(g),
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
    const Expected<QString> socket = agentSocket(pid);
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

// Common to chain and backrefs: FILE or --pid, and --type.
struct Target
{
    QString file;
    qint64 pid = 0;
    QString type;
    qint64 snapshot = -1;
    int timeoutMs = s_defaultLiveTimeoutSeconds * 1000;
};

std::optional<Target> target(const Arguments &a, const char *command, QString *error)
{
    Target t;
    if (a.has("--pid")) {
        const std::optional<qint64> pid = number(a, "--pid", 0, 1, std::numeric_limits<int>::max(), error);
        if (!pid)
            return std::nullopt;
        t.pid = *pid;
        if (!a.positional.isEmpty()) {
            *error = tr("%1 takes a FILE or --pid, not both").arg(QLatin1String(command));
            return std::nullopt;
        }
        if (a.has("--snapshot")) {
            *error = tr("--snapshot applies to files, not to --pid");
            return std::nullopt;
        }
        if (a.has("--timeout")) {
            bool ok = false;
            const double seconds = a.value("--timeout").toDouble(&ok);
            if (!ok || !(seconds > 0) || seconds > 86400) {
                *error = tr("--timeout needs a number of seconds above 0 and at most 86400, not '%1'")
                             .arg(a.value("--timeout"));
                return std::nullopt;
            }
            t.timeoutMs = std::max(1, int(seconds * 1000));
        }
    } else if (a.has("--timeout")) {
        *error = tr("--timeout applies to --pid, not to files");
        return std::nullopt;
    } else if (a.positional.size() != 1) {
        *error = a.positional.isEmpty() ? tr("%1 needs a FILE or --pid PID").arg(QLatin1String(command))
                                        : tr("%1 takes one FILE").arg(QLatin1String(command));
        return std::nullopt;
    } else {
        t.file = a.positional.first();
    }
    t.type = a.value("--type");
    if (t.type.isEmpty()) {
        *error = tr("%1 needs --type NAME").arg(QLatin1String(command));
        return std::nullopt;
    }
    const std::optional<qint64> snapshot = number(a, "--snapshot", -1, 0, std::numeric_limits<int>::max(), error);
    if (!snapshot)
        return std::nullopt;
    t.snapshot = *snapshot;
    return t;
}

// ------------------------------------------------------------------ backrefs

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

// ------------------------------------------------------------------ retained

struct TypeTotals
{
    quint64 count = 0;
    quint64 shallow = 0;
};

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
    QString error;
    const std::optional<Arguments> a =
        parse(arguments,
              {QStringLiteral("--pid"), QStringLiteral("--type"), QStringLiteral("--snapshot"), QStringLiteral("--timeout")},
              {}, &error);
    if (!a)
        return usageError(io, error, usage());
    if (a->help) {
        io.out += usage();
        return 0;
    }
    const std::optional<Target> t = target(*a, "chain", &error);
    if (!t)
        return usageError(io, error, usage());
    if (t->pid > 0)
        return chainFromPid(t->pid, t->type, t->timeoutMs, io);
    return chainFromFile(t->file, t->type, t->snapshot, io);
}

QString BackrefsCommand::usage()
{
    return tr("Usage: leakscope-cli backrefs (FILE | --pid PID [--timeout S]) --type NAME [--snapshot N]\n"
              "                              [--depth N] [--max-nodes N] [--skip-cycles]\n"
              "                              (--dot OUT | --svg OUT | --png OUT)\n"
              "\n"
              "Draws who refers to a few instances of type NAME (up to 3, like objgraph's\n"
              "show_backrefs), level by level up to the roots: edges carry the attribute, key or\n"
              "index; more than 10 referrers of one object collapse into a \"+N more\" node.\n"
              "\n"
              "  FILE            a .lsnap file recorded with heap graphs (record --graph)\n"
              "  --pid PID       ask the live agent of process PID instead\n"
              "  --timeout S     with --pid: seconds to wait for the agent's answer (default 60)\n"
              "  --type NAME     qualified type name, e.g. __main__.Session\n"
              "  --snapshot N    0-based snapshot index in FILE (default: the last with a graph)\n"
              "  --depth N       levels of referrers (default 4)\n"
              "  --max-nodes N   at most N nodes, \"+N more\" nodes included (default 200, at most 2000)\n"
              "  --skip-cycles   leave out referrers that only point back: above a module's\n"
              "                  namespace only the module (not its functions' __globals__),\n"
              "                  and from FILE whatever an object keeps alive itself\n"
              "                  (computes the dominator tree first)\n"
              "  --dot OUT       write Graphviz DOT text (render with `dot -Tsvg OUT`)\n"
              "  --svg OUT       write SVG laid out by Graphviz dot\n"
              "  --png OUT       write PNG rendered by Graphviz dot\n"
              "\n"
              "Exit codes: 0 ok, 2 bad usage, no heap graph, unknown type, bad file, dead pid or\n"
              "OUT not writable.\n");
}

int BackrefsCommand::run(const QStringList &arguments, CliOutput &io)
{
    QString error;
    const std::optional<Arguments> a = parse(
        arguments,
        {QStringLiteral("--pid"), QStringLiteral("--type"), QStringLiteral("--snapshot"), QStringLiteral("--timeout"),
         QStringLiteral("--depth"),
         QStringLiteral("--max-nodes"), QStringLiteral("--dot"), QStringLiteral("--svg"), QStringLiteral("--png")},
        {QStringLiteral("--skip-cycles")}, &error);
    if (!a)
        return usageError(io, error, usage());
    if (a->help) {
        io.out += usage();
        return 0;
    }
    const std::optional<Target> t = target(*a, "backrefs", &error);
    if (!t)
        return usageError(io, error, usage());
    const std::optional<qint64> depth = number(*a, "--depth", 4, 1, 100, &error);
    if (!depth)
        return usageError(io, error, usage());
    const std::optional<qint64> maxNodes = number(*a, "--max-nodes", 200, 1, GraphLayout::s_maxNodes, &error);
    if (!maxNodes)
        return usageError(io, error, usage());
    const int outputs = int(a->has("--dot")) + int(a->has("--svg")) + int(a->has("--png"));
    if (outputs != 1)
        return usageError(io, outputs == 0 ? tr("backrefs needs one of --dot OUT, --svg OUT, --png OUT")
                                            : tr("backrefs writes one of --dot, --svg, --png at a time"),
                          usage());
    const char *format = a->has("--dot") ? "--dot" : a->has("--svg") ? "--svg" : "--png";
    const QString output = a->value(format);
    const bool skipCycles = a->flags.contains(QStringLiteral("--skip-cycles"));
    if (output.isEmpty())
        return usageError(io, tr("%1 needs a file name").arg(QLatin1String(format)), usage());

    if (t->pid > 0) {
        const Expected<QString> socket = agentSocket(t->pid);
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
        const Status merged = live.mergeBackrefs(reply.value());
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
        return 0;
    }

    Expected<LoadedGraph> loaded = loadGraph(t->file, t->snapshot);
    if (!loaded) {
        io.error(loaded.error());
        return 2;
    }
    const LoadedGraph &g = loaded.value();
    const Expected<qint32> type = findType(g, t->type);
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
            io.error(tr("%1: %2").arg(describeSnapshot(g), tree.error()));
            return 2;
        }
        options.dominators = &tree.value();
    }
    const std::vector<quint32> targets = g.graph.sampleInstances(type.value(), 3);
    const ReferenceSubgraph sub = ReferenceSubgraph::build(g.graph, targets, options);
    const LayoutInput input = ReferenceLayout::fromSubgraph(sub).input;

    if (!writeGraph(input, format, output, describeSnapshot(g), io))
        return 2;
    io.out += tr("%1: back-references of %2 of %3 instances of %4 in %5: %6 nodes, %7 edges%8\n")
                  .arg(output)
                  .arg(targets.size())
                  .arg(g.graph.instanceCount(type.value()))
                  .arg(TextFormat::escape(t->type), describeSnapshot(g))
                  .arg(input.nodes.size())
                  .arg(input.edges.size())
                  .arg(sub.truncated() ? tr(" (cut at --depth/--max-nodes)") : QString());
    return 0;
}

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
              "  --snapshot N    0-based snapshot index in FILE (default: the last with a graph)\n"
              "  --top N         rows to show (default 20)\n"
              "  --json          print JSON instead of a table\n"
              "\n"
              "Exit codes: 0 ok, 2 bad usage, no heap graph, bad file.\n");
}

int RetainedCommand::run(const QStringList &arguments, CliOutput &io)
{
    QString error;
    const std::optional<Arguments> a = parse(
        arguments, {QStringLiteral("--snapshot"), QStringLiteral("--top"), QStringLiteral("--by")},
        {QStringLiteral("--json")}, &error);
    if (!a)
        return usageError(io, error, usage());
    if (a->help) {
        io.out += usage();
        return 0;
    }
    if (a->positional.size() != 1)
        return usageError(io, a->positional.isEmpty() ? tr("retained needs a FILE") : tr("retained takes one FILE"),
                          usage());
    const std::optional<qint64> snapshot = number(*a, "--snapshot", -1, 0, std::numeric_limits<int>::max(), &error);
    if (!snapshot)
        return usageError(io, error, usage());
    const std::optional<qint64> top = number(*a, "--top", 20, 1, std::numeric_limits<int>::max(), &error);
    if (!top)
        return usageError(io, error, usage());
    const QString by = a->has("--by") ? a->value("--by") : QStringLiteral("object");
    if (by != QLatin1String("object") && by != QLatin1String("type"))
        return usageError(io, tr("--by takes object or type, not '%1'").arg(by), usage());
    const bool json = a->flags.contains(QStringLiteral("--json"));

    Expected<LoadedGraph> loaded = loadGraph(a->positional.first(), *snapshot);
    if (!loaded) {
        io.error(loaded.error());
        return 2;
    }
    const LoadedGraph &g = loaded.value();
    const HeapGraph &graph = g.graph;
    const Expected<DominatorTree> tree = DominatorTree::compute(graph);
    if (!tree) {
        io.error(tr("%1: %2").arg(describeSnapshot(g), tree.error()));
        return 2;
    }
    const DominatorTree &d = tree.value();

    QJsonObject root;
    root.insert(QStringLiteral("format"), QStringLiteral("leakscope-retained"));
    root.insert(QStringLiteral("version"), 1);
    root.insert(QStringLiteral("file"), g.path);
    root.insert(QStringLiteral("snapshot"), g.index);
    root.insert(QStringLiteral("snapshot_id"), g.id);
    root.insert(QStringLiteral("label"), g.label.isEmpty() ? QJsonValue() : QJsonValue(g.label));
    root.insert(QStringLiteral("nodes"), qint64(graph.nodeCount()));
    root.insert(QStringLiteral("edges"), qint64(graph.edgeCount()));
    root.insert(QStringLiteral("total_size"), qint64(d.totalSize()));
    root.insert(QStringLiteral("unreachable"), qint64(d.unreachableCount()));
    root.insert(QStringLiteral("by"), by);

    QString out = tr("Retained sizes in %1: %2 objects, %3 shallow in total\n")
                      .arg(describeSnapshot(g))
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
