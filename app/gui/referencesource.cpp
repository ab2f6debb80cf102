#include "gui/referencesource.h"

#include "core/jobrunner.h"
#include "core/textutil.h"
#include "gui/livecontroller.h"
#include "heapgraph/referencechain.h"
#include "live/agentclient.h"

#include <QLocale>
#include <QLoggingCategory>

#include <algorithm>
#include <climits>

Q_LOGGING_CATEGORY(lcReferenceSource, "leakscope.gui.references", QtInfoMsg)

namespace leakscope {

// ------------------------------------------------------------------ file

FileReferenceSource::FileReferenceSource(std::shared_ptr<HeapGraphService> graphs, QObject *parent)
    : ReferenceSource(parent), m_graphs(new HeapGraphRequest(std::move(graphs), this))
{
    // The graph is drawn once, when it and the analyses it needs are there.
    connect(m_graphs, &HeapGraphRequest::ready, this, [this] {
        if (m_waiting)
            load(m_query);
    });
    // (A failure or cancel below while the request is being started leaves
    // m_waiting false, so load() shows no "Loading" text after it.)
    connect(m_graphs, &HeapGraphRequest::failed, this, [this](const QString &error) {
        m_waiting = false;
        if (!m_analysed)
            emit empty(tr("Could not load the heap graph: %1").arg(error));
        emit message(error);
    });
    connect(m_graphs->runner(), &JobRunner::cancelled, this, [this] {
        if (m_waiting && !m_analysed)
            emit empty(tr("Loading the heap graph was cancelled. Press Reload to load it again."));
        m_waiting = false;
    });
}

void FileReferenceSource::setKeys(const Key &key, bool hasBaseline, const Key &baseline)
{
    if (key != m_key)
        m_analysed.reset();
    m_key = key;
    m_hasBaseline = hasBaseline;
    m_baselineKey = baseline;
}

bool FileReferenceSource::isShowing(const Key &key, bool hasBaseline, const Key &baseline) const
{
    return m_analysed && key == m_key && hasBaseline == m_hasBaseline && (!hasBaseline || baseline == m_baselineKey);
}

void FileReferenceSource::cancel()
{
    m_graphs->cancel();
}

BackrefOptions FileReferenceSource::options() const
{
    BackrefOptions o;
    o.maxDepth = m_query.depth;
    o.maxNodes = m_query.maxNodes;
    o.dominators = m_analysed ? m_analysed->dominators.get() : nullptr;
    o.skipKeptAlive = m_query.skipCycles;
    return o;
}

void FileReferenceSource::load(const Query &query)
{
    m_query = query;
    // Dominators tell which referrers an object keeps alive itself and give
    // retained sizes; root paths answer Chain to Root at once. The baseline's
    // graph only tells which instances are new.
    std::vector<HeapGraphRequest::Item> items{{m_key, HeapGraphService::Dominators | HeapGraphService::RootPaths}};
    if (m_hasBaseline)
        items.push_back({m_baselineKey, HeapGraphService::GraphOnly});
    // Waiting from before the request: a cancel as soon as the job starts
    // (a click on the Cancel button that appeared) must find it so.
    m_waiting = true;
    const bool there = m_graphs->request(items);
    if (!there) {
        // (Unless the load was cancelled as soon as it started.)
        if (m_graphs->isRunning())
            emit empty(tr("Loading the heap graph of snapshot %1 and computing retained sizes\u2026").arg(m_key.snapshotId));
        return;
    }
    m_waiting = false;
    m_analysed = m_graphs->result(m_key);
    m_baseline = m_hasBaseline ? m_graphs->result(m_baselineKey) : nullptr;
    build();
}

void FileReferenceSource::rebuild(const Query &query)
{
    m_query = query;
    if (m_analysed)
        build();
}

void FileReferenceSource::build()
{
    // A new subgraph: indices of the old one mean nothing in it.
    m_chain.clear();
    m_chainText.clear();
    const HeapGraph &g = *m_analysed->graph;
    if (m_query.objectId) {
        const quint32 node = g.findNode(m_query.objectId);
        if (node == HeapGraph::NoNode) {
            m_sub = ReferenceSubgraph();
            emit empty(tr("Object %1 is not in the heap graph of this snapshot.").arg(TextUtil::hexId(m_query.objectId)));
            return;
        }
        m_instanceCount = 1;
        m_sampleCount = 1;
        m_samplesNew = false;
        m_sampleIds = QStringList{TextUtil::hexId(m_query.objectId)};
        m_sub = ReferenceSubgraph::build(g, {node}, options());
        emit changed(QString());
        return;
    }
    const qint32 type = g.findType(m_query.typeName);
    m_instanceCount = type >= 0 ? g.instanceCount(type) : 0;
    if (m_instanceCount == 0) {
        m_sub = ReferenceSubgraph();
        emit empty(tr("No instance of %1 in the heap graph of this snapshot.").arg(m_query.typeName));
        return;
    }
    const HeapGraph *baseline = m_baseline ? m_baseline->graph.get() : nullptr;
    const std::vector<quint32> samples = g.sampleInstances(type, s_samples, baseline);
    m_sampleCount = int(samples.size());
    m_samplesNew = false;
    m_sampleIds.clear();
    for (quint32 s : samples) {
        m_sampleIds << TextUtil::hexId(g.id(s));
        if (baseline && baseline->findNode(g.id(s)) == HeapGraph::NoNode)
            m_samplesNew = true;
    }
    m_sub = ReferenceSubgraph::build(g, samples, options());
    emit changed(QString());
}

ReferenceLayout FileReferenceSource::layout() const
{
    if (!m_analysed)
        return {};
    return ReferenceLayout::fromSubgraph(m_sub, m_analysed->dominators.get(), m_chain);
}

int FileReferenceSource::indexOf(const QString &layoutId) const
{
    if (!m_analysed || !layoutId.startsWith(QLatin1Char('n')))
        return -1;
    bool ok = false;
    const int i = layoutId.mid(1).toInt(&ok);
    return ok && i >= 0 && i < m_sub.nodeCount() ? i : -1;
}

qint64 FileReferenceSource::instanceCount() const
{
    return m_analysed && !m_query.objectId ? qint64(m_instanceCount) : -1;
}

QStringList FileReferenceSource::infoParts() const
{
    QStringList parts;
    if (!m_analysed)
        return parts;
    const HeapGraph &g = *m_analysed->graph;
    if (m_query.objectId) {
        const quint32 node = g.findNode(m_query.objectId);
        const QString type = node == HeapGraph::NoNode ? QString() : g.typeName(g.type(node));
        parts << QStringLiteral("<b>%1</b>").arg(type.toHtmlEscaped()) << tr("object %1").arg(TextUtil::hexId(m_query.objectId));
    } else {
        parts << QStringLiteral("<b>%1</b>").arg(m_query.typeName.toHtmlEscaped());
        parts << tr("%1 instances in the heap graph").arg(QLocale().toString(m_instanceCount));
        parts << tr("samples %1%2").arg(m_sampleIds.join(QStringLiteral(", ")),
                                        m_samplesNew ? tr(" (new since the baseline)") : QString());
    }
    if (m_sub.truncated())
        parts << tr("<i>truncated: raise depth or max nodes</i>");
    quint32 skipped = 0;
    for (const ReferenceSubgraph::Node &n : m_sub.nodes())
        skipped += n.keptAliveReferrers;
    if (skipped)
        parts << tr("%n referrer(s) in cycles skipped", nullptr, int(skipped));
    if (!m_chainText.isEmpty())
        parts << m_chainText.toHtmlEscaped();
    return parts;
}

void FileReferenceSource::expand(int i, const QString &anchorId)
{
    if (!m_sub.node(i).canExpand()) {
        emit notice(tr("No more referrers of %1 to show.").arg(m_sub.node(i).label.isEmpty() ? m_sub.node(i).typeName
                                                                                           : m_sub.node(i).label),
                    anchorId);
        return;
    }
    BackrefOptions o = options();
    // Expanding asks for more on purpose: allow it past the initial cap.
    o.maxNodes = std::min(GraphLayout::s_maxNodes, m_sub.nodeCount() + o.maxNodes);
    if (m_sub.expand(*m_analysed->graph, i, o) > 0)
        emit changed(anchorId);
}

void FileReferenceSource::chainToRoot(int i, const QString &anchorId)
{
    const ReferenceSubgraph::Node &n = m_sub.node(i);
    if (n.graphNode == HeapGraph::NoNode) {
        emit notice(tr("\"+N more\" stands for several objects; expand it first."), anchorId);
        return;
    }
    const HeapGraph &g = *m_analysed->graph;
    // The root path index answers in the length of the chain.
    Expected<ReferenceChain> chain = m_analysed->paths ? m_analysed->paths->chain(g, {n.graphNode})
                                                       : ReferenceChain::shortestToRoot(g, {n.graphNode});
    if (!chain) {
        emit message(chain.error());
        return;
    }
    m_chain = m_sub.addChain(g, chain.value(), options());
    for (int c : m_chain)
        m_sub.setVisible(c, true);
    const quint32 root = chain.value().root();
    m_chainText = chain.value().end == ReferenceChain::End::Root
        ? tr("chain of %1 steps from %2").arg(chain.value().steps.size()).arg(g.label(root))
        : tr("no root leads here; chain of %1 steps from an unreferenced %2")
              .arg(chain.value().steps.size())
              .arg(g.typeName(g.type(root)));
    emit changed(anchorId);
}

void FileReferenceSource::hide(int i)
{
    m_sub.setVisible(i, false);
    emit changed(QString());
}

QString FileReferenceSource::repr(int i) const
{
    const ReferenceSubgraph::Node &n = m_sub.node(i);
    QString text = n.graphNode == HeapGraph::NoNode ? n.label : m_analysed->graph->label(n.graphNode);
    if (text.isEmpty())
        text = QStringLiteral("<%1 object at %2>").arg(n.typeName, TextUtil::hexId(n.objectId));
    return text;
}

quint64 FileReferenceSource::objectId(int i) const
{
    const ReferenceSubgraph::Node &n = m_sub.node(i);
    return n.graphNode == HeapGraph::NoNode ? 0 : n.objectId;
}

void FileReferenceSource::listInstances(int i)
{
    const ReferenceSubgraph::Node &n = m_sub.node(i);
    if (n.type < 0)
        return;
    const HeapGraph &g = *m_analysed->graph;
    const std::vector<quint32> nodes = g.nodesOfType(n.type);
    QStringList items;
    for (size_t k = 0; k < nodes.size() && k < size_t(s_maxListedInstances); ++k) {
        const QString label = g.label(nodes[k]);
        items << QStringLiteral("%1  %2").arg(TextUtil::hexId(g.id(nodes[k])), label.isEmpty() ? n.typeName : label);
    }
    if (nodes.size() > size_t(s_maxListedInstances))
        items << tr("\u2026 and %1 more").arg(QLocale().toString(quint64(nodes.size() - s_maxListedInstances)));
    emit instancesListed(tr("%1 instances of %2").arg(QLocale().toString(quint64(nodes.size())), n.typeName), items);
}

// ------------------------------------------------------------------ live

LiveReferenceSource::LiveReferenceSource(QObject *parent) : ReferenceSource(parent) {}

void LiveReferenceSource::setLiveController(LiveController *live)
{
    if (m_live)
        disconnect(m_live->client(), nullptr, this, nullptr);
    m_live = live;
    if (!live)
        return;
    connect(live->client(), &AgentClient::replied, this, &LiveReferenceSource::onReply);
    connect(live->client(), &AgentClient::failed, this, &LiveReferenceSource::onFailed);
}

bool LiveReferenceSource::isConnected() const
{
    return m_live && m_live->state() == LiveController::State::Connected;
}

QString LiveReferenceSource::source() const
{
    return tr("Process %1").arg(m_live ? m_live->pid() : 0);
}

void LiveReferenceSource::cancel()
{
    m_pending.clear();
}

qint64 LiveReferenceSource::send(const AgentRequest &request, const Pending &pending)
{
    if (!isConnected())
        return -1;
    const qint64 id = m_live->client()->request(request);
    if (id >= 0)
        m_pending.insert(id, pending);
    return id;
}

void LiveReferenceSource::load(const Query &query)
{
    m_query = query;
    m_pending.clear();
    m_graph.clear();
    m_chain.clear();
    m_chainText.clear();
    m_skipped = 0;
    Protocol::BackrefsQuery q;
    if (query.objectId)
        q.ids = {qint64(query.objectId)};
    else
        q.type = query.typeName;
    q.k = s_samples;
    q.depth = query.depth;
    q.maxNodes = query.maxNodes;
    q.skipCycles = query.skipCycles;
    emit empty(tr("Asking the agent who refers to %1\u2026")
                   .arg(query.objectId ? TextUtil::hexId(query.objectId) : query.typeName));
    send(Protocol::backrefs(q), Pending{Purpose::Backrefs, 0, -1, QString(), QString()});
}

ReferenceLayout LiveReferenceSource::layout() const
{
    return m_graph.layout(m_chain);
}

int LiveReferenceSource::indexOf(const QString &id) const
{
    bool ok = false;
    if (id.startsWith(QLatin1Char('o'))) {
        const qint64 object = id.mid(1).toLongLong(&ok);
        return ok ? m_graph.indexOf(object) : -1;
    }
    if (id.startsWith(QLatin1Char('m'))) {
        const int i = id.mid(1).toInt(&ok);
        return ok && i >= 0 && i < m_graph.nodeCount() ? i : -1;
    }
    return -1;
}

QStringList LiveReferenceSource::infoParts() const
{
    QStringList parts;
    parts << QStringLiteral("<b>%1</b>").arg((m_query.objectId ? TextUtil::hexId(m_query.objectId) : m_query.typeName).toHtmlEscaped());
    parts << tr("live, pid %1").arg(m_live ? m_live->pid() : 0);
    if (m_graph.truncated())
        parts << tr("<i>truncated: raise max nodes</i>");
    if (m_skipped)
        parts << tr("%n referrer(s) in cycles skipped", nullptr, int(std::min<quint64>(m_skipped, INT_MAX)));
    if (!m_chainText.isEmpty())
        parts << m_chainText.toHtmlEscaped();
    return parts;
}

void LiveReferenceSource::expand(int i, const QString &anchorId)
{
    const LiveReferenceGraph::Node &n = m_graph.node(i);
    // A "+N more" node asks for the next page of the referrers it stands
    // for; any other node for its referrers.
    const bool paging = n.kind == NodeKind::Collapsed && n.more > 0 && n.moreOf >= 0;
    if (!paging && (n.expanded || n.objectId <= 0)) {
        emit notice(tr("No more referrers of %1 to show.").arg(n.label.isEmpty() ? n.type : n.label), anchorId);
        return;
    }
    const qint64 of = paging ? m_graph.node(n.moreOf).objectId : n.objectId;
    Protocol::BackrefsQuery q;
    q.ids = {of};
    q.depth = 1;
    q.maxNodes = m_query.maxNodes;
    q.skipCycles = m_query.skipCycles;
    if (paging)
        q.offset = n.moreOffset;
    send(Protocol::backrefs(q), Pending{Purpose::Expand, of, paging ? i : -1, QString(), QStringLiteral("o%1").arg(of)});
}

void LiveReferenceSource::chainToRoot(int i, const QString &anchorId)
{
    const LiveReferenceGraph::Node &n = m_graph.node(i);
    if (n.objectId <= 0) {
        emit notice(tr("\"+N more\" stands for several objects."), anchorId);
        return;
    }
    send(Protocol::chainOfObject(n.objectId), Pending{Purpose::Chain, 0, -1, QString(), anchorId});
}

void LiveReferenceSource::hide(int i)
{
    m_graph.setVisible(i, false);
    emit changed(QString());
}

QString LiveReferenceSource::repr(int i) const
{
    const LiveReferenceGraph::Node &n = m_graph.node(i);
    return n.label.isEmpty() ? QStringLiteral("<%1 object at %2>").arg(n.type, TextUtil::hexId(quint64(n.objectId))) : n.label;
}

quint64 LiveReferenceSource::objectId(int i) const
{
    const qint64 id = m_graph.node(i).objectId;
    return id > 0 ? quint64(id) : 0;
}

void LiveReferenceSource::listInstances(int i)
{
    const LiveReferenceGraph::Node &n = m_graph.node(i);
    if (n.type.isEmpty())
        return;
    send(Protocol::instances(n.type, 0, s_maxListedInstances), Pending{Purpose::Instances, 0, -1, n.type, QString()});
}

void LiveReferenceSource::onReply(qint64 id, const QJsonObject &result)
{
    if (!m_pending.contains(id))
        return;
    const Pending p = m_pending.take(id);
    switch (p.purpose) {
    case Purpose::Backrefs:
    case Purpose::Expand: {
        // Protocol checks every field; the graph merges the checked reply.
        const Expected<Protocol::Backrefs> parsed = Protocol::parseBackrefs(result, source());
        const Status merged = parsed ? m_graph.mergeBackrefs(parsed.value(), p.expanded) : Status::failure(parsed.error());
        if (!merged) {
            emit message(merged.error().startsWith(source()) ? merged.error()
                                                              : tr("%1: %2").arg(source(), merged.error()));
            if (m_graph.nodeCount() == 0)
                emit empty(merged.error());
            return;
        }
        // The "+N more" node that was paged through gives way to what came
        // (and to a new "+N more" for whatever is still left).
        if (p.pagedMore >= 0 && p.pagedMore < m_graph.nodeCount())
            m_graph.setVisible(p.pagedMore, false);
        m_skipped += quint64(std::max<qint64>(0, parsed.value().skipped));
        if (m_graph.nodeCount() == 0) {
            emit empty(tr("No instance of %1 is alive in the process.").arg(m_query.typeName));
            return;
        }
        emit changed(p.anchor);
        return;
    }
    case Purpose::Chain: {
        const Expected<Protocol::Chain> parsed = Protocol::parseChain(result, source());
        Expected<std::vector<int>> chain = parsed ? m_graph.mergeChain(parsed.value())
                                                  : Expected<std::vector<int>>::failure(parsed.error());
        if (!chain) {
            emit message(chain.error());
            return;
        }
        m_chain = chain.value();
        m_chainText = parsed.value().end == Protocol::Chain::End::Root && !m_chain.empty()
            ? tr("chain of %1 steps from %2").arg(m_chain.size()).arg(m_graph.node(m_chain.front()).label)
            : tr("no root leads here; chain of %1 steps").arg(m_chain.size());
        emit changed(p.anchor);
        return;
    }
    case Purpose::Instances: {
        const Expected<Protocol::Instances> parsed = Protocol::parseInstances(result, source());
        if (!parsed) {
            emit message(parsed.error());
            return;
        }
        QStringList items;
        for (const Protocol::Instances::Item &item : parsed.value().items)
            items << QStringLiteral("%1  %2").arg(TextUtil::hexId(quint64(item.id)), item.label.isEmpty() ? p.type : item.label);
        const qint64 total = parsed.value().total;
        if (total > items.size())
            items << tr("\u2026 and %1 more").arg(QLocale().toString(total - items.size()));
        emit instancesListed(tr("%1 instances of %2").arg(QLocale().toString(total), p.type), items);
        return;
    }
    }
}

void LiveReferenceSource::onFailed(qint64 id, const QString &error)
{
    if (!m_pending.contains(id))
        return;
    const Pending p = m_pending.take(id);
    QString text = tr("%1: %2").arg(source(), error);
    // An object asked for by id (a container of the Containers view, an
    // inspected object) that has been freed since.
    if (p.purpose == Purpose::Backrefs && m_query.objectId && error.contains(QLatin1String("no live gc-tracked object")))
        text = tr("%1: object %2 is no longer alive; nothing refers to it any more.")
                   .arg(source(), TextUtil::hexId(m_query.objectId));
    qCInfo(lcReferenceSource) << text;
    if (p.purpose == Purpose::Backrefs)
        emit empty(text);
    emit message(text);
}

} // namespace leakscope
