#include "gui/referencetabs.h"

#include "views/trendchart.h"

#include "gui/heapgraphcache.h"
#include "gui/mainwindow.h"
#include "views/messagebar.h"
#include "gui/referencespanel.h"
#include "gui/retainerspanel.h"
#include "gui/sessioncontroller.h"

#include "core/textutil.h"
#include "gui/livecontroller.h"
#include "heapgraph/objectdetails.h"
#include "live/agentclient.h"
#include "views/objectinspector.h"

#include <QFileInfo>
#include <QTabWidget>

namespace leakscope {

ReferenceTabs::ReferenceTabs(MainWindow *window)
    : QObject(window), m_window(window), m_graphs(new HeapGraphCache(this))
{
    QTabWidget *tabs = window->detailTabs();
    m_references = new ReferencesPanel(window->controller(), m_graphs, tabs);
    m_retainers = new RetainersPanel(window->controller(), m_graphs, tabs);
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
    connect(m_references, &ReferencesPanel::notice, window, [window](const QString &text) {
        window->messageBar()->addMessage(text, MessageBar::Kind::Information);
    });
    connect(m_retainers, &RetainersPanel::objectActivated, this, [this, tabs](quint64 objectId) {
        m_references->showObject(objectId);
        tabs->setCurrentWidget(m_references);
    });
    connect(m_retainers, &RetainersPanel::typeActivated, this, [this, tabs](const QString &typeName) {
        m_window->selectTypes({typeName});
        m_references->setTypeName(typeName); // also when the table hides the type
        tabs->setCurrentWidget(m_references);
    });
    connect(m_references, &ReferencesPanel::inspectRequested, this, &ReferenceTabs::inspect);
    connect(m_graphs, &HeapGraphCache::ready, this, [this] {
        if (m_inspectWaiting)
            showInspected();
    });
    connect(m_graphs, &HeapGraphCache::failed, this, [this](const QString &error) {
        if (m_inspectWaiting && m_inspector) {
            m_inspectWaiting = false;
            m_inspector->setError(tr("Could not load the heap graph: %1").arg(error));
        }
    });
    connect(m_graphs, &HeapGraphCache::analysed, this, [this] {
        // The retained size arrives with the analysis.
        if (m_inspector && m_inspector->isVisible() && m_inspectedId && m_inspector->details().retained < 0)
            showInspected();
    });
    connect(window->controller(), &SessionController::sessionChanged, this, [this] {
        const auto session = m_window->controller()->session();
        if (!session || session->snapshotCount() == 0)
            m_graphs->clear();
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
        if (id == m_objectRequest) {
            m_objectRequest = -1;
            m_inspector->setDetails(ObjectDetails::fromAgentObject(result),
                                    tr("the live process %1 (no heap graph: no fields or referrers)").arg(m_live ? m_live->pid() : 0));
        } else if (id == m_chainRequest) {
            m_chainRequest = -1;
            m_inspector->setChain(ObjectDetails::fromAgentChain(result));
        }
    });
    connect(live->client(), &AgentClient::failed, this, [this](qint64 id, const QString &error) {
        if (!m_inspector)
            return;
        if (id == m_objectRequest) {
            m_objectRequest = -1;
            m_inspector->setError(tr("The agent could not inspect %1: %2").arg(TextUtil::hexId(m_inspectedId), error));
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
        connect(m_inspector, &ObjectInspector::chainToRootRequested, this, [this](quint64 id) {
            const auto session = m_window->controller()->session();
            const auto comparison = m_window->controller()->comparison();
            const HeapGraphCache::Entry *e = nullptr;
            if (session && comparison && comparison->current >= 0 && comparison->current < session->snapshotCount()) {
                const SnapshotInfo &info = session->snapshot(comparison->current).info;
                e = m_graphs->entry(HeapGraphCache::Key{info.sourceFile, info.id});
            }
            if (e && e->graph) {
                m_inspector->setChain(ObjectDetails::chainToRoot(*e->graph, id));
            } else if (m_live && m_live->state() == LiveController::State::Connected) {
                m_chainRequest = m_live->client()->request(QStringLiteral("chain"),
                                                           QJsonObject{{QStringLiteral("object_id"), double(id)}});
                m_inspector->setChain(tr("asking the agent\u2026"));
            } else {
                m_inspector->setChain(tr("the heap graph is not loaded"));
            }
        });
    }
    m_inspectedId = objectId;
    showInspected();
    m_inspector->show();
    m_inspector->raise();
    m_inspector->activateWindow();
}

void ReferenceTabs::showInspected()
{
    m_inspectWaiting = false;
    if (!m_inspector || !m_inspectedId)
        return;
    const auto session = m_window->controller()->session();
    const auto comparison = m_window->controller()->comparison();
    if (!session || !comparison || comparison->current < 0 || comparison->current >= session->snapshotCount()) {
        m_inspector->setError(tr("No snapshot is compared."));
        return;
    }
    const SnapshotInfo &info = session->snapshot(comparison->current).info;
    if ((!info.hasGraph || info.sourceFile.isEmpty()) && m_live && m_live->state() == LiveController::State::Connected) {
        m_inspector->setError(tr("Asking the agent about %1\u2026").arg(TextUtil::hexId(m_inspectedId)));
        m_objectRequest = m_live->client()->request(QStringLiteral("object"),
                                                    QJsonObject{{QStringLiteral("object_id"), double(m_inspectedId)}});
        return;
    }
    if (!info.hasGraph || info.sourceFile.isEmpty()) {
        m_inspector->setError(tr("Snapshot %1 has no heap graph. Take a snapshot with its heap graph (Heap Graph) "
                                 "to inspect its objects.")
                                  .arg(comparison->current + 1));
        return;
    }
    const HeapGraphCache::Key key{info.sourceFile, info.id};
    const HeapGraphCache::Entry *e = m_graphs->entry(key);
    if (!e || !e->graph) {
        std::vector<HeapGraphCache::Key> keys{key};
        const int b = comparison->baseline;
        if (b >= 0 && b < session->snapshotCount() && b != comparison->current && session->snapshot(b).info.hasGraph)
            keys.push_back(HeapGraphCache::Key{session->snapshot(b).info.sourceFile, session->snapshot(b).info.id});
        m_inspector->setError(tr("Loading the heap graph of snapshot %1\u2026").arg(comparison->current + 1));
        m_inspectWaiting = true;
        if (m_graphs->request(keys))
            showInspected();
        return;
    }
    const Expected<ObjectDetails> details = ObjectDetails::fromGraph(*e->graph, e->dominators.get(), m_inspectedId);
    if (!details) {
        m_inspector->setError(details.error());
        return;
    }
    m_inspector->setDetails(details.value(), tr("%1, snapshot %2")
                                                 .arg(QFileInfo(info.sourceFile).fileName())
                                                 .arg(comparison->current + 1));
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
