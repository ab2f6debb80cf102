#include "heapgraph/leakreportgraph.h"

#include "core/textutil.h"
#include "heapgraph/rootpathindex.h"
#include "heapgraph/heapgraphservice.h"

#include <QCoreApplication>
#include <QHash>
#include <QRegularExpression>

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <optional>

namespace leakscope {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("LeakReportGraph", text);
}

// New instances are judged from a sample this large at most.
constexpr size_t s_sampleLimit = 2000;
// The upward search for a holder stops after this many hops or nodes.
constexpr int s_holderDepth = 3;
constexpr int s_holderNodes = 256;

bool isBuiltinType(const HeapGraph &g, quint32 node)
{
    return TypeRegistry::isBuiltinName(g.typeName(g.type(node)));
}

QString shortType(const QString &name)
{
    const qsizetype dot = name.lastIndexOf(QLatin1Char('.'));
    return dot >= 0 ? name.mid(dot + 1) : name;
}

// "__main__" when `node` is the namespace dict of module __main__, else empty.
QString globalsModule(const HeapGraph &g, quint32 node)
{
    const QString d = g.describe(node);
    const qsizetype at = d.indexOf(QLatin1String(" globals"));
    if (at <= 0 || !g.label(node).startsWith(QLatin1String("dict (")))
        return QString();
    return d.left(at);
}

// "_REQUEST_LOG" for the edge label "['_REQUEST_LOG']"; empty otherwise.
QString keyName(const QString &edge)
{
    static const QRegularExpression re(QStringLiteral("^\\[['\"](.*)['\"]\\]$"));
    const QRegularExpressionMatch m = re.match(edge);
    return m.hasMatch() ? m.captured(1) : QString();
}

// The instances of `type` not in `baseline` (all when there is none),
// evenly thinned to at most s_sampleLimit; `total` gets the unthinned count.
std::vector<quint32> newInstances(const HeapGraph &g, qint32 type, const HeapGraph *baseline, size_t *total)
{
    std::vector<quint32> all = g.nodesOfType(type);
    if (baseline) {
        all.erase(std::remove_if(all.begin(), all.end(),
                                 [&](quint32 n) { return baseline->findNode(g.id(n)) != HeapGraph::NoNode; }),
                  all.end());
    }
    *total = all.size();
    if (all.size() <= s_sampleLimit)
        return all;
    std::vector<quint32> sample;
    sample.reserve(s_sampleLimit);
    for (size_t i = 0; i < s_sampleLimit; ++i)
        sample.push_back(all[i * all.size() / s_sampleLimit]);
    return sample;
}

// Types whose growth is the growth of what they hold.
bool isContainerType(const QString &name)
{
    static const QStringList names{QStringLiteral("list"), QStringLiteral("dict"), QStringLiteral("set"),
                                   QStringLiteral("collections.deque"), QStringLiteral("collections.OrderedDict"),
                                   QStringLiteral("collections.defaultdict"), QStringLiteral("weakref.WeakValueDictionary"),
                                   QStringLiteral("weakref.WeakKeyDictionary"), QStringLiteral("weakref.WeakSet")};
    return names.contains(name);
}

struct Owner
{
    enum Kind { None, Entry, Container } kind = None;
    int entry = -1;                  // Entry: index into report.entries
    quint32 node = HeapGraph::NoNode; // Container: the holding object
    bool holding = false;            // the builtin holds the entry's object
};

// The graph and its retained sizes per type of session snapshot `index`;
// no graph when it has none or it cannot be read (`note` says why).
struct GraphAndRetained
{
    HeapGraphPtr graph;
    std::shared_ptr<const RetainedByType> retained;
};

GraphAndRetained loadGraph(const Session &session, int index, HeapGraphService &graphs,
                           const TaskControl &control, QString *note)
{
    GraphAndRetained out;
    const SnapshotInfo &info = session.snapshot(index).info;
    if (!info.hasGraph)
        return out;
    Expected<AnalysedGraphPtr> graph = graphs.get({info.sourceFile, info.id}, HeapGraphService::GraphOnly, control);
    if (!graph) {
        *note = tr("heap graph of snapshot %1 unreadable: %2").arg(index + 1).arg(graph.error());
        return out;
    }
    out.graph = graph.value()->graph;
    // Retained growth is a bonus: a graph whose dominators fail still folds
    // builtins and gives chains.
    Expected<AnalysedGraphPtr> analysed = graphs.get({info.sourceFile, info.id}, HeapGraphService::RetainedTypes, control);
    if (analysed)
        out.retained = analysed.value()->retained;
    return out;
}

// A growing container of the container tables whose items are mostly the
// instances of a user type entry (or the builtins folded under one) is that
// leak's container: it is folded under the entry ("holding them") instead of
// being a leak of its own. Atomic items (the keys of a dict of ids) do not vote.
void foldTableContainers(std::vector<LeakEntry> &entries, const HeapGraph &g)
{
    static const QStringList atomic{QStringLiteral("int"), QStringLiteral("str"), QStringLiteral("bytes"),
                                    QStringLiteral("float"), QStringLiteral("bool"), QStringLiteral("NoneType")};
    std::vector<bool> drop(entries.size(), false);
    for (size_t ci = 0; ci < entries.size(); ++ci) {
        const LeakEntry &c = entries[ci];
        if (c.kind != LeakEntry::Kind::Container || c.containerType.isEmpty() || !c.objectId)
            continue;
        const quint32 node = g.findNode(c.objectId);
        if (node == HeapGraph::NoNode)
            continue;
        QHash<qint32, int> byType;
        int total = 0;
        for (quint32 e = g.outBegin(node); e < g.outEnd(node) && total < 4096; ++e) {
            const qint32 t = g.type(g.target(e));
            if (atomic.contains(g.typeName(t)))
                continue;
            ++byType[t];
            ++total;
        }
        qint32 dominant = -1;
        int most = 0;
        for (auto it = byType.constBegin(); it != byType.constEnd(); ++it) {
            if (it.value() > most) {
                most = it.value();
                dominant = it.key();
            }
        }
        if (dominant < 0 || most * 2 < total)
            continue;
        const QString itemType = g.typeName(dominant);
        for (size_t xi = 0; xi < entries.size(); ++xi) {
            LeakEntry &x = entries[xi];
            if (xi == ci || drop[xi] || x.kind != LeakEntry::Kind::Type || x.builtin)
                continue;
            const bool holdsIt = x.name == itemType
                || std::any_of(x.folded.begin(), x.folded.end(),
                               [&itemType](const LeakEntry::Folded &f) { return f.type == itemType; });
            if (!holdsIt)
                continue;
            x.folded.push_back({QStringLiteral("%1 (%2)").arg(c.name, c.containerType), c.growth, tr("holding them")});
            drop[ci] = true;
            break;
        }
    }
    std::vector<LeakEntry> kept;
    for (size_t i = 0; i < entries.size(); ++i)
        if (!drop[i])
            kept.push_back(std::move(entries[i]));
    entries = std::move(kept);
}

} // namespace

LeakReport LeakReportGraph::build(const Session &session, const QStringList &files, int baseline, int current,
                                  const HeapGraphArraysReader &reader, const TaskControl &control)
{
    HeapGraphService graphs(reader);
    return build(session, files, baseline, current, graphs, control);
}

LeakReport LeakReportGraph::build(const Session &session, const QStringList &files, int baseline, int current,
                                  HeapGraphService &graphs, const TaskControl &control)
{
    LeakReport report = LeakReport::fromSession(session, baseline, current);
    report.files = files;
    if (session.snapshotCount() == 0 || report.entries.empty())
        return report;
    int graphIndex = -1;
    for (int i = current; i > baseline && graphIndex < 0; --i)
        if (session.snapshot(i).info.hasGraph && !session.snapshot(i).info.sourceFile.isEmpty())
            graphIndex = i;
    if (graphIndex < 0) {
        report.graphNote = tr("no heap graph after the baseline (take one with Heap Graph in the window or --graph in the CLI to fold "
                              "builtins and see chains)");
        return report;
    }
    QString note;
    GraphAndRetained now = loadGraph(session, graphIndex, graphs, control, &note);
    if (!now.graph) {
        report.graphNote = note;
        return report;
    }
    GraphAndRetained then = loadGraph(session, baseline, graphs, control, &note);
    report.graphSnapshot = graphIndex;
    apply(report, *now.graph, then.graph.get(), now.retained.get(), then.retained.get(), control);
    return report;
}

QStringList LeakReportGraph::describeChain(const HeapGraph &g, const ReferenceChain &chain)
{
    QStringList out;
    const size_t n = chain.steps.size();
    for (size_t i = 0; i < n; ++i) {
        const quint32 node = chain.steps[i].node;
        const QString type = g.typeName(g.type(node));
        if (i + 1 == n) {
            out << (n == 1 ? g.describe(node) : shortType(type));
            if (out.last().isEmpty())
                out.last() = shortType(type);
            break;
        }
        // A module and its namespace: one step, "__main__ globals".
        if (i + 1 < n && (g.flags(node) & HeapGraph::ModuleRoot)
            && g.edgeLabel(chain.steps[i + 1].edge) == QLatin1String("__dict__")
            && !globalsModule(g, chain.steps[i + 1].node).isEmpty())
            continue;
        const QString module = globalsModule(g, node);
        if (!module.isEmpty()) {
            out << module + tr(" globals");
            continue;
        }
        const QString edge = i > 0 ? g.edgeLabel(chain.steps[i].edge) : QString();
        const quint32 previous = i > 0 ? chain.steps[i - 1].node : HeapGraph::NoNode;
        const QString key = keyName(edge).isEmpty() ? edge : keyName(edge);
        static const QRegularExpression identifier(QStringLiteral("^\\.?[A-Za-z_][A-Za-z0-9_]*$"));
        if (previous != HeapGraph::NoNode && !key.isEmpty() && !globalsModule(g, previous).isEmpty()) {
            out << QStringLiteral("%1 (%2)").arg(key, shortType(type));
        } else if (identifier.match(edge).hasMatch() && edge != QLatin1String("__dict__")) {
            QString attr = edge.startsWith(QLatin1Char('.')) ? edge.mid(1) : edge;
            out << QStringLiteral("%1 (%2)").arg(attr, shortType(type));
        } else if (i == 0) {
            const QString d = g.describe(node);
            out << (d.isEmpty() ? shortType(type) : d);
        } else {
            out << shortType(type);
        }
    }
    return out;
}

void LeakReportGraph::apply(LeakReport &report, const HeapGraph &g, const HeapGraph *baseline,
                            const RetainedByType *currentRetained, const RetainedByType *baselineRetained,
                            const TaskControl &control)
{
    report.hasGraph = true;
    std::vector<LeakEntry> &entries = report.entries;

    // Retained growth of every type entry.
    if (currentRetained && baselineRetained) {
        for (LeakEntry &e : entries) {
            if (e.kind != LeakEntry::Kind::Type)
                continue;
            e.retainedKnown = true;
            e.retainedGrowth = currentRetained->retained(e.name) - baselineRetained->retained(e.name);
        }
    }

    // Graph type id -> the entry of a user type.
    QHash<qint32, int> userEntry;
    for (int i = 0; i < int(entries.size()); ++i) {
        const LeakEntry &e = entries[size_t(i)];
        if (e.kind == LeakEntry::Kind::Type && !e.builtin) {
            const qint32 t = g.findType(e.name);
            if (t >= 0)
                userEntry.insert(t, i);
        }
    }

    Expected<RootPathIndex> paths = RootPathIndex::build(g, control);

    // Fold builtin suspects.
    std::vector<bool> removed(entries.size(), false);
    std::map<quint32, LeakEntry> containers; // holder node -> its entry
    for (size_t bi = 0; bi < entries.size() && !control.cancelled(); ++bi) {
        LeakEntry &b = entries[bi];
        if (b.kind != LeakEntry::Kind::Type || !b.builtin)
            continue;
        const qint32 type = g.findType(b.name);
        if (type < 0)
            continue;
        size_t total = 0;
        const std::vector<quint32> sample = newInstances(g, type, baseline, &total);
        if (sample.empty())
            continue;
        // owner key -> instances
        std::map<std::pair<int, quint64>, std::pair<Owner, size_t>> votes;
        size_t resolved = 0;
        for (const quint32 x : sample) {
            Owner owner;
            // Up: the nearest instance of a leaking user type holding it
            // through builtins only (an instance's __dict__, a list in it).
            std::deque<std::pair<quint32, int>> queue{{x, 0}};
            QHash<quint32, bool> seen{{x, true}};
            while (!queue.empty() && owner.kind == Owner::None && seen.size() < s_holderNodes) {
                const auto [node, depth] = queue.front();
                queue.pop_front();
                for (quint32 j = g.inBegin(node); j < g.inEnd(node); ++j) {
                    const quint32 s = g.inSource(j);
                    if (seen.contains(s))
                        continue;
                    seen.insert(s, true);
                    const auto it = userEntry.constFind(g.type(s));
                    if (it != userEntry.constEnd()) {
                        owner = Owner{Owner::Entry, it.value(), HeapGraph::NoNode, false};
                        break;
                    }
                    if (depth + 1 < s_holderDepth && isBuiltinType(g, s) && !g.isRoot(s) && globalsModule(g, s).isEmpty())
                        queue.emplace_back(s, depth + 1);
                }
            }
            // Down: a wrapper of a leaking user type's instance (a bound
            // method's __self__, a cell's contents).
            if (owner.kind == Owner::None) {
                for (quint32 e = g.outBegin(x); e < g.outEnd(x); ++e) {
                    const auto it = userEntry.constFind(g.type(g.target(e)));
                    if (it != userEntry.constEnd()) {
                        owner = Owner{Owner::Entry, it.value(), HeapGraph::NoNode, true};
                        break;
                    }
                }
            }
            // A global container that holds it directly.
            if (owner.kind == Owner::None && paths && paths.value().hasPath(x) && paths.value().depth(x) > 0) {
                const Expected<ReferenceChain> c = paths.value().chain(g, {x});
                if (c && c.value().steps.size() >= 2) {
                    const quint32 holder = c.value().steps[c.value().steps.size() - 2].node;
                    const bool global = c.value().steps.size() >= 3
                        && !globalsModule(g, c.value().steps[c.value().steps.size() - 3].node).isEmpty();
                    if (global && g.type(holder) != type && isContainerType(g.typeName(g.type(holder))))
                        owner = Owner{Owner::Container, -1, holder, false};
                }
            }
            if (owner.kind == Owner::None)
                continue;
            ++resolved;
            auto &slot = votes[{owner.entry, owner.kind == Owner::Container ? quint64(owner.node) + 1 : 0}];
            slot.first = owner;
            ++slot.second;
        }
        // Fold only when the graph explains most of the new instances.
        if (resolved * 2 < sample.size())
            continue;
        removed[bi] = true;
        const double scale = double(std::max<qint64>(b.growth, 0)) / double(sample.size());
        // A container that holds only a few of the new instances is noise
        // (a module's spec, a cache of the import system), not a leak.
        const size_t containerMinimum = std::max<size_t>(2, sample.size() / 20);
        for (const auto &vote : votes) {
            const Owner &o = vote.second.first;
            if (o.kind == Owner::Container && vote.second.second < containerMinimum)
                continue;
            const qint64 share = std::max<qint64>(1, qint64(std::llround(double(vote.second.second) * scale)));
            if (o.kind == Owner::Entry) {
                entries[size_t(o.entry)].folded.push_back(
                    {b.name, share, o.holding ? tr("holding it") : tr("held by it")});
                continue;
            }
            // The container tables may already name it (a growing container).
            const quint64 holderId = g.id(o.node);
            const auto table = std::find_if(entries.begin(), entries.end(), [holderId](const LeakEntry &x) {
                return x.kind == LeakEntry::Kind::Container && x.objectId == holderId;
            });
            if (table != entries.end()) {
                table->folded.push_back({b.name, share, tr("held by it")});
                continue;
            }
            auto it = containers.find(o.node);
            if (it == containers.end()) {
                LeakEntry c;
                c.kind = LeakEntry::Kind::Container;
                c.objectId = holderId;
                c.count = qint64(g.outDegree(o.node));
                const quint32 old = baseline ? baseline->findNode(g.id(o.node)) : HeapGraph::NoNode;
                c.baselineCount = old != HeapGraph::NoNode ? qint64(baseline->outDegree(old)) : 0;
                c.growth = c.count - c.baselineCount;
                c.bytesKnown = false;
                c.perSnapshot = b.perSnapshot * double(vote.second.second) / double(sample.size());
                c.perMinute = b.perMinute * double(vote.second.second) / double(sample.size());
                c.score = b.score;
                c.reason = tr("holds the new %1 objects").arg(b.name);
                c.series = b.series;
                c.next = LeakEntry::NextStep::References;
                c.nextType = b.name;
                if (paths) {
                    const Expected<ReferenceChain> chain = paths.value().chain(g, {o.node});
                    if (chain) {
                        c.chain = describeChain(g, chain.value());
                        c.chainObject = TextUtil::hexId(g.id(o.node));
                        c.chainObjectNew = old == HeapGraph::NoNode;
                        c.chainFromRoot = chain.value().end == ReferenceChain::End::Root;
                    }
                }
                c.name = c.chain.isEmpty() ? g.typeName(g.type(o.node)) + QLatin1Char('@') + TextUtil::hexId(g.id(o.node))
                                           : c.chain.last();
                it = containers.emplace(o.node, std::move(c)).first;
            }
            it->second.folded.push_back({b.name, share, tr("held by it")});
        }
    }

    std::vector<LeakEntry> kept;
    for (size_t i = 0; i < entries.size(); ++i)
        if (!removed[i])
            kept.push_back(std::move(entries[i]));
    for (auto &c : containers)
        kept.push_back(std::move(c.second));
    entries = std::move(kept);
    foldTableContainers(entries, g);

    // Chains and next steps of the type entries, from new instances first.
    for (LeakEntry &e : entries) {
        if (control.cancelled())
            break;
        if (e.kind == LeakEntry::Kind::Container && e.objectId && e.chain.isEmpty() && paths) {
            // A growing container of the container tables: its own chain.
            const quint32 node = g.findNode(e.objectId);
            if (node == HeapGraph::NoNode)
                continue;
            const Expected<ReferenceChain> chain = paths.value().chain(g, {node});
            if (chain) {
                e.chain = describeChain(g, chain.value());
                e.chainObject = TextUtil::hexId(e.objectId);
                e.chainObjectNew = baseline && baseline->findNode(e.objectId) == HeapGraph::NoNode;
                e.chainFromRoot = chain.value().end == ReferenceChain::End::Root;
            }
            continue;
        }
        if (e.kind != LeakEntry::Kind::Type)
            continue;
        const qint32 type = g.findType(e.name);
        if (type < 0 || g.instanceCount(type) == 0)
            continue;
        e.next = LeakEntry::NextStep::References;
        if (!paths)
            continue;
        size_t total = 0;
        std::vector<quint32> sources = newInstances(g, type, baseline, &total);
        const bool fresh = !sources.empty();
        if (!fresh)
            sources = g.sampleInstances(type, 50, baseline);
        const Expected<ReferenceChain> chain = paths.value().chain(g, sources);
        if (!chain)
            continue;
        e.chain = describeChain(g, chain.value());
        e.chainObject = TextUtil::hexId(g.id(chain.value().object()));
        e.chainObjectNew = fresh && baseline;
        e.chainFromRoot = chain.value().end == ReferenceChain::End::Root;
    }
    report.sortEntries();
}

} // namespace leakscope
