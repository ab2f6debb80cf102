#include "gui/referencetabs.h"

#include "views/containersview.h"
#include "views/trendchart.h"

#include "gui/mainwindow.h"
#include "views/messagebar.h"
#include "gui/referencespanel.h"
#include "gui/retainerspanel.h"
#include "gui/sessioncontroller.h"

#include <QTabWidget>

namespace leakscope {

ReferenceTabs::ReferenceTabs(MainWindow *window)
    : QObject(window), m_window(window)
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
    connect(window->controller(), &SessionController::sessionChanged, this, [this] {
        const auto session = m_window->controller()->session();
        if (!session || session->snapshotCount() == 0)
{
            m_references->graphs()->clear();
            m_retainers->graphs()->clear();
        }
    });
    onSelectedTypes(window->selectedTypes());
}

ReferenceTabs::~ReferenceTabs() = default;

void ReferenceTabs::setLiveController(LiveController *live)
{
    m_references->setLiveController(live);
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
