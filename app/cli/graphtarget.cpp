#include "cli/graphtarget.h"

#include "cli/agenttarget.h"
#include "cli/textformat.h"
#include "lsnap/heapgraphstore.h"
#include "lsnap/snapshotreader.h"

#include <QCoreApplication>

#include <algorithm>
#include <limits>

namespace leakscope {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("GraphCommands", text);
}

} // namespace

void GraphTarget::declare(CommandLine &line)
{
    line.option({"--pid"}).option({"--type"}).option({"--snapshot"}).option({"--baseline"}).option({"--timeout"});
}

std::optional<GraphTarget> GraphTarget::fromCommandLine(const CommandLine &a, const char *command, QString *error)
{
    GraphTarget t;
    if (a.has("--pid")) {
        const Expected<qint64> pid = AgentTarget::parsePid(a.value("--pid"), QStringLiteral("--pid"));
        if (!pid) {
            *error = pid.error();
            return std::nullopt;
        }
        t.pid = pid.value();
        if (!a.positional().isEmpty()) {
            *error = tr("%1 takes a FILE or --pid, not both").arg(QLatin1String(command));
            return std::nullopt;
        }
        if (a.has("--snapshot") || a.has("--baseline")) {
            *error = tr("%1 applies to files, not to --pid (the agent prefers instances created since its last "
                        "census with remember_ids)")
                         .arg(a.has("--snapshot") ? QStringLiteral("--snapshot") : QStringLiteral("--baseline"));
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
    } else if (a.positional().size() != 1) {
        *error = a.positional().isEmpty() ? tr("%1 needs a FILE or --pid PID").arg(QLatin1String(command))
                                        : tr("%1 takes one FILE").arg(QLatin1String(command));
        return std::nullopt;
    } else {
        t.file = a.positional().first();
    }
    t.type = a.value("--type");
    if (t.type.isEmpty()) {
        *error = tr("%1 needs --type NAME").arg(QLatin1String(command));
        return std::nullopt;
    }
    if (a.has("--snapshot")) {
        const std::optional<int> snapshot = CommandLine::snapshotIndex(QStringLiteral("--snapshot"), a.value("--snapshot"), error);
        if (!snapshot)
            return std::nullopt;
        t.snapshot = *snapshot;
    }
    if (a.has("--baseline")) {
        const std::optional<int> baseline = CommandLine::snapshotIndex(QStringLiteral("--baseline"), a.value("--baseline"), error);
        if (!baseline)
            return std::nullopt;
        t.baseline = *baseline;
        t.baselineGiven = true;
    }
    return t;
}

Expected<LoadedGraph> GraphTarget::load(const QString &path, qint64 index, int baseline)
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
            withGraph << QString::number(i + 1);
    }
    if (index < 0) {
        if (withGraph.isEmpty())
            return failure(tr("no snapshot has a heap graph (record with `leakscope-cli record --graph` or "
                              "leakscope_agent.snapshot(path, graph=True))"));
        index = withGraph.last().toLongLong() - 1;
    }
    if (index >= count)
        return failure(tr("snapshot %1 is out of range (the file has %2 snapshots: 1 to %2)").arg(index + 1).arg(count));
    if (baseline >= count)
        return failure(tr("--baseline %1 is out of range (the file has %2 snapshots: 1 to %2)").arg(baseline + 1).arg(count));
    const SnapshotInfo &info = f.snapshots[size_t(index)].info;
    if (!info.hasGraph)
        return failure(withGraph.isEmpty()
                           ? tr("snapshot %1 has no heap graph (no snapshot in the file has one)").arg(index + 1)
                           : tr("snapshot %1 has no heap graph (snapshots with one: %2)")
                                 .arg(index + 1)
                                 .arg(withGraph.join(QStringLiteral(", "))));
    Expected<HeapGraph> graph = HeapGraph::read(HeapGraphStore::readArrays, path, info.id);
    if (!graph) {
        // The store names the snapshot by its id; the user named it by index.
        QString error = graph.error();
        const QString byId = path + QStringLiteral(", snapshot ") + QString::number(info.id) + QLatin1Char(':');
        if (error.startsWith(byId))
            error = tr("%1, snapshot %2 (id %3):").arg(path).arg(index + 1).arg(info.id) + error.mid(byId.size());
        return Expected<LoadedGraph>::failure(error);
    }
    LoadedGraph loaded;
    loaded.path = path;
    loaded.index = int(index);
    loaded.id = info.id;
    loaded.label = info.label;
    loaded.graph = graph.take();
    loaded.baselineIndex = baseline;
    if (baseline >= 0 && baseline != index) {
        const SnapshotInfo &b = f.snapshots[size_t(baseline)].info;
        if (!b.hasGraph) {
            loaded.baselineNote = tr("snapshot %1, the baseline, has no heap graph: new and old instances are not told "
                                     "apart")
                                      .arg(baseline + 1);
        } else {
            Expected<HeapGraph> old = HeapGraph::read(HeapGraphStore::readArrays, path, b.id);
            if (!old)
                return Expected<LoadedGraph>::failure(old.error());
            loaded.baseline = old.take();
        }
    }
    return loaded;
}

QString GraphTarget::describe(const LoadedGraph &g)
{
    QString s = tr("%1, snapshot %2").arg(TextFormat::escape(g.path)).arg(g.index + 1);
    if (!g.label.isEmpty())
        s += QStringLiteral(" (\"%1\")").arg(TextFormat::escape(g.label));
    return s;
}

Expected<qint32> GraphTarget::findType(const LoadedGraph &g, const QString &name)
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
    QString message = tr("%1: no object of type '%2' in the heap graph").arg(describe(g), name);
    if (!similar.isEmpty())
        message += tr(" (did you mean %1?)").arg(similar.join(QStringLiteral(", ")));
    return Expected<qint32>::failure(message);
}

std::vector<quint32> LoadedGraph::newInstances(qint32 type, bool *fresh) const
{
    std::vector<quint32> all = graph.nodesOfType(type);
    *fresh = false;
    if (!baseline)
        return all;
    std::vector<quint32> young;
    for (quint32 n : all)
        if (baseline->findNode(graph.id(n)) == HeapGraph::NoNode)
            young.push_back(n);
    *fresh = !young.empty();
    return young.empty() ? all : young;
}

QString LoadedGraph::age(quint32 node) const
{
    if (!baseline)
        return QString();
    return baseline->findNode(graph.id(node)) == HeapGraph::NoNode ? tr("new since snapshot %1").arg(baselineIndex + 1)
                                                                    : tr("present at snapshot %1").arg(baselineIndex + 1);
}

} // namespace leakscope
