#include "gui/referencetabs.h"

#include "views/containersview.h"
#include "views/trendchart.h"

#include "gui/mainwindow.h"
#include "views/messagebar.h"
#include "gui/referencespanel.h"
#include "gui/retainerspanel.h"
#include "gui/sessioncontroller.h"

#include "core/textutil.h"
#include "gui/livecontroller.h"
#include "heapgraph/heapgraphrequest.h"
#include "heapgraph/objectdetails.h"
#include "live/agentclient.h"
#include "live/protocol.h"
#include "views/objectinspector.h"

#include <QFileInfo>
#include <QTabWidget>

namespace leakscope {

ReferenceTabs::ReferenceTabs(MainWindow *window)
    : QObject(window), m_window(window), m_graphs(new HeapGraphRequest(window->controller()->graphs(), this))
{
    QTabWidget *tabs = window->detailTabs();
    m_references = new ReferencesPanel(window->controller(), tabs);
    m_retainers = new RetainersPanel(window->controller(), tabs);
    // Right after Trend (the Allocations tab stays after them).
    const int afterTrend = tabs->indexOf(window->trendChart()) + 1;
    tabs->insertTab(afterTrend, m_references, tr("References"));
    tabs->setTabToolTip(tabs->indexOf(m_references),
                        tr("Who keeps sample instances of the selected type alive (from the snapshot's heap graph "
                           "or the live process)"));
    tabs->insertTab(afterTrend + 1, m_retainers, tr("Retainers"));
    tabs->setTabToolTip(tabs->indexOf(m_retainers), tr("The objects that keep the most memory alive"));

    connect(window, &MainWindow::selectedTypesChanged, this, &ReferenceTabs::onSelectedTypes);
    connect(m_references, &ReferencesPanel::message, window,
            [window](const QString &text) { window->messageBar()->addMessage(text); });
    // Notices ("No more referrers of ...") show next to the graph, in the panel.
    connect(m_retainers, &RetainersPanel::objectActivated, this, [this, tabs](quint64 objectId) {
        m_references->showObject(objectId);
        tabs->setCurrentWidget(m_references);
    });
    // A click on a container opens its References like a type does (from
    // the compared snapshot's heap graph).
    if (auto *containers = window->findChild<ContainersView *>()) {
        connect(containers, &ContainersView::containerSelected, this, [this](const ContainerRow *row) {
            if (row && row->objectId > 0)
                m_references->showObject(quint64(row->objectId));
        });
    }
    connect(m_retainers, &RetainersPanel::typeActivated, this, [this, tabs](const QString &typeName) {
        m_window->selectTypes({typeName});
        m_references->setTypeName(typeName); // also when the table hides the type
        tabs->setCurrentWidget(m_references);
    });
    connect(m_references, &ReferencesPanel::inspectRequested, this, &ReferenceTabs::inspect);
    connect(m_graphs, &HeapGraphRequest::ready, this, &ReferenceTabs::showInspected);
    connect(m_graphs, &HeapGraphRequest::failed, this, [this](const QString &error) {
        if (m_inspector)
            m_inspector->setError(tr("Could not load the heap graph: %1").arg(error));
    });
    connect(window->controller(), &SessionController::sessionChanged, this, [this] {
        const auto session = m_window->controller()->session();
        if (!session || session->snapshotCount() == 0)
{
            m_references->graphs()->clear();
            m_retainers->graphs()->clear();
            m_graphs->clear();
        }
    });
    onSelectedTypes(window->selectedTypes());
}

ReferenceTabs::~ReferenceTabs() = default;

void ReferenceTabs::setLiveController(LiveController *live)
{
    m_references->setLiveController(live);
    m_live = live;
    if (!live)
        return;
    // The inspector's answers from the agent, when the compared snapshot has
    // no heap graph.
    connect(live->client(), &AgentClient::replied, this, [this](qint64 id, const QJsonObject &result) {
        if (!m_inspector)
            return;
        const QString source = tr("process %1").arg(m_live ? m_live->pid() : 0);
        if (id == m_objectRequest) {
            m_objectRequest = -1;
            const Expected<Protocol::ObjectInfo> info = Protocol::parseObject(result, source);
            if (!info)
                m_inspector->setError(info.error());
            else
                m_inspector->setDetails(ObjectDetails::fromAgentObject(info.value()),
                                        tr("the live process %1").arg(m_live ? m_live->pid() : 0));
        } else if (id == m_chainRequest) {
            m_chainRequest = -1;
            const Expected<Protocol::Chain> chain = Protocol::parseChain(result, source);
            m_inspector->setChain(chain ? ObjectDetails::fromAgentChain(chain.value()) : chain.error());
        }
    });
    connect(live->client(), &AgentClient::failed, this, [this](qint64 id, const QString &error) {
        if (!m_inspector)
            return;
        if (id == m_objectRequest) {
            m_objectRequest = -1;
            // Values such as str and int are fields but not gc-tracked: the
            // agent finds objects by id among those the collector tracks.
            m_inspector->setError(error.contains(QLatin1String("no live gc-tracked object"))
                                      ? tr("%1 is no longer alive, or is a value the garbage collector does not track "
                                           "(str, int, ...): the agent inspects tracked objects only.")
                                            .arg(TextUtil::hexId(m_inspectedId))
                                      : tr("The agent could not inspect %1: %2").arg(TextUtil::hexId(m_inspectedId), error));
        } else if (id == m_chainRequest) {
            m_chainRequest = -1;
            m_inspector->setChain(error);
        }
    });
}

void ReferenceTabs::inspect(quint64 objectId)
{
    if (!m_inspector) {
        m_inspector = new ObjectInspector(m_window);
        m_inspector->setObjectName(QStringLiteral("objectInspector"));
        m_inspector->setWindowFlag(Qt::Window);
        m_inspector->resize(760, 600);
        connect(m_inspector, &ObjectInspector::objectRequested, this, &ReferenceTabs::inspect);
        connect(m_inspector, &ObjectInspector::referencesRequested, this, [this](quint64 id) {
            m_references->showObject(id);
            m_window->detailTabs()->setCurrentWidget(m_references);
            m_window->activateWindow();
        });
        connect(m_inspector, &ObjectInspector::chainToRootRequested, this, &ReferenceTabs::showChain);
    }
    m_inspectedId = objectId;
    showInspected();
    m_inspector->show();
    m_inspector->raise();
    m_inspector->activateWindow();
}

namespace {

// The compared snapshot's heap-graph key, when it has one in a file.
bool comparedGraphKey(const SessionController *controller, HeapGraphService::Key *key, int *index)
{
    const auto session = controller->session();
    const auto comparison = controller->comparison();
    if (!session || !comparison || comparison->current < 0 || comparison->current >= session->snapshotCount())
        return false;
    *index = comparison->current;
    const SnapshotInfo &info = session->snapshot(comparison->current).info;
    if (!info.hasGraph || info.sourceFile.isEmpty())
        return false;
    *key = HeapGraphService::Key{info.sourceFile, info.id};
    return true;
}

} // namespace

void ReferenceTabs::showChain(quint64 objectId)
{
    HeapGraphService::Key key;
    int index = -1;
    const AnalysedGraphPtr graph =
        comparedGraphKey(m_window->controller(), &key, &index) ? m_graphs->result(key) : AnalysedGraphPtr();
    if (graph && graph->graph) {
        m_inspector->setChain(ObjectDetails::chainToRoot(*graph->graph, objectId));
    } else if (m_live && m_live->state() == LiveController::State::Connected) {
        m_chainRequest = m_live->client()->request(Protocol::chainOfObject(qint64(objectId)));
        m_inspector->setChain(tr("asking the agent\u2026"));
    } else {
        m_inspector->setChain(tr("the heap graph is not loaded"));
    }
}

void ReferenceTabs::showInspected()
{
    if (!m_inspector || !m_inspectedId)
        return;
    HeapGraphService::Key key;
    int index = -1;
    const bool hasGraph = comparedGraphKey(m_window->controller(), &key, &index);
    if (index < 0) {
        m_inspector->setError(tr("No snapshot is compared."));
        return;
    }
    if (!hasGraph) {
        if (m_live && m_live->state() == LiveController::State::Connected) {
            m_inspector->setError(tr("Asking the agent about %1\u2026").arg(TextUtil::hexId(m_inspectedId)));
            m_objectRequest = m_live->client()->request(Protocol::object(qint64(m_inspectedId)));
            return;
        }
        m_inspector->setError(tr("Snapshot %1 has no heap graph. Take a snapshot with its heap graph (Heap Graph) "
                                 "to inspect its objects.")
                                  .arg(index + 1));
        return;
    }
    const AnalysedGraphPtr graph = m_graphs->result(key);
    if (!graph || !graph->graph || !graph->dominators) {
        if (m_graphs->isRunning())
            return; // showInspected() again when it is ready
        m_inspector->setError(tr("Loading the heap graph of snapshot %1\u2026").arg(index + 1));
        if (m_graphs->request({HeapGraphRequest::Item{key, HeapGraphService::Dominators}}))
            showInspected();
        return;
    }
    const Expected<ObjectDetails> details =
        ObjectDetails::fromGraph(*graph->graph, graph->dominators.get(), m_inspectedId);
    if (!details) {
        m_inspector->setError(details.error());
        return;
    }
    m_inspector->setDetails(details.value(),
                            tr("%1, snapshot %2").arg(QFileInfo(key.file).fileName()).arg(index + 1));
}

void ReferenceTabs::onSelectedTypes(const QVector<int> &typeIds)
{
    const auto session = m_window->controller()->session();
    if (typeIds.isEmpty() || !session || typeIds.front() < 0 || typeIds.front() >= session->typeCount()) {
        m_references->setTypeName(QString());
        return;
    }
    m_references->setTypeName(session->types().name(typeIds.front()));
}

} // namespace leakscope
