#include "gui/summarytab.h"

#include "core/jobrunner.h"
#include "gui/mainwindow.h"
#include "gui/sessioncontroller.h"
#include "heapgraph/leakreportgraph.h"
#include "views/containersview.h"
#include "views/summaryview.h"

#include <QSplitter>
#include <QTabWidget>

namespace leakscope {

namespace {

// The tab whose title (without its mnemonic) is `title`, or -1.
int tabNamed(QTabWidget *tabs, const QString &title)
{
    for (int i = 0; i < tabs->count(); ++i) {
        QString text = tabs->tabText(i);
        text.remove(QLatin1Char('&'));
        if (text == title || text.startsWith(title + QLatin1Char(' ')))
            return i;
    }
    return -1;
}

} // namespace

SummaryTab::SummaryTab(MainWindow *window)
    : QObject(window), m_window(window), m_view(new SummaryView(window->detailTabs())), m_runner(new JobRunner(this))
{
    QTabWidget *tabs = window->detailTabs();
    tabs->insertTab(0, m_view, tr("Summary"));
    tabs->setTabToolTip(0, tr("The leaks in words: one entry per leak, its chain from a root and the next step"));
    connect(window->controller(), &SessionController::comparisonChanged, this, &SummaryTab::onComparisonChanged);
    connect(window->controller(), &SessionController::sessionChanged, this, [this] {
        const auto session = m_window->controller()->session();
        if (!session || session->snapshotCount() == 0) {
            m_runner->cancel();
            m_shownFiles.clear();
            m_shownCount = 0;
            m_view->setMessage(tr("Open a recording or take two snapshots to see the leak report."));
        }
    });
    connect(m_view, &SummaryView::nextStepRequested, this, &SummaryTab::openNextStep);
}

SummaryTab::~SummaryTab() = default;

void SummaryTab::onComparisonChanged()
{
    SessionController *controller = m_window->controller();
    const std::shared_ptr<const Session> session = controller->session();
    const std::shared_ptr<const Comparison> comparison = controller->comparison();
    if (!session || !comparison || session->snapshotCount() < 2) {
        m_runner->cancel();
        m_view->setMessage(session && session->snapshotCount() == 1
                               ? tr("One snapshot so far: the report needs a second one to compare against.")
                               : tr("Open a recording or take two snapshots to see the leak report."));
        m_shownCount = session ? session->snapshotCount() : 0;
        return;
    }
    // Shown first when a session opens (other files) or a live session
    // reaches its second snapshot; not again while the user looks elsewhere.
    // A live session has no opened file: its snapshots come from the
    // autosave, which the report names as the timeline does.
    QStringList files = controller->files();
    if (files.isEmpty()) {
        for (int i = 0; i < session->snapshotCount(); ++i) {
            const QString &source = session->snapshot(i).info.sourceFile;
            if (!source.isEmpty() && !files.contains(source))
                files << source;
        }
    }
    if (files != m_shownFiles || m_shownCount < 2) {
        QTabWidget *tabs = m_window->detailTabs();
        tabs->setCurrentWidget(m_view);
        // Room for two entries at least, without hiding the table.
        if (auto *splitter = qobject_cast<QSplitter *>(tabs->parentWidget())) {
            QList<int> sizes = splitter->sizes();
            const int index = splitter->indexOf(tabs);
            int total = 0;
            for (int size : sizes)
                total += size;
            if (index >= 0 && sizes.size() == 2 && total > 0 && sizes[index] < total * 45 / 100) {
                sizes[index] = total * 45 / 100;
                sizes[1 - index] = total - sizes[index];
                splitter->setSizes(sizes);
            }
        }
    }
    m_shownFiles = files;
    m_shownCount = session->snapshotCount();

    if (!m_view->hasReport())
        m_view->setMessage(tr("Computing the leak report…"));
    const int baseline = comparison->baseline, current = comparison->current;
    const std::shared_ptr<HeapGraphService> graphs = controller->graphs();
    m_runner->start(tr("Leak report"), [this, session, files, baseline, current, graphs](JobRunner::Context &context)
                                           -> std::function<void()> {
        TaskControl control;
        control.cancel = context.cancelFlag();
        auto report = std::make_shared<LeakReport>(LeakReportGraph::build(*session, files, baseline, current, *graphs, control));
        if (context.isCancelled())
            return {};
        return [this, report] { m_view->setReport(*report); };
    });
}

void SummaryTab::openNextStep(const QString &action, const QString &typeName)
{
    QTabWidget *tabs = m_window->detailTabs();
    if (action == QLatin1String("containers")) {
        // The Containers view beside the table, on that container (its
        // selection opens References and Allocations on it).
        auto *containers = m_window->findChild<ContainersView *>();
        if (!containers)
            return;
        for (QWidget *p = containers->parentWidget(); p; p = p->parentWidget()) {
            if (auto *tableTabs = qobject_cast<QTabWidget *>(p)) {
                tableTabs->setCurrentWidget(containers);
                break;
            }
        }
        containers->selectContainer(typeName.toLongLong());
        return;
    }
    if (!typeName.isEmpty())
        m_window->selectTypes({typeName});
    int index = -1;
    if (action == QLatin1String("references"))
        index = tabNamed(tabs, tr("References"));
    else if (action == QLatin1String("allocations"))
        index = tabNamed(tabs, tr("Allocations"));
    if (index < 0)
        index = tabNamed(tabs, tr("Trend"));
    if (index >= 0)
        tabs->setCurrentIndex(index);
}

} // namespace leakscope
