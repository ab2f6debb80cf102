#include "gui/mainwindow.h"

#include "views/allocationsview.h"
#include "views/containersview.h"

#include "core/comparisonexport.h"
#include "gui/examplesession.h"
#include "gui/growthpanel.h"
#include "gui/helpdialogs.h"
#include "gui/livecontroller.h"
#include "gui/liveui.h"
#include "gui/recentfiles.h"
#include "gui/referencetabs.h"
#include "gui/sessioncontroller.h"
#include "gui/summarytab.h"
#include "gui/timelinepanel.h"
#include "gui/windowsettings.h"
#include "views/growthtablemodel.h"
#include "views/growthtableview.h"
#include "views/messagebar.h"
#include "views/trendchart.h"
#include "live/agentinstaller.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QCloseEvent>
#include <QComboBox>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QElapsedTimer>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QLoggingCategory>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QSaveFile>
#include <QSettings>
#include <QSplitter>
#include <QStandardPaths>
#include <QStackedWidget>
#include <QStatusBar>
#include <QStyle>
#include <QTabBar>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QToolBar>
#include <QToolButton>
#include <QTreeView>
#include <QVBoxLayout>

#include <algorithm>

Q_LOGGING_CATEGORY(lcWindow, "leakscope.gui", QtInfoMsg)

namespace leakscope {

namespace {

// English plurals without a translation file ("1 type", "2 types").
QString counted(qint64 n, const QString &one, const QString &many)
{
    return (n == 1 ? one : many).arg(QLocale().toString(n));
}

const QString s_fileFilter = QStringLiteral("Leakscope snapshots (*.lsnap);;objgraph output (*.json *.txt *.log);;All files (*)");
const QString s_importFilter = QStringLiteral("objgraph output (*.json *.txt *.log);;All files (*)");

} // namespace

MainWindow::MainWindow(QWidget *parent) : QMainWindow(parent)
{
    setObjectName(QStringLiteral("MainWindow"));
    setWindowTitle(tr("Leakscope"));
    setAcceptDrops(true);
    setMinimumSize(720, 480);

    m_controller = new SessionController(this);
    m_recent = new RecentFiles(this);
    connect(m_recent, &RecentFiles::openRequested, this, [this](const QString &path) { openFiles({path}); });

    createActions();
    createWidgets();

    connect(m_controller, &SessionController::sessionChanged, this, &MainWindow::onSessionChanged);
    connect(m_controller, &SessionController::comparisonChanged, this, &MainWindow::onComparisonChanged);
    connect(m_controller, &SessionController::fileFailed, this,
            [this](const QString &, const QString &error) { m_messageBar->addMessage(error); });
    connect(m_controller, &SessionController::retainedFailed, this,
            [this](const QString &error) { m_messageBar->addMessage(error); });
    connect(m_controller, &SessionController::fileOpened, this, &MainWindow::addRecentFile);
    connect(m_controller, &SessionController::sessionSaved, this, [this](const QString &path) {
        statusBar()->showMessage(tr("Session saved to %1").arg(QDir::toNativeSeparators(path)), 5000);
        addRecentFile(path);
    });
    connect(m_controller, &SessionController::saveFailed, this,
            [this](const QString &path, const QString &error) {
                m_messageBar->addMessage(tr("Could not save the session to %1: %2").arg(path, error));
            });
    for (JobRunner *runner : {m_controller->loader(), m_controller->comparer(), m_controller->saver(),
                              m_controller->retainer()}) {
        connect(runner, &JobRunner::started, this, [this, runner] { showJobProgress(runner); });
        connect(runner, &JobRunner::progress, this, [this](qint64 done, qint64 total, const QString &text) {
            m_progressBar->setRange(0, int(total));
            m_progressBar->setValue(int(done));
            if (!text.isEmpty())
                m_progressLabel->setText(text);
        });
        connect(runner, &JobRunner::cancelled, this, [this] { statusBar()->showMessage(tr("Cancelled"), 4000); });
    }
    connect(m_controller, &SessionController::busyChanged, this, [this](bool busy) {
        if (!busy) {
            m_progressLabel->hide();
            m_progressBar->hide();
            m_cancelButton->hide();
        }
        updateSummary();
    });

    m_summaryTab = new SummaryTab(this); // the leak report, first of the detail tabs
    // The live parts: Run/Connect/Attach, the Live menu and toolbar, the console.
    m_liveUi = new LiveUi(this, m_controller, this);
    // References and Retainers right after Trend, answering from a file's
    // heap graph or from the live process.
    m_referenceTabs = new ReferenceTabs(this);
    m_referenceTabs->setLiveController(m_liveUi->live());
    // Live sessions autosave: their files are recent files, with their folder.
    m_recent->setAutosaveDirectory(LiveController::autosaveDirectory());
    connect(m_liveUi->live(), &LiveController::stateChanged, this, [this] {
        const QString path = m_liveUi->live()->autosavePath();
        if (!path.isEmpty() && !m_recent->files().contains(path))
            addRecentFile(path);
    });
    readSettings();
    onSessionChanged();
}

MainWindow::~MainWindow()
{
    // The live parts go first, as when main() owned them: a process Leakscope
    // started is stopped while the session it feeds still exists.
    delete m_liveUi;
}

GrowthTableModel *MainWindow::growthModel() const { return m_growth->model(); }
GrowthFilterProxyModel *MainWindow::growthProxy() const { return m_growth->proxy(); }
GrowthTableView *MainWindow::growthView() const { return m_growth->view(); }
QLineEdit *MainWindow::filterEdit() const { return m_growth->filterEdit(); }
QCheckBox *MainWindow::hideBuiltinsBox() const { return m_growth->hideBuiltinsBox(); }
QCheckBox *MainWindow::suspectsOnlyBox() const { return m_growth->suspectsOnlyBox(); }
QCheckBox *MainWindow::changedOnlyBox() const { return m_growth->changedOnlyBox(); }
SnapshotTimelineModel *MainWindow::timelineModel() const { return m_timeline->model(); }
QTableView *MainWindow::timelineView() const { return m_timeline->view(); }
TestTimelineModel *MainWindow::testsModel() const { return m_timeline->testsModel(); }
QTreeView *MainWindow::testsView() const { return m_timeline->testsView(); }
QTabWidget *MainWindow::timelineTabs() const { return m_timeline->tabs(); }
QComboBox *MainWindow::baselineBox() const { return m_timeline->baselineBox(); }
QComboBox *MainWindow::currentBox() const { return m_timeline->currentBox(); }
QStringList MainWindow::recentFiles() const { return m_recent->files(); }

void MainWindow::createActions()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    m_openAction = file->addAction(QIcon::fromTheme(QStringLiteral("document-open")), tr("&Open\u2026"), this,
                                   &MainWindow::openDialog);
    m_openAction->setShortcut(QKeySequence::Open);
    m_openAction->setStatusTip(tr("Open one or more .lsnap files or objgraph outputs and add them to the session"));
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    m_importAction = file->addAction(tr("&Import objgraph Output\u2026"), this, &MainWindow::importDialog);
    m_importAction->setStatusTip(tr("Add a JSON dump of objgraph.typestats() or a log of objgraph.show_growth() calls"));
    m_exampleAction = file->addAction(tr("Open E&xample Session"), this, [this] {
        const Expected<QString> path = exampleSessionPath();
        if (path)
            openFiles({path.value()});
        else
            m_messageBar->addMessage(path.error());
    });
    m_exampleAction->setStatusTip(tr("Open a recording of a small Python program with a leaking cache"));
    file->addSeparator();
    m_saveAction = file->addAction(QIcon::fromTheme(QStringLiteral("document-save")), tr("&Save Session"), this,
                                   &MainWindow::saveSession);
    m_saveAction->setShortcut(QKeySequence::Save);
    m_saveAction->setStatusTip(tr("Write every snapshot of the session to one .lsnap file (asks where the first time)"));
    m_saveAsAction = file->addAction(QIcon::fromTheme(QStringLiteral("document-save-as")), tr("Save Session &As\u2026"),
                                     this, &MainWindow::saveSessionDialog);
    m_saveAsAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S));
    m_saveAsAction->setStatusTip(tr("Write every snapshot of the session to one .lsnap file"));
    m_exportCsvAction = file->addAction(tr("&Export Table as CSV\u2026"), this, [this] { exportDialog(false); });
    m_exportCsvAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    m_exportCsvAction->setStatusTip(tr("Write the rows of the growth table as shown (filtered and sorted) to a CSV file"));
    m_exportJsonAction = file->addAction(tr("Export Table as &JSON\u2026"), this, [this] { exportDialog(true); });
    m_exportJsonAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E));
    m_exportJsonAction->setStatusTip(tr("Write the rows of the growth table as shown to a JSON file"));
    file->addSeparator();
    m_closeAction = file->addAction(tr("&Close Session"), this, [this] { m_controller->clear(); });
    m_closeAction->setShortcut(QKeySequence::Close);
    m_closeAction->setStatusTip(tr("Close all files"));
    m_quitAction = file->addAction(tr("&Quit"), this, &QWidget::close);
    m_quitAction->setShortcut(QKeySequence::Quit);

    QMenu *edit = menuBar()->addMenu(tr("&Edit"));
    m_copyAction = edit->addAction(tr("&Copy Selected Rows"), this, &MainWindow::copySelectedRows);
    m_copyAction->setShortcut(QKeySequence::Copy);
    m_copyAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    m_copyAction->setStatusTip(tr("Copy the selected rows of the growth table as tab-separated text"));
    m_findAction = edit->addAction(tr("&Find Type\u2026"), this, [this] {
        filterEdit()->setFocus(Qt::ShortcutFocusReason);
        filterEdit()->selectAll();
    });
    m_findAction->setShortcut(QKeySequence::Find);
    m_findAction->setStatusTip(tr("Filter the growth table by type name"));

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    QAction *guide = help->addAction(tr("&User Guide"), this, &MainWindow::showUserGuide);
    guide->setShortcut(QKeySequence::HelpContents);
    guide->setStatusTip(tr("Read the documentation that comes with Leakscope"));
    QAction *keys = help->addAction(tr("&Keyboard Shortcuts"), this, &MainWindow::showShortcuts);
    keys->setStatusTip(tr("List the keys of every action"));
    QAction *suspect = help->addAction(tr("&What is a Suspect?"), this, &MainWindow::showSuspectHelp);
    suspect->setStatusTip(tr("How Leakscope decides that a type leaks, with the numbers of the selected type"));
    help->addSeparator();
    help->addAction(tr("&About Leakscope"), this, [this] {
        QMessageBox::about(this, tr("About Leakscope"),
                           tr("<b>Leakscope %1</b><p>Finds memory leaks in Python programs: count live objects per "
                              "type across snapshots and look for the types that keep growing.</p>"
                              "<p>Counts are of objects tracked by Python's garbage collector, as objgraph counts "
                              "them; atomic objects such as int and str are usually not included.</p>")
                               .arg(QCoreApplication::applicationVersion()));
    });

    QToolBar *bar = addToolBar(tr("Main"));
    bar->setObjectName(QStringLiteral("mainToolBar"));
    bar->setMovable(false);
    bar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    bar->addAction(m_openAction);
    bar->addAction(m_saveAction);
    bar->addAction(m_exportCsvAction);

    m_recent->setMenu(m_recentMenu);
}

void MainWindow::createWidgets()
{
    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);
    layout->setContentsMargins(6, 6, 6, 0);
    layout->setSpacing(6);
    m_messageBar = new MessageBar(central);
    layout->addWidget(m_messageBar);

    m_stack = new QStackedWidget(central);
    m_emptyPage = createEmptyState();
    m_stack->addWidget(m_emptyPage);

    m_mainSplitter = new QSplitter(Qt::Horizontal, m_stack);
    m_mainSplitter->setObjectName(QStringLiteral("mainSplitter"));
    m_timeline = new TimelinePanel(m_controller, m_mainSplitter);
    m_mainSplitter->addWidget(m_timeline);
    m_rightSplitter = new QSplitter(Qt::Vertical, m_mainSplitter);
    m_rightSplitter->setObjectName(QStringLiteral("rightSplitter"));
    m_tableTabs = new QTabWidget(m_rightSplitter);
    m_tableTabs->setObjectName(QStringLiteral("tableTabs"));
    m_tableTabs->setDocumentMode(true);
    m_growth = new GrowthPanel(m_tableTabs);
    m_growth->view()->addAction(m_copyAction);
    connect(m_growth, &GrowthPanel::selectionChanged, this, &MainWindow::onSelectionChanged);
    m_tableTabs->addTab(m_growth, tr("Types"));
    m_containers = new ContainersView(m_tableTabs);
    m_tableTabs->addTab(m_containers, tr("Containers"));
    m_rightSplitter->addWidget(m_tableTabs);
    m_tabs = new QTabWidget(m_rightSplitter);
    m_tabs->setDocumentMode(true);
    m_trend = new TrendChart(m_tabs);
    m_tabs->addTab(m_trend, tr("Trend"));
    m_allocations = new AllocationsView(m_tabs);
    m_tabs->addTab(m_allocations, tr("Allocations"));
    connect(m_containers, &ContainersView::containerSelected, this, [this](const ContainerRow *row) {
        // Chartable over time in the Trend tab, after the selected types.
        QVector<TrendChart::ExtraLine> lines;
        if (row)
            lines.append(TrendChart::ExtraLine{row->name, row->items, row->payload});
        m_trend->setExtraLines(lines);
        if (row)
            showAllocations(true, QString::number(row->objectId), row->name);
    });
    m_rightSplitter->addWidget(m_tabs);
    m_rightSplitter->setStretchFactor(0, 3);
    m_rightSplitter->setStretchFactor(1, 2);
    m_mainSplitter->addWidget(m_rightSplitter);
    m_mainSplitter->setStretchFactor(0, 0);
    m_mainSplitter->setStretchFactor(1, 1);
    m_mainSplitter->setSizes({520, 880});
    m_rightSplitter->setSizes({480, 320});
    m_stack->addWidget(m_mainSplitter);
    layout->addWidget(m_stack, 1);
    setCentralWidget(central);

    m_summary = new QLabel(this);
    m_summary->setToolTip(tr("Counts are of objects tracked by Python's garbage collector (gc.get_objects()), as "
                             "objgraph counts them; atomic objects such as int and str are usually not included."));
    statusBar()->addWidget(m_summary, 1);
    m_progressLabel = new QLabel(this);
    m_progressBar = new QProgressBar(this);
    m_progressBar->setMaximumWidth(200);
    m_progressBar->setTextVisible(false);
    m_cancelButton = new QToolButton(this);
    m_cancelButton->setText(tr("Cancel"));
    m_cancelButton->setToolTip(tr("Stop loading or computing"));
    connect(m_cancelButton, &QToolButton::clicked, this, [this] {
        m_controller->cancel();
        m_controller->saver()->cancel();
    });
    statusBar()->addPermanentWidget(m_progressLabel);
    statusBar()->addPermanentWidget(m_progressBar);
    statusBar()->addPermanentWidget(m_cancelButton);
    m_progressLabel->hide();
    m_progressBar->hide();
    m_cancelButton->hide();
}

QWidget *MainWindow::createEmptyState()
{
    auto *page = new QWidget(this);
    auto *outer = new QVBoxLayout(page);
    outer->addStretch(2);
    auto *title = new QLabel(tr("Open a .lsnap file or drop it here"), page);
    QFont big = title->font();
    big.setPointSizeF(big.pointSizeF() * 1.6);
    big.setBold(true);
    title->setFont(big);
    title->setAlignment(Qt::AlignCenter);
    outer->addWidget(title);
    auto *hint = new QLabel(page);
    hint->setAlignment(Qt::AlignCenter);
    hint->setWordWrap(true);
    hint->setTextFormat(Qt::RichText);
    hint->setText(tr("<p>Leakscope counts the live objects of every type in snapshots of a Python program "
                     "and shows the types that keep growing.</p>"
                     "<p>Record snapshots from your code:</p>"
                     "<p style=\"white-space:pre; font-family:monospace\">import leakscope_agent\n"
                     "leakscope_agent.snapshot(\"run.lsnap\", label=\"after 100 requests\")</p>"
                     "<p>or without touching it:</p>"
                     "<p style=\"white-space:pre; font-family:monospace\">leakscope-cli record --every 2 -o run.lsnap -- python3 server.py</p>"
                     "<p>Add <tt>graph=True</tt> or <tt>--graph</tt> to record who refers to whom as well: "
                     "retained sizes and the chain from a module global down to each leaked object.</p>"
                     "<p>objgraph output (typestats JSON, show_growth logs) opens too.</p>"));
    hint->setMinimumWidth(560);
    hint->setForegroundRole(QPalette::PlaceholderText);
    hint->setMaximumWidth(640);
    auto *hintRow = new QHBoxLayout;
    hintRow->addStretch(1);
    hintRow->addWidget(hint);
    hintRow->addStretch(1);
    outer->addLayout(hintRow);

    // How to get `import leakscope_agent` to work, with and without a network.
    auto *install = new QLabel(page);
    install->setObjectName(QStringLiteral("agentInstallHint"));
    install->setAlignment(Qt::AlignCenter);
    install->setWordWrap(true);
    install->setTextFormat(Qt::RichText);
    install->setText(tr("<p>For <tt>import leakscope_agent</tt>, install the agent once (standard library only, "
                        "Python 3.8+) from Leakscope's source tree:</p>"
                        "<p style=\"white-space:pre; font-family:monospace\">pip install resources/python</p>"
                        "<p>offline too: <tt>pip install --no-index --no-build-isolation resources/python</tt> "
                        "(needs setuptools), or without pip, put the copy of the agent this build carries on "
                        "<tt>PYTHONPATH</tt>:</p>"));
    install->setMinimumWidth(560);
    install->setMaximumWidth(640);
    install->setForegroundRole(QPalette::PlaceholderText);
    auto *installRow = new QHBoxLayout;
    installRow->addStretch(1);
    installRow->addWidget(install);
    installRow->addStretch(1);
    outer->addLayout(installRow);
    auto *unpackRow = new QHBoxLayout;
    unpackRow->addStretch(1);
    auto *unpack = new QPushButton(tr("Unpack the Bundled Agent"), page);
    unpack->setObjectName(QStringLiteral("unpackAgentButton"));
    unpack->setToolTip(tr("Write the agent compiled into Leakscope to the cache folder and show the PYTHONPATH to use"));
    connect(unpack, &QPushButton::clicked, this, &MainWindow::unpackAgent);
    unpackRow->addWidget(unpack);
    unpackRow->addStretch(1);
    outer->addLayout(unpackRow);
    m_agentPath = new QLabel(page);
    m_agentPath->setObjectName(QStringLiteral("agentPathLabel"));
    m_agentPath->setAlignment(Qt::AlignCenter);
    m_agentPath->setTextFormat(Qt::RichText);
    m_agentPath->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_agentPath->hide();
    outer->addWidget(m_agentPath);
    outer->addSpacing(10);

    auto *buttons = new QHBoxLayout;
    buttons->addStretch(1);
    auto *open = new QPushButton(tr("Open Files\u2026"), page);
    open->setDefault(true);
    connect(open, &QPushButton::clicked, m_openAction, &QAction::trigger);
    buttons->addWidget(open);
    auto *example = new QPushButton(tr("Open Example Session"), page);
    connect(example, &QPushButton::clicked, m_exampleAction, &QAction::trigger);
    buttons->addWidget(example);
    buttons->addStretch(1);
    m_emptyButtons = buttons;
    outer->addLayout(buttons);

    auto *recent = new QVBoxLayout;
    recent->setAlignment(Qt::AlignHCenter);
    outer->addSpacing(12);
    outer->addLayout(recent);
    m_recent->setLinks(recent, page);
    outer->addStretch(3);
    return page;
}

void MainWindow::addEmptyStateAction(QAction *action)
{
    auto *button = new QPushButton(action->text().remove(QLatin1Char('&')), m_emptyPage);
    button->setToolTip(action->statusTip());
    connect(button, &QPushButton::clicked, action, &QAction::trigger);
    m_emptyButtons->insertWidget(m_emptyButtons->count() - 1, button);
}

bool MainWindow::isShowingEmptyState() const
{
    return m_stack->currentWidget() == m_emptyPage;
}

void MainWindow::openFiles(const QStringList &paths)
{
    if (!paths.isEmpty())
        m_controller->openFiles(paths);
}

void MainWindow::onSessionChanged()
{
    QElapsedTimer timer;
    timer.start();
    const auto session = m_controller->session();
    m_timeline->showSession();
    m_trend->setSession(session);
    const bool empty = !session || session->snapshotCount() == 0;
    m_stack->setCurrentWidget(empty ? m_emptyPage : static_cast<QWidget *>(m_mainSplitter));
    if (!empty && !m_splitterSized && m_stack->width() > 600) {
        // First session on a first start, now that the window has its real
        // size: the timeline as wide as its numbers and short labels need,
        // at most 27% of the window (345 px at 1280), so the growth table
        // (the answer) keeps the room for its Reason column; 30% when the
        // snapshots come from several files and each row names its file.
        m_splitterSized = true;
        const int total = m_stack->width();
        const int least = m_timeline->minimumSizeHint().width();
        const int share = m_timeline->showsSources() ? 30 : 27;
        const int left = std::clamp(m_timeline->preferredWidth(), least, std::max(least, total * share / 100));
        m_mainSplitter->setSizes({left, total - left});
    }
    m_saveAction->setEnabled(!empty);
    m_saveAsAction->setEnabled(!empty);
    if (empty || (!m_savedPath.isEmpty() && m_controller->files().contains(m_savedPath)))
        m_savedPath.clear();
    m_exportCsvAction->setEnabled(!empty);
    m_exportJsonAction->setEnabled(!empty);
    m_closeAction->setEnabled(!empty);
    updateTitle();
    updateSummary();
    qCDebug(lcWindow) << "session shown in" << timer.elapsed() << "ms";
}

void MainWindow::onComparisonChanged()
{
    QElapsedTimer timer;
    timer.start();
    const auto comparison = m_controller->comparison();
    m_growth->setComparison(m_controller->session(), comparison);
    qCDebug(lcWindow) << "growth model reset and sorted in" << timer.elapsed() << "ms";
    m_timeline->showComparison();
    updateSummary();
    updateContainers();
    qCDebug(lcWindow) << "comparison shown in" << timer.elapsed() << "ms";
}

void MainWindow::onSelectionChanged(const QVector<int> &types)
{
    m_trend->setTypes(types); // draws the first TrendChart::s_maxLines
    const auto session = m_growth->model()->session();
    if (!types.isEmpty() && session)
        showAllocations(false, session->types().name(types.first()), session->types().name(types.first()));
    if (types != m_selectedTypes) {
        m_selectedTypes = types;
        emit selectedTypesChanged(m_selectedTypes);
    }
}

void MainWindow::selectTypes(const QStringList &names)
{
    m_growth->selectTypes(names);
}

void MainWindow::selectTopRows(int count)
{
    m_growth->selectTopRows(count);
}

QString MainWindow::selectedRowsAsText() const
{
    return m_growth->selectedRowsAsText();
}

void MainWindow::copySelectedRows()
{
    const int rows = m_growth->selectedRowCount();
    if (rows == 0)
        return;
    QApplication::clipboard()->setText(selectedRowsAsText());
    statusBar()->showMessage(counted(rows, tr("Copied %1 row"), tr("Copied %1 rows")), 3000);
}

bool MainWindow::exportTable(const QString &path, bool json)
{
    const auto session = m_growth->model()->session();
    if (!session || !m_growth->model()->comparison())
        return false;
    const Comparison shown = m_growth->rowsAsShown();
    const QByteArray bytes = json ? ComparisonExport::toJson(*session, shown) : ComparisonExport::toCsv(*session, shown);
    QSaveFile out(path);
    if (!out.open(QIODevice::WriteOnly) || out.write(bytes) != bytes.size() || !out.commit()) {
        m_messageBar->addMessage(tr("Could not export the table to %1: %2").arg(path, out.errorString()));
        return false;
    }
    statusBar()->showMessage(counted(qint64(shown.rows.size()), tr("Exported %1 row to "), tr("Exported %1 rows to "))
                                 + QDir::toNativeSeparators(path), 5000);
    return true;
}

QString MainWindow::summaryText() const
{
    return m_summary->text();
}

void MainWindow::updateSummary()
{
    const auto session = m_controller->session();
    const auto comparison = m_controller->comparison();
    if (!session || session->snapshotCount() == 0) {
        m_summary->setText(tr("No session. Counts are gc-tracked objects only."));
        return;
    }
    // The status names each suspect kind: by count, by bytes, container.
    int byCount = 0, byBytes = 0, containers = 0;
    if (comparison)
        for (const GrowthRow &r : comparison->rows)
            (r.verdict.byBytes ? byBytes : byCount) += r.verdict.suspect ? 1 : 0;
    for (const ContainerRow &r : m_containers ? m_containers->model()->comparison().rows : std::vector<ContainerRow>())
        containers += r.suspect ? 1 : 0;
    QStringList kinds;
    if (byCount > 0)
        kinds << tr("%1 by count").arg(byCount);
    if (byBytes > 0)
        kinds << tr("%1 by bytes").arg(byBytes);
    if (containers > 0)
        kinds << counted(containers, tr("%1 container"), tr("%1 containers"));
    const int suspects = byCount + byBytes + containers;
    const QString suspectText = counted(suspects, tr("%1 suspect"), tr("%1 suspects"))
        + (kinds.isEmpty() ? QString() : QStringLiteral(" (") + kinds.join(QStringLiteral(", ")) + QLatin1Char(')'));
    QStringList sources;
    for (int i = 0; i < session->snapshotCount(); ++i) {
        const QString s = session->snapshot(i).info.sourceFile;
        if (!sources.contains(s))
            sources << s;
    }
    const QString fileText = sources.size() == 1 ? QFileInfo(sources.front()).fileName()
                                                 : counted(sources.size(), tr("%1 file"), tr("%1 files"));
    QString text = counted(session->snapshotCount(), tr("%1 snapshot"), tr("%1 snapshots")) + tr(" from ") + fileText
        + QStringLiteral(" \u00b7 ") + counted(session->typeCount(), tr("%1 type"), tr("%1 types"))
        + QStringLiteral(" \u00b7 ") + suspectText;
    if (comparison && comparison->current >= 0) {
        const SnapshotInfo &info = session->snapshot(comparison->current).info;
        if (info.pythonVersion.size() > 0)
            text += QStringLiteral(" \u00b7 Python ") + info.pythonVersion;
    }
    m_summary->setText(text + QStringLiteral(" \u00b7 ") + tr("counts are gc-tracked objects only"));
}

void MainWindow::updateTitle()
{
    const QStringList files = m_controller->files();
    if (files.isEmpty()) {
        setWindowTitle(tr("Leakscope"));
        return;
    }
    QString title = QFileInfo(files.front()).fileName();
    if (files.size() > 1)
        title += tr(" (+%1 more)").arg(files.size() - 1);
    setWindowTitle(title + QStringLiteral(" \u2014 ") + tr("Leakscope"));
}

void MainWindow::addRecentFile(const QString &path)
{
    m_recent->add(path);
    updateTitle();
}

void MainWindow::showJobProgress(JobRunner *runner)
{
    // Short jobs finish before the bar would show; only a job that is still
    // running after a moment gets one, so small files do not flicker.
    QTimer::singleShot(150, this, [this, runner, generation = runner->generation()] {
        if (!runner->isRunning() || runner->generation() != generation)
            return;
        m_progressLabel->setText(runner->title());
        m_progressLabel->show();
        m_progressBar->show();
        m_cancelButton->show();
    });
}

void MainWindow::openDialog()
{
    const QString dir = m_recent->lastDirectory();
    const QStringList paths = QFileDialog::getOpenFileNames(this, tr("Open Snapshots"), dir, s_fileFilter);
    openFiles(paths);
}

void MainWindow::importDialog()
{
    const QString dir = m_recent->lastDirectory();
    const QStringList paths = QFileDialog::getOpenFileNames(this, tr("Import objgraph Output"), dir, s_importFilter);
    openFiles(paths);
}

void MainWindow::saveSession()
{
    if (m_savedPath.isEmpty()) {
        saveSessionDialog();
        return;
    }
    m_controller->saveSessionAs(m_savedPath);
}

void MainWindow::saveSessionDialog()
{
    QString path = QFileDialog::getSaveFileName(this, tr("Save Session As"), proposedFileName(FileKind::Session),
                                                QStringLiteral("Leakscope snapshots (*.lsnap)"));
    if (path.isEmpty())
        return;
    if (QFileInfo(path).suffix().isEmpty())
        path += QStringLiteral(".lsnap");
    // Never over a file the session reads from.
    if (!m_controller->files().contains(QFileInfo(path).absoluteFilePath()))
        m_savedPath = QFileInfo(path).absoluteFilePath();
    m_controller->saveSessionAs(path);
}

void MainWindow::exportDialog(bool json)
{
    QString path = QFileDialog::getSaveFileName(this, json ? tr("Export Table as JSON") : tr("Export Table as CSV"),
                                                proposedFileName(json ? FileKind::Json : FileKind::Csv),
                                                json ? QStringLiteral("JSON (*.json)") : QStringLiteral("CSV (*.csv)"));
    if (path.isEmpty())
        return;
    if (QFileInfo(path).suffix().isEmpty())
        path += json ? QStringLiteral(".json") : QStringLiteral(".csv");
    exportTable(path, json);
}

QString MainWindow::proposedFileName(FileKind kind) const
{
    const QStringList files = m_controller->files();
    QString dir = files.isEmpty() ? QString() : QFileInfo(files.front()).absolutePath();
    if (dir.isEmpty() || !QFileInfo(dir).isWritable())
        dir = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    if (dir.isEmpty())
        dir = QDir::homePath();
    QString stem = files.isEmpty() ? QStringLiteral("leakscope") : QFileInfo(files.front()).completeBaseName();
    if (files.size() > 1)
        stem += QStringLiteral("-and-%1-more").arg(files.size() - 1);
    QString suffix;
    if (kind == FileKind::Session) {
        stem += QStringLiteral("-session");
        suffix = QStringLiteral(".lsnap");
    } else {
        const auto comparison = m_controller->comparison();
        stem += QStringLiteral("-growth");
        if (comparison)
            stem += QStringLiteral("-%1-%2").arg(comparison->baseline + 1).arg(comparison->current + 1);
        suffix = kind == FileKind::Json ? QStringLiteral(".json") : QStringLiteral(".csv");
    }
    const QDir d(dir);
    QString path = d.filePath(stem + suffix);
    for (int n = 2; QFileInfo::exists(path) && n < 1000; ++n)
        path = d.filePath(stem + QStringLiteral("-%1").arg(n) + suffix);
    return path;
}

void MainWindow::showUserGuide()
{
    auto *dialog = findChild<UserGuideDialog *>();
    if (!dialog) {
        dialog = new UserGuideDialog(this);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
    }
    dialog->show();
    dialog->raise();
}

void MainWindow::showShortcuts()
{
    auto *dialog = new ShortcutsDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->show();
}

void MainWindow::showSuspectHelp()
{
    const auto session = m_controller->session();
    const auto comparison = m_growth->model()->comparison();
    const GrowthRow *row = nullptr;
    if (session && comparison && !m_selectedTypes.isEmpty()) {
        const int sourceRow = m_growth->model()->rowOfType(m_selectedTypes.front());
        if (sourceRow >= 0)
            row = &m_growth->model()->row(sourceRow);
    }
    auto *dialog = new SuspectHelpDialog(session.get(), row, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->show();
}

void MainWindow::unpackAgent()
{
    const Expected<AgentInstall> install = AgentInstaller::install();
    if (!install) {
        m_agentPath->setText(install.error().toHtmlEscaped());
        m_agentPath->show();
        return;
    }
    const QString dir = QDir::toNativeSeparators(install.value().packageParentDir);
    m_agentPath->setProperty("agentDir", install.value().packageParentDir);
    m_agentPath->setText(tr("<p style=\"white-space:pre; font-family:monospace\">PYTHONPATH=%1 python3 your_program.py</p>")
                             .arg(dir.toHtmlEscaped()));
    m_agentPath->setToolTip(dir);
    m_agentPath->show();
}

void MainWindow::readSettings()
{
    m_settings = std::make_unique<WindowSettings>(this);
    m_settings->addSplitter(QStringLiteral("window/mainSplitter"), m_mainSplitter);
    m_settings->addSplitter(QStringLiteral("window/rightSplitter"), m_rightSplitter);
    m_settings->addHeader(QStringLiteral("window/growthHeader"), growthView()->header());
    // Which columns the user showed or hid (header menu), by column name.
    m_settings->addValue(
        QStringLiteral("window/growthColumns"), QVariant(),
        [this](const QVariant &v) { growthView()->restoreColumnChoices(v); },
        [this] { return growthView()->columnChoices(); });
    m_settings->addCheckBox(QStringLiteral("filter/hideBuiltins"), hideBuiltinsBox());
    m_settings->addCheckBox(QStringLiteral("filter/suspectsOnly"), suspectsOnlyBox());
    m_settings->addCheckBox(QStringLiteral("filter/changedOnly"), changedOnlyBox());
    m_settings->addValue(
        QStringLiteral("trend/bytes"), false,
        [this](const QVariant &v) { m_trend->setMetric(v.toBool() ? TrendChart::Metric::Bytes : TrendChart::Metric::Count); },
        [this] { return QVariant(m_trend->metric() == TrendChart::Metric::Bytes); });
    m_settings->addValue(
        QStringLiteral("trend/logScale"), false, [this](const QVariant &v) { m_trend->setLogScale(v.toBool()); },
        [this] { return QVariant(m_trend->logScale()); });
    m_settings->restore();
    m_splitterSized = m_settings->wasRestored(QStringLiteral("window/mainSplitter"));
    // States saved by earlier versions stretch the Type column.
    growthView()->header()->setSectionResizeMode(GrowthTableModel::TypeColumn, QHeaderView::Interactive);
    m_growth->showRetainedColumns(); // the saved state may say otherwise
    // The shared ranking (LeakRanking) at start: suspects, user types first.
    growthView()->sortByColumn(GrowthTableModel::ReasonColumn, Qt::DescendingOrder);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    m_settings->save();
    m_recent->save();
    m_controller->cancel();
    QMainWindow::closeEvent(event);
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    const QList<QUrl> urls = event->mimeData()->urls();
    const bool anyLocal = std::any_of(urls.begin(), urls.end(), [](const QUrl &u) { return u.isLocalFile(); });
    if (anyLocal)
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent *event)
{
    QStringList paths;
    const QList<QUrl> urls = event->mimeData()->urls();
    for (const QUrl &u : urls)
        if (u.isLocalFile())
            paths << u.toLocalFile();
    if (paths.isEmpty())
        return;
    event->acceptProposedAction();
    openFiles(paths);
}

} // namespace leakscope

namespace leakscope {

void MainWindow::updateContainers()
{
    const auto comparison = m_controller->comparison();
    const int baseline = comparison ? comparison->baseline : 0;
    const int current = comparison ? comparison->current : 0;
    m_containers->setComparison(comparison ? m_controller->session() : nullptr, baseline, current);
    m_allocations->setSubject(comparison ? m_controller->session() : nullptr, baseline, current, false, QString(),
                              QString());
    updateSummary(); // it counts the suspect containers
    // Memory outside Python objects goes to the status bar as well.
    if (!m_containers->rssMessage().isEmpty())
        statusBar()->showMessage(m_containers->rssMessage());
}

void MainWindow::showAllocations(bool container, const QString &subject, const QString &title)
{
    const auto comparison = m_controller->comparison();
    if (!comparison)
        return;
    m_allocations->setSubject(m_controller->session(), comparison->baseline, comparison->current, container, subject,
                              title);
}

} // namespace leakscope
