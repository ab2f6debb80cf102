#include "gui/referencespanel.h"

#include "core/textutil.h"
#include "live/agentclient.h"
#include "core/jobrunner.h"
#include "gui/livecontroller.h"
#include "heapgraph/referencechain.h"
#include "views/referencegraphscene.h"
#include "gui/sessioncontroller.h"

#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QLabel>
#include <QListWidget>
#include <QLocale>
#include <QLoggingCategory>
#include <QMenu>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSaveFile>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <climits>

Q_LOGGING_CATEGORY(lcReferences, "leakscope.gui.references", QtInfoMsg)

namespace leakscope {

namespace {

constexpr int s_samples = 3;
constexpr int s_maxListedInstances = 1000;

} // namespace

ReferencesPanel::ReferencesPanel(SessionController *sessions, HeapGraphCache *graphs, QWidget *parent)
    : QWidget(parent), m_sessions(sessions), m_graphs(graphs)
{
    setObjectName(QStringLiteral("ReferencesPanel"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 4, 0, 0);
    layout->setSpacing(4);

    auto *bar = new QHBoxLayout;
    bar->setContentsMargins(4, 0, 4, 0);
    m_info = new QLabel(this);
    m_info->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_info->setMinimumWidth(100);
    m_info->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    bar->addWidget(m_info, 1);

    m_progress = new QProgressBar(this);
    m_progress->setMaximumWidth(140);
    m_progress->setTextVisible(false);
    m_progress->hide();
    bar->addWidget(m_progress);
    m_cancel = new QToolButton(this);
    m_cancel->setObjectName(QStringLiteral("cancelReferences"));
    m_cancel->setText(tr("Cancel"));
    m_cancel->setToolTip(tr("Stop loading the heap graph"));
    m_cancel->hide();
    bar->addWidget(m_cancel);

    bar->addWidget(new QLabel(tr("Depth:"), this));
    m_depth = new QSpinBox(this);
    m_depth->setRange(1, 50);
    m_depth->setValue(4);
    m_depth->setToolTip(tr("Levels of referrers above the sample instances (objgraph's max_depth)"));
    bar->addWidget(m_depth);
    bar->addWidget(new QLabel(tr("Max nodes:"), this));
    m_maxNodes = new QSpinBox(this);
    m_maxNodes->setRange(10, GraphLayout::s_maxNodes);
    m_maxNodes->setSingleStep(50);
    m_maxNodes->setValue(200);
    m_maxNodes->setToolTip(tr("Nodes drawn at most; more referrers collapse into \"+N more\" nodes"));
    bar->addWidget(m_maxNodes);
    m_skipKeptAlive = new QCheckBox(tr("Skip cycles"), this);
    m_skipKeptAlive->setChecked(true);
    m_skipKeptAlive->setToolTip(tr("Leave out referrers that only close a cycle back to an object: above a module's "
                                   "namespace only the module (its functions point back through __globals__), and "
                                   "in files, once retained sizes are known, whatever the object keeps alive itself "
                                   "(its own bound methods...). They cannot be what keeps it alive."));
    bar->addWidget(m_skipKeptAlive);
    connect(m_skipKeptAlive, &QCheckBox::toggled, this, [this] {
        if (m_source == Source::File)
            rebuildFromFile();
        else if (m_source == Source::Live)
            refresh();
    });

    auto *reload = new QToolButton(this);
    reload->setObjectName(QStringLiteral("reloadReferences"));
    reload->setText(tr("Reload"));
    reload->setToolTip(tr("Draw the graph again from the start: ask the live process again, or reload a graph whose "
                          "loading was cancelled"));
    bar->addWidget(reload);
    connect(reload, &QToolButton::clicked, this, &ReferencesPanel::refresh);
    auto *fit = new QToolButton(this);
    fit->setText(tr("Fit"));
    fit->setToolTip(tr("Fit the graph to the view (F)"));
    bar->addWidget(fit);
    auto *exportButton = new QToolButton(this);
    exportButton->setText(tr("Export"));
    exportButton->setToolTip(tr("Save the graph on screen as DOT, SVG or PNG"));
    exportButton->setPopupMode(QToolButton::InstantPopup);
    auto *exportMenu = new QMenu(exportButton);
    exportMenu->addAction(tr("DOT\u2026"), this, [this] { exportDialog(ReferenceGraphView::ExportFormat::Dot); });
    exportMenu->addAction(tr("SVG\u2026"), this, [this] { exportDialog(ReferenceGraphView::ExportFormat::Svg); });
    exportMenu->addAction(tr("PNG\u2026"), this, [this] { exportDialog(ReferenceGraphView::ExportFormat::Png); });
    exportButton->setMenu(exportMenu);
    bar->addWidget(exportButton);
    layout->addLayout(bar);

    m_view = new ReferenceGraphView(this);
    layout->addWidget(m_view, 1);
    setEmpty(tr("Select a type in the table to see what keeps its instances alive."));

    connect(fit, &QToolButton::clicked, m_view, &ReferenceGraphView::fitToView);
    connect(m_depth, &QSpinBox::valueChanged, this, [this] { refresh(); });
    connect(m_maxNodes, &QSpinBox::valueChanged, this, [this] { refresh(); });
    connect(m_view, &ReferenceGraphView::nodeActivated, this, &ReferencesPanel::expandNode);
    connect(m_view, &ReferenceGraphView::chainToRootRequested, this, &ReferencesPanel::chainToRoot);
    connect(m_view, &ReferenceGraphView::hideNodeRequested, this, &ReferencesPanel::hideNode);
    connect(m_view, &ReferenceGraphView::copyReprRequested, this, &ReferencesPanel::copyRepr);
    connect(m_view, &ReferenceGraphView::showInstancesRequested, this, &ReferencesPanel::showInstances);
    connect(m_view, &ReferenceGraphView::inspectRequested, this, [this](int viewNode) {
        const int i = sourceIndex(viewNode);
        const quint64 id = i < 0 ? 0 : m_source == Source::File ? m_sub.node(i).objectId : quint64(m_liveGraph.node(i).objectId);
        if (id)
            emit inspectRequested(id);
    });
    connect(m_view, &ReferenceGraphView::exportRequested, this, &ReferencesPanel::exportDialog);
    connect(m_view, &ReferenceGraphView::layoutFailed, this, &ReferencesPanel::message);

    // A live feed publishes a comparison per snapshot: keep what the user
    // expanded unless the compared snapshot's graph really changed.
    connect(m_sessions, &SessionController::comparisonChanged, this, [this] {
        if (m_source == Source::Live && wantsLive())
            return;
        bool has = false;
        bool hasBaseline = false;
        HeapGraphCache::Key baseline;
        const HeapGraphCache::Key key = currentKey(&has, &baseline, &hasBaseline);
        if (m_source == Source::File && has && key == m_key && m_graph && hasBaseline == m_hasBaseline
            && (!hasBaseline || baseline == m_baselineKey))
            return;
        refresh();
    });
    // Only when waiting for it: a load the Retainers tab started must not
    // throw away what the user expanded here.
    connect(m_graphs, &HeapGraphCache::ready, this, [this] {
        if (m_source == Source::File && m_waiting)
            refresh();
    });
    connect(m_graphs, &HeapGraphCache::analysed, this, [this] {
        if (m_source != Source::File)
            return;
        const HeapGraphCache::Entry *e = m_graphs->entry(m_key);
        if (e && e->graph == m_graph && e->dominators && !m_dominators) {
            m_dominators = e->dominators;
            // The first drawing could not tell which referrers the objects
            // keep alive themselves; it comes within a second of the load,
            // before anything was expanded, so draw it again without them.
            if (m_skipKeptAlive->isChecked())
                rebuildFromFile();
            else
                relayoutFile();
        }
    });
    connect(m_graphs, &HeapGraphCache::failed, this, [this](const QString &error) {
        if (m_source == Source::File && !m_graph)
            setEmpty(tr("Could not load the heap graph: %1").arg(error));
        emit message(error);
    });
    JobRunner *loader = m_graphs->loader();
    connect(loader, &JobRunner::started, this, [this] {
        m_progress->setRange(0, 0);
        m_progress->show();
        m_cancel->show();
    });
    connect(loader, &JobRunner::progress, this, [this](qint64 done, qint64 total, const QString &text) {
        m_progress->setRange(0, int(std::min<qint64>(total, 1 << 30)));
        m_progress->setValue(int(std::min<qint64>(done, 1 << 30)));
        m_progress->setToolTip(text);
    });
    for (auto signal : {&JobRunner::finished, &JobRunner::cancelled})
        connect(loader, signal, this, [this] {
            m_progress->hide();
            m_cancel->hide();
        });
    connect(loader, &JobRunner::cancelled, this, [this] {
        if (m_source == Source::File && !m_graph)
            setEmpty(tr("Loading the heap graph was cancelled. Press Reload to load it again."));
    });
    connect(m_cancel, &QToolButton::clicked, m_graphs, &HeapGraphCache::cancel);
}

ReferencesPanel::~ReferencesPanel() = default;

QString ReferencesPanel::noGraphText()
{
    return tr("This snapshot has no heap graph. Record with `leakscope-cli record --graph` or "
              "snapshot(..., graph=True), or watch the process live.");
}

void ReferencesPanel::setTypeName(const QString &typeName)
{
    if (typeName == m_typeName && !m_objectId)
        return;
    m_typeName = typeName;
    m_objectId = 0;
    refresh();
}

void ReferencesPanel::showObject(quint64 objectId)
{
    m_objectId = objectId;
    refresh();
}

void ReferencesPanel::setLiveController(LiveController *live)
{
    if (m_live)
        disconnect(m_live, nullptr, this, nullptr);
    m_live = live;
    if (!live)
        return;
    connect(live, &LiveController::stateChanged, this, [this] {
        if ((m_source == Source::Live) != wantsLive())
            refresh();
    });
    AgentClient *client = live->client();
    connect(client, &AgentClient::replied, this, &ReferencesPanel::onLiveReply);
    connect(client, &AgentClient::failed, this, &ReferencesPanel::onLiveFailed);
    refresh();
}

bool ReferencesPanel::isLive() const
{
    return m_live && m_live->state() == LiveController::State::Connected;
}

bool ReferencesPanel::wantsLive() const
{
    // A compared snapshot with a heap graph (a live "Snapshot with Heap
    // Graph", say) answers from its graph: the same moment as the table's
    // counts, with retained sizes. Otherwise a connected process answers.
    if (!isLive() || m_objectId)
        return false;
    bool has = false;
    bool hasBaseline = false;
    HeapGraphCache::Key baseline;
    currentKey(&has, &baseline, &hasBaseline);
    return !has;
}

BackrefOptions ReferencesPanel::options() const
{
    BackrefOptions o;
    o.maxDepth = m_depth->value();
    o.maxNodes = m_maxNodes->value();
    o.dominators = m_dominators.get();
    o.skipKeptAlive = m_skipKeptAlive->isChecked();
    return o;
}

HeapGraphCache::Key ReferencesPanel::currentKey(bool *has, HeapGraphCache::Key *baseline, bool *hasBaseline) const
{
    *has = false;
    *hasBaseline = false;
    const auto session = m_sessions->session();
    const auto comparison = m_sessions->comparison();
    if (!session || !comparison || comparison->current < 0 || comparison->current >= session->snapshotCount())
        return {};
    const SnapshotInfo &info = session->snapshot(comparison->current).info;
    *has = info.hasGraph && !info.sourceFile.isEmpty();
    if (comparison->baseline >= 0 && comparison->baseline < session->snapshotCount()
        && comparison->baseline != comparison->current) {
        const SnapshotInfo &b = session->snapshot(comparison->baseline).info;
        *hasBaseline = b.hasGraph && !b.sourceFile.isEmpty();
        *baseline = HeapGraphCache::Key{b.sourceFile, b.id};
    }
    return HeapGraphCache::Key{info.sourceFile, info.id};
}

void ReferencesPanel::setEmpty(const QString &text)
{
    m_view->clear();
    m_view->setEmptyText(text);
    m_info->clear();
    m_info->setToolTip(QString());
    emit graphUpdated();
}

void ReferencesPanel::refresh()
{
    m_chain.clear();
    m_chainText.clear();
    m_pending.clear();
    m_expanding.clear();
    m_expandingMore.clear();
    if (m_typeName.isEmpty() && !m_objectId) {
        m_source = Source::None;
        setEmpty(tr("Select a type in the table to see what keeps its instances alive."));
        return;
    }
    if (wantsLive()) {
        m_source = Source::Live;
        requestLive();
        return;
    }
    bool has = false;
    bool hasBaseline = false;
    HeapGraphCache::Key baseline;
    const HeapGraphCache::Key key = currentKey(&has, &baseline, &hasBaseline);
    if (!has) {
        m_source = Source::None;
        m_graph.reset();
        setEmpty(noGraphText());
        return;
    }
    m_source = Source::File;
    if (!(key == m_key))
        m_graph.reset();
    m_key = key;
    m_hasBaseline = hasBaseline;
    m_baselineKey = baseline;
    std::vector<HeapGraphCache::Key> keys{key};
    if (hasBaseline)
        keys.push_back(baseline);
    m_waiting = !m_graphs->request(keys);
    if (m_waiting) {
        // (Unless the load was cancelled as soon as it started.)
        if (m_graphs->loader()->isRunning()) {
            m_view->clear();
            m_view->setEmptyText(tr("Loading the heap graph of snapshot %1\u2026").arg(key.snapshotId));
        }
        return;
    }
    rebuildFromFile();
}

void ReferencesPanel::rebuildFromFile()
{
    const HeapGraphCache::Entry *e = m_graphs->entry(m_key);
    if (!e)
        return;
    // A new subgraph: indices of the old one mean nothing in it.
    m_chain.clear();
    m_chainText.clear();
    m_graph = e->graph;
    m_dominators = e->dominators;
    bool has = false;
    bool hasBaseline = false;
    HeapGraphCache::Key baselineKey;
    currentKey(&has, &baselineKey, &hasBaseline);
    const HeapGraphCache::Entry *b = hasBaseline ? m_graphs->entry(baselineKey) : nullptr;
    if (m_objectId) {
        const quint32 node = m_graph->findNode(m_objectId);
        if (node == HeapGraph::NoNode) {
            m_sub = ReferenceSubgraph();
            setEmpty(tr("Object %1 is not in the heap graph of this snapshot.").arg(TextUtil::hexId(m_objectId)));
            return;
        }
        m_instanceCount = 1;
        m_sampleCount = 1;
        m_samplesNew = false;
        m_sampleIds = QStringList{TextUtil::hexId(m_objectId)};
        m_sub = ReferenceSubgraph::build(*m_graph, {node}, options());
        relayoutFile();
        return;
    }
    const qint32 type = m_graph->findType(m_typeName);
    m_instanceCount = type >= 0 ? m_graph->instanceCount(type) : 0;
    if (m_instanceCount == 0) {
        m_sub = ReferenceSubgraph();
        setEmpty(tr("No instance of %1 in the heap graph of this snapshot.").arg(m_typeName));
        return;
    }
    const std::vector<quint32> samples = m_graph->sampleInstances(type, s_samples, b ? b->graph.get() : nullptr);
    m_sampleCount = int(samples.size());
    m_samplesNew = false;
    m_sampleIds.clear();
    for (quint32 s : samples) {
        m_sampleIds << TextUtil::hexId(m_graph->id(s));
        if (b && b->graph->findNode(m_graph->id(s)) == HeapGraph::NoNode)
            m_samplesNew = true;
    }
    m_sub = ReferenceSubgraph::build(*m_graph, samples, options());
    relayoutFile();
}

void ReferencesPanel::relayoutFile(const QString &anchorId)
{
    if (!m_graph)
        return;
    showLayout(ReferenceLayout::fromSubgraph(m_sub, m_dominators.get(), m_chain), anchorId);
}

void ReferencesPanel::relayoutLive(const QString &anchorId)
{
    showLayout(m_liveGraph.layout(m_chain), anchorId);
}

void ReferencesPanel::showLayout(const ReferenceLayout &layout, const QString &anchorId)
{
    if (layout.input.nodes.empty()) {
        setEmpty(tr("Every node is hidden."));
        return;
    }
    LayoutInput input = layout.input;
    // The tab is usually wide and short: a chain of referrers reads from the
    // root on the left to the objects on the right and stays legible; a tall
    // tab gets objgraph's top-to-bottom drawing.
    if (m_view->width() > 2 * m_view->height()) {
        input.rankDir = LayoutInput::RankDir::LeftToRight;
        // Edge labels sit between the ranks: leave them room side by side.
        input.rankSeparation = std::max(input.rankSeparation, 70.0);
    }
    m_view->setGraph(std::move(input), anchorId);
    updateInfo();
    emit graphUpdated();
}

QString ReferencesPanel::infoText() const
{
    return m_info->text();
}

void ReferencesPanel::updateInfo()
{
    QStringList parts;
    if (m_source == Source::File && m_objectId && m_graph) {
        const quint32 node = m_graph->findNode(m_objectId);
        const QString type = node == HeapGraph::NoNode ? QString() : m_graph->typeName(m_graph->type(node));
        parts << QStringLiteral("<b>%1</b>").arg(type.toHtmlEscaped()) << tr("object %1").arg(TextUtil::hexId(m_objectId));
        if (m_sub.truncated())
            parts << tr("<i>truncated: raise depth or max nodes</i>");
        if (!m_chainText.isEmpty())
            parts << m_chainText.toHtmlEscaped();
        m_info->setText(parts.join(QStringLiteral(" \u00b7 ")));
        m_info->setToolTip(m_info->text());
        return;
    }
    parts << QStringLiteral("<b>%1</b>").arg(m_typeName.toHtmlEscaped());
    if (m_source == Source::File) {
        parts << tr("%1 instances").arg(QLocale().toString(m_instanceCount));
        parts << tr("samples %1%2").arg(m_sampleIds.join(QStringLiteral(", ")),
                                        m_samplesNew ? tr(" (new since the baseline)") : QString());
        if (m_sub.truncated())
            parts << tr("<i>truncated: raise depth or max nodes</i>");
        quint32 skipped = 0;
        for (const ReferenceSubgraph::Node &n : m_sub.nodes())
            skipped += n.keptAliveReferrers;
        if (skipped)
            parts << tr("%n referrer(s) in cycles skipped", nullptr, int(skipped));
        if (!m_dominators)
            parts << tr("computing retained sizes\u2026");
    } else if (m_source == Source::Live) {
        parts << tr("live, pid %1").arg(m_live ? m_live->pid() : 0);
        if (m_liveGraph.truncated())
            parts << tr("<i>truncated: raise max nodes</i>");
        if (m_liveSkipped)
            parts << tr("%n referrer(s) in cycles skipped", nullptr, int(std::min<quint64>(m_liveSkipped, INT_MAX)));
    }
    if (!m_chainText.isEmpty())
        parts << m_chainText.toHtmlEscaped();
    m_info->setText(parts.join(QStringLiteral(" \u00b7 ")));
    // The label is cut to the width of the tab; the whole text on hover.
    m_info->setToolTip(m_info->text());
}

int ReferencesPanel::sourceIndex(int viewNode) const
{
    // While a new layout runs, the graph on screen may stand for an older
    // subgraph whose node indices mean something else now.
    if (m_view->isLayoutRunning())
        return -1;
    const LayoutInput &g = m_view->graph();
    if (viewNode < 0 || size_t(viewNode) >= g.nodes.size())
        return -1;
    if (m_source == Source::File && !m_graph)
        return -1;
    const QString id = g.nodes[size_t(viewNode)].id;
    bool ok = false;
    if (m_source == Source::File && id.startsWith(QLatin1Char('n'))) {
        const int i = id.mid(1).toInt(&ok);
        return ok && i < m_sub.nodeCount() ? i : -1;
    }
    if (m_source == Source::Live) {
        if (id.startsWith(QLatin1Char('o'))) {
            const qint64 object = id.mid(1).toLongLong(&ok);
            return ok ? m_liveGraph.indexOf(object) : -1;
        }
        if (id.startsWith(QLatin1Char('m'))) {
            const int i = id.mid(1).toInt(&ok);
            return ok && i < m_liveGraph.nodeCount() ? i : -1;
        }
    }
    return -1;
}

void ReferencesPanel::expandNode(int viewNode)
{
    const int i = sourceIndex(viewNode);
    if (i < 0)
        return;
    const QString anchor = m_view->graph().nodes[size_t(viewNode)].id;
    if (m_source == Source::File) {
        if (!m_sub.node(i).canExpand()) {
            emit notice(tr("No more referrers of %1 to show.").arg(m_view->graph().nodes[size_t(viewNode)].title));
            return;
        }
        BackrefOptions o = options();
        // Expanding asks for more on purpose: allow it past the initial cap.
        o.maxNodes = std::min(GraphLayout::s_maxNodes, m_sub.nodeCount() + o.maxNodes);
        if (m_sub.expand(*m_graph, i, o) > 0)
            relayoutFile(anchor);
        return;
    }
    if (m_source == Source::Live) {
        const LiveReferenceGraph::Node &n = m_liveGraph.node(i);
        // A "+N more" node asks for the next page of the referrers it
        // stands for; any other node for its referrers.
        const bool paging = n.kind == NodeKind::Collapsed && n.more > 0 && n.moreOf >= 0;
        if (!paging && (n.expanded || n.objectId <= 0)) {
            emit notice(tr("No more referrers of %1 to show.").arg(m_view->graph().nodes[size_t(viewNode)].title));
            return;
        }
        const qint64 of = paging ? m_liveGraph.node(n.moreOf).objectId : n.objectId;
        QJsonObject params{{QStringLiteral("ids"), QJsonArray{double(of)}},
                           {QStringLiteral("depth"), 1},
                           {QStringLiteral("max_nodes"), m_maxNodes->value()},
                           {QStringLiteral("skip_cycles"), m_skipKeptAlive->isChecked()}};
        if (paging)
            params.insert(QStringLiteral("offset"), double(n.moreOffset));
        const qint64 id = liveRequest(QStringLiteral("backrefs"), params, QStringLiteral("expand"));
        if (id >= 0) {
            m_expanding.insert(id, of);
            if (paging)
                m_expandingMore.insert(id, i);
        }
    }
}

void ReferencesPanel::chainToRoot(int viewNode)
{
    const int i = sourceIndex(viewNode);
    if (i < 0)
        return;
    const QString anchor = m_view->graph().nodes[size_t(viewNode)].id;
    if (m_source == Source::File) {
        const ReferenceSubgraph::Node &n = m_sub.node(i);
        if (n.graphNode == HeapGraph::NoNode) {
            emit notice(tr("\"+N more\" stands for several objects; expand it first."));
            return;
        }
        const HeapGraphCache::Entry *e = m_graphs->entry(m_key);
        // The root path index answers in the length of the chain; without it
        // (still being built) one breadth-first search over the graph.
        Expected<ReferenceChain> chain = e && e->paths ? e->paths->chain(*m_graph, {n.graphNode})
                                                      : ReferenceChain::shortestToRoot(*m_graph, {n.graphNode});
        if (!chain) {
            emit message(chain.error());
            return;
        }
        m_chain = m_sub.addChain(*m_graph, chain.value(), options());
        for (int c : m_chain)
            m_sub.setVisible(c, true);
        const quint32 root = chain.value().root();
        m_chainText = chain.value().end == ReferenceChain::End::Root
            ? tr("chain of %1 steps from %2").arg(chain.value().steps.size()).arg(m_graph->label(root))
            : tr("no root leads here; chain of %1 steps from an unreferenced %2")
                  .arg(chain.value().steps.size())
                  .arg(m_graph->typeName(m_graph->type(root)));
        relayoutFile(anchor);
        return;
    }
    if (m_source == Source::Live) {
        const LiveReferenceGraph::Node &n = m_liveGraph.node(i);
        if (n.objectId <= 0) {
            emit notice(tr("\"+N more\" stands for several objects."));
            return;
        }
        liveRequest(QStringLiteral("chain"), QJsonObject{{QStringLiteral("object_id"), double(n.objectId)}},
                    QStringLiteral("chain"));
    }
}

void ReferencesPanel::hideNode(int viewNode)
{
    const int i = sourceIndex(viewNode);
    if (i < 0)
        return;
    if (m_source == Source::File) {
        m_sub.setVisible(i, false);
        relayoutFile();
    } else if (m_source == Source::Live) {
        m_liveGraph.setVisible(i, false);
        relayoutLive();
    }
}

void ReferencesPanel::copyRepr(int viewNode)
{
    const int i = sourceIndex(viewNode);
    if (i < 0)
        return;
    QString text;
    if (m_source == Source::File) {
        const ReferenceSubgraph::Node &n = m_sub.node(i);
        text = n.graphNode == HeapGraph::NoNode ? n.label : m_graph->label(n.graphNode);
        if (text.isEmpty())
            text = QStringLiteral("<%1 object at %2>").arg(n.typeName, TextUtil::hexId(n.objectId));
    } else {
        const LiveReferenceGraph::Node &n = m_liveGraph.node(i);
        text = n.label.isEmpty() ? QStringLiteral("<%1 object at %2>").arg(n.type, TextUtil::hexId(quint64(n.objectId))) : n.label;
    }
    QApplication::clipboard()->setText(text);
}

void ReferencesPanel::showInstances(int viewNode)
{
    const int i = sourceIndex(viewNode);
    if (i < 0)
        return;
    if (m_source == Source::File) {
        const ReferenceSubgraph::Node &n = m_sub.node(i);
        if (n.type < 0)
            return;
        const std::vector<quint32> nodes = m_graph->nodesOfType(n.type);
        QStringList items;
        for (size_t k = 0; k < nodes.size() && k < size_t(s_maxListedInstances); ++k) {
            const QString label = m_graph->label(nodes[k]);
            items << QStringLiteral("%1  %2").arg(TextUtil::hexId(m_graph->id(nodes[k])), label.isEmpty() ? n.typeName : label);
        }
        if (nodes.size() > size_t(s_maxListedInstances))
            items << tr("\u2026 and %1 more").arg(QLocale().toString(quint64(nodes.size() - s_maxListedInstances)));
        showInstanceDialog(tr("%1 instances of %2").arg(QLocale().toString(quint64(nodes.size())), n.typeName), items);
        return;
    }
    if (m_source == Source::Live) {
        const LiveReferenceGraph::Node &n = m_liveGraph.node(i);
        if (n.type.isEmpty())
            return;
        liveRequest(QStringLiteral("instances"),
                    QJsonObject{{QStringLiteral("type"), n.type}, {QStringLiteral("limit"), s_maxListedInstances}},
                    QStringLiteral("instances:") + n.type);
    }
}

void ReferencesPanel::showInstanceDialog(const QString &title, const QStringList &items)
{
    m_lastInstances = items;
    auto *dialog = new QDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setObjectName(QStringLiteral("instancesDialog"));
    dialog->setWindowTitle(title);
    auto *layout = new QVBoxLayout(dialog);
    auto *heading = new QLabel(title, dialog);
    layout->addWidget(heading);
    auto *list = new QListWidget(dialog);
    list->addItems(items);
    list->setSelectionMode(QAbstractItemView::ExtendedSelection);
    list->setToolTip(tr("Double-click an instance to inspect it"));
    // Rows read "0x7f…  label": the id opens the inspector.
    connect(list, &QListWidget::itemActivated, this, [this](QListWidgetItem *item) {
        bool ok = false;
        const quint64 id = item->text().section(QLatin1Char(' '), 0, 0).toULongLong(&ok, 0);
        if (ok && id)
            emit inspectRequested(id);
    });
    layout->addWidget(list);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, dialog);
    connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::close);
    layout->addWidget(buttons);
    dialog->resize(520, 420);
    dialog->show();
}

// ------------------------------------------------------------------ live

qint64 ReferencesPanel::liveRequest(const QString &op, const QJsonObject &params, const QString &purpose)
{
    if (!isLive())
        return -1;
    const qint64 id = m_live->client()->request(op, params);
    if (id >= 0)
        m_pending.insert(id, purpose);
    return id;
}

void ReferencesPanel::requestLive()
{
    m_liveGraph.clear();
    m_view->clear();
    m_view->setEmptyText(tr("Asking the agent who refers to %1\u2026").arg(m_typeName));
    m_liveSkipped = 0;
    QJsonObject params{{QStringLiteral("type"), m_typeName},
                       {QStringLiteral("k"), s_samples},
                       {QStringLiteral("depth"), m_depth->value()},
                       {QStringLiteral("max_nodes"), m_maxNodes->value()},
                       {QStringLiteral("skip_cycles"), m_skipKeptAlive->isChecked()}};
    liveRequest(QStringLiteral("backrefs"), params, QStringLiteral("backrefs"));
    updateInfo();
}

void ReferencesPanel::onLiveReply(qint64 id, const QJsonObject &result)
{
    if (!m_pending.contains(id))
        return;
    const QString purpose = m_pending.take(id);
    if (m_source != Source::Live)
        return;
    if (purpose == QStringLiteral("backrefs") || purpose == QStringLiteral("expand")) {
        const qint64 expanded = m_expanding.take(id);
        const int pagedMore = m_expandingMore.contains(id) ? m_expandingMore.take(id) : -1;
        QString anchor;
        if (expanded)
            anchor = QStringLiteral("o%1").arg(expanded);
        const Status merged = m_liveGraph.mergeBackrefs(result, expanded);
        // The "+N more" node that was paged through gives way to what came
        // (and to a new "+N more" for whatever is still left).
        if (merged && pagedMore >= 0 && pagedMore < m_liveGraph.nodeCount())
            m_liveGraph.setVisible(pagedMore, false);
        m_liveSkipped += quint64(std::max(0.0, result.value(QStringLiteral("skipped")).toDouble()));
        if (!merged) {
            emit message(tr("Process %1: %2").arg(m_live ? m_live->pid() : 0).arg(merged.error()));
            if (m_liveGraph.nodeCount() == 0)
                setEmpty(merged.error());
            return;
        }
        if (m_liveGraph.nodeCount() == 0) {
            setEmpty(tr("No instance of %1 is alive in the process.").arg(m_typeName));
            return;
        }
        relayoutLive(anchor);
    } else if (purpose == QStringLiteral("chain")) {
        Expected<std::vector<int>> chain = m_liveGraph.mergeChain(result);
        if (!chain) {
            emit message(chain.error());
            return;
        }
        m_chain = chain.value();
        m_chainText = result.value(QStringLiteral("end")).toString() == QStringLiteral("root")
            ? tr("chain of %1 steps from %2").arg(m_chain.size()).arg(m_liveGraph.node(m_chain.front()).label)
            : tr("no root leads here; chain of %1 steps").arg(m_chain.size());
        relayoutLive();
    } else if (purpose.startsWith(QStringLiteral("instances:"))) {
        const QString type = purpose.mid(int(qstrlen("instances:")));
        QStringList items;
        for (const QJsonValue &v : result.value(QStringLiteral("items")).toArray()) {
            const QJsonObject item = v.toObject();
            const QString label = item.value(QStringLiteral("label")).toString();
            items << QStringLiteral("%1  %2").arg(TextUtil::hexId(quint64(item.value(QStringLiteral("id")).toDouble())),
                                                  label.isEmpty() ? type : label);
        }
        const qint64 total = result.value(QStringLiteral("total")).toInteger();
        if (total > items.size())
            items << tr("\u2026 and %1 more").arg(QLocale().toString(total - items.size()));
        showInstanceDialog(tr("%1 instances of %2").arg(QLocale().toString(total), type), items);
    }
}

void ReferencesPanel::onLiveFailed(qint64 id, const QString &error)
{
    if (!m_pending.contains(id))
        return;
    const QString purpose = m_pending.take(id);
    m_expanding.remove(id);
    const QString text = tr("Process %1: %2").arg(m_live ? m_live->pid() : 0).arg(error);
    qCInfo(lcReferences) << text;
    if (purpose == QStringLiteral("backrefs"))
        setEmpty(text);
    emit message(text);
}

// ------------------------------------------------------------------ export

Status ReferencesPanel::exportTo(const QString &path, ReferenceGraphView::ExportFormat format)
{
    if (m_view->graph().nodes.empty())
        return Status::failure(tr("%1: there is no graph to export").arg(QDir::toNativeSeparators(path)));
    QByteArray bytes;
    switch (format) {
    case ReferenceGraphView::ExportFormat::Dot:
        bytes = m_view->toDot();
        break;
    case ReferenceGraphView::ExportFormat::Svg: {
        Expected<QByteArray> svg = m_view->toSvg();
        if (!svg)
            return Status::failure(tr("%1: %2").arg(QDir::toNativeSeparators(path), svg.error()));
        bytes = svg.take();
        break;
    }
    case ReferenceGraphView::ExportFormat::Png: {
        const QImage image = m_view->toImage();
        QSaveFile file(path);
        if (image.isNull() || !file.open(QIODevice::WriteOnly) || !image.save(&file, "PNG") || !file.commit())
            return Status::failure(tr("Could not write %1: %2").arg(QDir::toNativeSeparators(path), file.errorString()));
        return {};
    }
    }
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit())
        return Status::failure(tr("Could not write %1: %2").arg(QDir::toNativeSeparators(path), file.errorString()));
    return {};
}

void ReferencesPanel::exportDialog(ReferenceGraphView::ExportFormat format)
{
    const char *suffix = format == ReferenceGraphView::ExportFormat::Dot   ? "dot"
                         : format == ReferenceGraphView::ExportFormat::Svg ? "svg"
                                                                           : "png";
    const QString ext = QString::fromLatin1(suffix);
    QString name = m_typeName;
    name.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9_.-]")), QStringLiteral("_"));
    QString path = QFileDialog::getSaveFileName(this, tr("Export Reference Graph"),
                                                QStringLiteral("backrefs-%1.%2").arg(name, ext),
                                                tr("%1 files (*.%2)").arg(ext.toUpper(), ext));
    if (path.isEmpty())
        return;
    if (QFileInfo(path).suffix().isEmpty())
        path += QLatin1Char('.') + ext;
    const Status written = exportTo(path, format);
    if (!written)
        emit message(written.error());
}

} // namespace leakscope
