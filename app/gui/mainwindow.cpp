#include "gui/mainwindow.h"

#include "views/allocationsview.h"
#include "views/containersview.h"

#include "core/comparisonexport.h"
#include "gui/examplesession.h"
#include "views/growthfilterproxymodel.h"
#include "views/growthtablemodel.h"
#include "views/growthtableview.h"
#include "views/messagebar.h"
#include "gui/sessioncontroller.h"
#include "gui/summarytab.h"
#include "views/snapshottimelinemodel.h"
#include "views/testtimelinemodel.h"
#include "views/trendchart.h"

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

Q_LOGGING_CATEGORY(lcWindow, "leakscope.gui", QtInfoMsg)

namespace leakscope {

namespace {

constexpr int s_maxRecentFiles = 10;

// English plurals without a translation file ("1 type", "2 types").
QString counted(qint64 n, const QString &one, const QString &many)
{
    return (n == 1 ? one : many).arg(QLocale().toString(n));
}
constexpr int s_maxRestoredSelection = 1000;

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
    m_growthModel = new GrowthTableModel(this);
    m_proxy = new GrowthFilterProxyModel(this);
    m_proxy->setSourceModel(m_growthModel);
    m_timelineModel = new SnapshotTimelineModel(this);

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
    readSettings();
    onSessionChanged();
}

MainWindow::~MainWindow() = default;

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
    m_saveAsAction = file->addAction(QIcon::fromTheme(QStringLiteral("document-save-as")), tr("&Save Session As\u2026"),
                                     this, &MainWindow::saveSessionDialog);
    m_saveAsAction->setShortcut(QKeySequence::SaveAs);
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
        m_filterEdit->setFocus(Qt::ShortcutFocusReason);
        m_filterEdit->selectAll();
    });
    m_findAction->setShortcut(QKeySequence::Find);
    m_findAction->setStatusTip(tr("Filter the growth table by type name"));

    QMenu *help = menuBar()->addMenu(tr("&Help"));
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
    bar->addAction(m_saveAsAction);
    bar->addAction(m_exportCsvAction);

    updateRecentMenu();
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
    m_mainSplitter->addWidget(createTimelinePanel());
    m_rightSplitter = new QSplitter(Qt::Vertical, m_mainSplitter);
    m_rightSplitter->setObjectName(QStringLiteral("rightSplitter"));
    m_tableTabs = new QTabWidget(m_rightSplitter);
    m_tableTabs->setObjectName(QStringLiteral("tableTabs"));
    m_tableTabs->setDocumentMode(true);
    m_tableTabs->addTab(createGrowthPanel(), tr("Types"));
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

    m_recentLayout = new QVBoxLayout;
    m_recentLayout->setAlignment(Qt::AlignHCenter);
    outer->addSpacing(12);
    outer->addLayout(m_recentLayout);
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

QWidget *MainWindow::createTimelinePanel()
{
    auto *panel = new QWidget(this);
    auto *layout = new QVBoxLayout(panel);
    layout->setContentsMargins(0, 0, 0, 0);
    auto *heading = new QLabel(tr("<b>Snapshots</b>"), panel);
    heading->setObjectName(QStringLiteral("timelineHeading"));
    // A long file name must not widen the pane; the tooltip has it in full.
    heading->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    layout->addWidget(heading);

    auto *form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_currentBox = new QComboBox(panel);
    m_currentBox->setToolTip(tr("The snapshot the growth table shows (B)"));
    m_baselineBox = new QComboBox(panel);
    m_baselineBox->setToolTip(tr("The snapshot the deltas are measured against (A)"));
    m_currentBox->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_baselineBox->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_currentBox->setMinimumContentsLength(16);
    m_baselineBox->setMinimumContentsLength(16);
    form->addRow(tr("Compare (B):"), m_currentBox);
    form->addRow(tr("against (A):"), m_baselineBox);
    layout->addLayout(form);
    connect(m_currentBox, &QComboBox::activated, this, &MainWindow::setComparedFromBoxes);
    connect(m_baselineBox, &QComboBox::activated, this, &MainWindow::setComparedFromBoxes);

    m_timelineView = new QTableView(panel);
    m_timelineView->setObjectName(QStringLiteral("timelineView"));
    m_timelineView->setModel(m_timelineModel);
    m_timelineView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_timelineView->setSelectionMode(QAbstractItemView::SingleSelection);
    m_timelineView->verticalHeader()->hide();
    m_timelineView->verticalHeader()->setDefaultSectionSize(m_timelineView->fontMetrics().height() + 8);
    m_timelineView->setShowGrid(false);
    m_timelineView->setAlternatingRowColors(true);
    m_timelineView->setWordWrap(false);
    // File names from one run differ at the end (time stamps), labels in their numbers.
    m_timelineView->setTextElideMode(Qt::ElideMiddle);
    m_timelineView->setContextMenuPolicy(Qt::CustomContextMenu);
    m_timelineView->setToolTip(QString());
    QHeaderView *h = m_timelineView->horizontalHeader();
    h->setHighlightSections(false);
    h->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    // Label and Source take the room the numbers leave, so the pane never
    // needs a horizontal scrollbar; cut-off text is in the row's tooltip.
    h->setStretchLastSection(false);
    h->setSectionResizeMode(SnapshotTimelineModel::LabelColumn, QHeaderView::Stretch);
    h->setSectionResizeMode(SnapshotTimelineModel::SourceColumn, QHeaderView::Stretch);
    // One source file (a single recording, a live session): name it once in
    // the heading instead of on every row.
    connect(m_timelineModel, &QAbstractItemModel::modelReset, heading, [this, heading] {
        const QStringList files = m_timelineModel->sourceFiles();
        // The numbers are never cut: their columns fit their widest cell in
        // bold (the A and B rows move) and their header, plus a gap so
        // neighbouring numbers stay apart. The A/B badge sits before the index.
        QFont bold = m_timelineView->font();
        bold.setBold(true);
        const QFontMetrics fm(bold);
        const QFontMetrics headerFm(m_timelineView->horizontalHeader()->font());
        const int badge = m_timelineView->style()->pixelMetric(QStyle::PM_SmallIconSize, nullptr, m_timelineView) + 6;
        for (int c : {SnapshotTimelineModel::IndexColumn, SnapshotTimelineModel::TimeColumn,
                      SnapshotTimelineModel::ObjectsColumn, SnapshotTimelineModel::RssColumn}) {
            int width = headerFm.horizontalAdvance(m_timelineModel->headerData(c, Qt::Horizontal).toString());
            for (int r = 0; r < m_timelineModel->rowCount(); ++r)
                width = std::max(width, fm.horizontalAdvance(m_timelineModel->index(r, c).data().toString()) +
                                            (c == SnapshotTimelineModel::IndexColumn ? badge : 0));
            m_timelineView->setColumnWidth(c, width + 16);
        }
        m_timelineView->setColumnHidden(SnapshotTimelineModel::SourceColumn, files.size() <= 1);
        if (files.size() == 1 && !files.front().isEmpty()) {
            const QString name = heading->fontMetrics().elidedText(QFileInfo(files.front()).fileName(), Qt::ElideMiddle, 280);
            heading->setText(tr("<b>Snapshots</b> from %1").arg(name.toHtmlEscaped()));
            heading->setToolTip(files.front());
        } else if (files.size() > 1) {
            heading->setText(tr("<b>Snapshots</b> from %1 files").arg(files.size()));
            heading->setToolTip(files.join(QLatin1Char('\n')));
        } else {
            heading->setText(tr("<b>Snapshots</b>"));
            heading->setToolTip(QString());
        }
    });
    m_timelineView->setColumnHidden(SnapshotTimelineModel::SourceColumn, true);
    connect(m_timelineView, &QWidget::customContextMenuRequested, this, &MainWindow::showTimelineMenu);
    // Double-click: look at that snapshot (B), keeping the baseline unless it would come after it.
    connect(m_timelineView, &QAbstractItemView::doubleClicked, this, [this](const QModelIndex &index) {
        if (index.isValid())
            m_controller->setComparedSnapshots(std::min(index.row(), std::max(0, m_controller->baseline())), index.row());
    });
    layout->addWidget(createTimelineTabs(panel), 1);
    auto *tip = new QLabel(tr("Double-click: show it as B \u00b7 right-click: make it the baseline A"), panel);
    tip->setForegroundRole(QPalette::PlaceholderText);
    tip->setWordWrap(true);
    layout->addWidget(tip);
    return panel;
}

QWidget *MainWindow::createGrowthPanel()
{
    auto *panel = new QWidget(this);
    auto *layout = new QVBoxLayout(panel);
    layout->setContentsMargins(0, 0, 0, 0);

    auto *bar = new QHBoxLayout;
    m_filterEdit = new QLineEdit(panel);
    m_filterEdit->setObjectName(QStringLiteral("filterEdit"));
    m_filterEdit->setClearButtonEnabled(true);
    m_filterEdit->setPlaceholderText(tr("Filter types (Ctrl+F): text, or /regex"));
    m_filterEdit->setToolTip(tr("Shows the types whose name contains the text (case-insensitive).\n"
                                "Start with / for a regular expression, e.g. /^__main__\\."));
    m_filterEdit->setMinimumWidth(220);
    bar->addWidget(m_filterEdit, 2);
    m_hideBuiltins = new QCheckBox(tr("Hide builtins"), panel);
    m_hideBuiltins->setToolTip(tr("Hide types without a module, such as dict, list and function"));
    m_suspectsOnly = new QCheckBox(tr("Suspects only"), panel);
    m_suspectsOnly->setToolTip(tr("Show only the types whose count grows steadily"));
    m_changedOnly = new QCheckBox(tr("Changed only"), panel);
    m_changedOnly->setToolTip(tr("Hide the types whose count and size are the same in A and B"));
    bar->addWidget(m_hideBuiltins);
    bar->addWidget(m_suspectsOnly);
    bar->addWidget(m_changedOnly);
    bar->addStretch(1);
    m_filterCount = new QLabel(panel);
    m_filterCount->setForegroundRole(QPalette::PlaceholderText);
    bar->addWidget(m_filterCount);
    layout->addLayout(bar);

    connect(m_filterEdit, &QLineEdit::textChanged, this, [this](const QString &text) {
        const bool ok = m_proxy->setFilterText(text);
        m_filterEdit->setStyleSheet(ok ? QString() : QStringLiteral("QLineEdit { background: #fdecea; }"));
        m_filterEdit->setToolTip(ok ? tr("Shows the types whose name contains the text (case-insensitive).\n"
                                         "Start with / for a regular expression, e.g. /^__main__\\.")
                                    : m_proxy->filterError());
        updateFilterCount();
    });
    connect(m_hideBuiltins, &QCheckBox::toggled, this, [this](bool on) {
        m_proxy->setHideBuiltins(on);
        updateFilterCount();
    });
    connect(m_suspectsOnly, &QCheckBox::toggled, this, [this](bool on) {
        m_proxy->setSuspectsOnly(on);
        updateFilterCount();
    });
    connect(m_changedOnly, &QCheckBox::toggled, this, [this](bool on) {
        m_proxy->setChangedOnly(on);
        updateFilterCount();
    });

    m_growthView = new GrowthTableView(panel);
    m_growthView->setObjectName(QStringLiteral("growthView"));
    m_growthView->setModels(m_growthModel, m_proxy);
    m_growthView->addAction(m_copyAction);
    m_growthView->setContextMenuPolicy(Qt::ActionsContextMenu);
    connect(m_growthView->selectionModel(), &QItemSelectionModel::selectionChanged, this, &MainWindow::onSelectionChanged);
    connect(m_proxy, &QAbstractItemModel::modelAboutToBeReset, this, [this] {
        if (m_restoringSelection)
            return;
        m_selectionToRestore.clear();
        const QModelIndexList rows = m_growthView->selectionModel()->selectedRows(GrowthTableModel::TypeColumn);
        for (const QModelIndex &i : rows)
            if (int(m_selectionToRestore.size()) < s_maxRestoredSelection)
                m_selectionToRestore.push_back(i.data(GrowthTableModel::TypeIdRole).toInt());
    });
    connect(m_proxy, &QAbstractItemModel::modelReset, this, [this] {
        // Same session registry: type ids survive a new comparison.
        QItemSelection selection;
        for (int type : m_selectionToRestore) {
            const int sourceRow = m_growthModel->rowOfType(type);
            if (sourceRow < 0)
                continue;
            const QModelIndex proxyIndex = m_proxy->mapFromSource(m_growthModel->index(sourceRow, 0));
            if (proxyIndex.isValid())
                selection.select(proxyIndex, proxyIndex);
        }
        m_restoringSelection = true;
        m_growthView->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        m_restoringSelection = false;
        onSelectionChanged();
        updateFilterCount();
    });
    layout->addWidget(m_growthView, 1);
    return panel;
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
    m_timelineModel->setSession(session);
    showTests();
    m_trend->setSession(session);
    const bool empty = !session || session->snapshotCount() == 0;
    m_stack->setCurrentWidget(empty ? m_emptyPage : static_cast<QWidget *>(m_mainSplitter));
    if (!empty && !m_splitterSized && m_stack->width() > 600) {
        // First session on a first start: give the timeline room for its
        // columns, now that the window has its real size.
        m_splitterSized = true;
        const int total = m_stack->width();
        m_mainSplitter->setSizes({total * 30 / 100, total - total * 30 / 100});
    }
    m_saveAsAction->setEnabled(!empty);
    m_exportCsvAction->setEnabled(!empty);
    m_exportJsonAction->setEnabled(!empty);
    m_closeAction->setEnabled(!empty);

    for (QComboBox *box : {m_baselineBox, m_currentBox}) {
        const QSignalBlocker block(box);
        box->clear();
        if (session)
            for (int i = 0; i < session->snapshotCount(); ++i)
                box->addItem(m_timelineModel->snapshotTitle(i));
    }
    updateTitle();
    updateSummary();
    qCDebug(lcWindow) << "session shown in" << timer.elapsed() << "ms";
}

void MainWindow::onComparisonChanged()
{
    QElapsedTimer timer;
    timer.start();
    const auto comparison = m_controller->comparison();
    m_growthModel->setComparison(m_controller->session(), comparison);
    qCDebug(lcWindow) << "growth model reset and sorted in" << timer.elapsed() << "ms";
    showRetainedColumns();
    const int baseline = comparison ? comparison->baseline : -1;
    const int current = comparison ? comparison->current : -1;
    m_timelineModel->setComparedSnapshots(baseline, current);
    {
        const QSignalBlocker b1(m_baselineBox), b2(m_currentBox);
        m_baselineBox->setCurrentIndex(baseline);
        m_currentBox->setCurrentIndex(current);
    }
    updateSummary();
    updateFilterCount();
    updateContainers();
    qCDebug(lcWindow) << "comparison shown in" << timer.elapsed() << "ms";
}

void MainWindow::showRetainedColumns()
{
    m_growthView->updateColumns();
}

void MainWindow::setComparedFromBoxes()
{
    m_controller->setComparedSnapshots(m_baselineBox->currentIndex(), m_currentBox->currentIndex());
}

void MainWindow::showTimelineMenu(const QPoint &pos)
{
    const QModelIndex index = m_timelineView->indexAt(pos);
    if (!index.isValid())
        return;
    const int row = index.row();
    QMenu menu(this);
    QAction *baseline = menu.addAction(tr("Set as Baseline (A)"));
    QAction *current = menu.addAction(tr("Set as Current (B)"));
    QAction *chosen = menu.exec(m_timelineView->viewport()->mapToGlobal(pos));
    if (chosen == baseline)
        m_controller->setComparedSnapshots(row, std::max(row, m_controller->current()));
    else if (chosen == current)
        m_controller->setComparedSnapshots(std::min(row, m_controller->baseline()), row);
}

void MainWindow::onSelectionChanged()
{
    if (m_restoringSelection)
        return;
    QModelIndexList rows = m_growthView->selectionModel()->selectedRows(GrowthTableModel::TypeColumn);
    std::sort(rows.begin(), rows.end(), [](const QModelIndex &a, const QModelIndex &b) { return a.row() < b.row(); });
    QVector<int> types;
    types.reserve(rows.size());
    for (const QModelIndex &i : rows)
        types.append(i.data(GrowthTableModel::TypeIdRole).toInt());
    m_trend->setTypes(types); // draws the first TrendChart::s_maxLines
    if (!types.isEmpty() && m_growthModel->session())
        showAllocations(false, m_growthModel->session()->types().name(types.first()),
                        m_growthModel->session()->types().name(types.first()));
    if (types != m_selectedTypes) {
        m_selectedTypes = types;
        emit selectedTypesChanged(m_selectedTypes);
    }
}

void MainWindow::selectTypes(const QStringList &names)
{
    QItemSelection selection;
    for (const QString &name : names) {
        const auto session = m_growthModel->session();
        if (!session)
            return;
        const int sourceRow = m_growthModel->rowOfType(session->types().find(name));
        if (sourceRow < 0)
            continue;
        const QModelIndex proxyIndex = m_proxy->mapFromSource(m_growthModel->index(sourceRow, 0));
        if (proxyIndex.isValid())
            selection.select(proxyIndex, proxyIndex);
    }
    m_growthView->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
}

void MainWindow::selectTopRows(int count)
{
    const int n = std::min(count, m_proxy->rowCount());
    if (n <= 0)
        return;
    const QItemSelection selection(m_proxy->index(0, 0), m_proxy->index(n - 1, GrowthTableModel::ColumnCount - 1));
    m_growthView->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
}

QString MainWindow::selectedRowsAsText() const
{
    QModelIndexList rows = m_growthView->selectionModel()->selectedRows(GrowthTableModel::TypeColumn);
    std::sort(rows.begin(), rows.end(), [](const QModelIndex &a, const QModelIndex &b) { return a.row() < b.row(); });
    std::vector<int> sourceRows;
    sourceRows.reserve(size_t(rows.size()));
    for (const QModelIndex &i : rows)
        sourceRows.push_back(m_proxy->mapToSource(i).row());
    return m_growthModel->rowsAsText(sourceRows);
}

void MainWindow::copySelectedRows()
{
    if (!m_growthView->selectionModel()->hasSelection())
        return;
    QApplication::clipboard()->setText(selectedRowsAsText());
    statusBar()->showMessage(counted(m_growthView->selectionModel()->selectedRows().size(), tr("Copied %1 row"), tr("Copied %1 rows")), 3000);
}

bool MainWindow::exportTable(const QString &path, bool json)
{
    const auto session = m_growthModel->session();
    const auto comparison = m_growthModel->comparison();
    if (!session || !comparison)
        return false;
    Comparison shown;
    shown.baseline = comparison->baseline;
    shown.current = comparison->current;
    shown.rows.reserve(size_t(m_proxy->rowCount()));
    for (int r = 0; r < m_proxy->rowCount(); ++r)
        shown.rows.push_back(m_growthModel->row(m_proxy->mapToSource(m_proxy->index(r, 0)).row()));
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
    int suspects = 0;
    if (comparison)
        for (const GrowthRow &r : comparison->rows)
            suspects += r.verdict.suspect ? 1 : 0;
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
        + QStringLiteral(" \u00b7 ") + counted(suspects, tr("%1 suspect"), tr("%1 suspects"));
    if (comparison && comparison->current >= 0) {
        const SnapshotInfo &info = session->snapshot(comparison->current).info;
        if (info.pythonVersion.size() > 0)
            text += QStringLiteral(" \u00b7 Python ") + info.pythonVersion;
    }
    m_summary->setText(text + QStringLiteral(" \u00b7 ") + tr("counts are gc-tracked objects only"));
}

void MainWindow::updateFilterCount()
{
    const int total = m_growthModel->rowCount();
    const int shown = m_proxy->rowCount();
    m_filterCount->setText(shown == total ? counted(total, tr("%1 type"), tr("%1 types"))
                                          : tr("%1 of %2 types").arg(QLocale().toString(shown), QLocale().toString(total)));
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
    m_recentFiles.removeAll(path);
    m_recentFiles.prepend(path);
    while (m_recentFiles.size() > s_maxRecentFiles)
        m_recentFiles.removeLast();
    QSettings().setValue(QStringLiteral("recentFiles"), m_recentFiles);
    updateRecentMenu();
    updateTitle();
}

void MainWindow::updateRecentMenu()
{
    m_recentMenu->clear();
    for (const QString &path : std::as_const(m_recentFiles)) {
        QAction *a = m_recentMenu->addAction(QFileInfo(path).fileName(), this, [this, path] { openFiles({path}); });
        a->setStatusTip(QDir::toNativeSeparators(path));
        a->setToolTip(QDir::toNativeSeparators(path));
    }
    m_recentMenu->setEnabled(!m_recentFiles.isEmpty());
    if (!m_recentFiles.isEmpty()) {
        m_recentMenu->addSeparator();
        m_recentMenu->addAction(tr("Clear List"), this, [this] {
            m_recentFiles.clear();
            QSettings().setValue(QStringLiteral("recentFiles"), m_recentFiles);
            updateRecentMenu();
        });
    }

    if (!m_recentLayout)
        return;
    while (QLayoutItem *item = m_recentLayout->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    if (m_recentFiles.isEmpty())
        return;
    auto *heading = new QLabel(tr("Recent files"), m_emptyPage);
    heading->setAlignment(Qt::AlignCenter);
    heading->setForegroundRole(QPalette::PlaceholderText);
    m_recentLayout->addWidget(heading);
    for (int i = 0; i < std::min<int>(5, int(m_recentFiles.size())); ++i) {
        const QString path = m_recentFiles[i];
        auto *link = new QPushButton(QFileInfo(path).fileName(), m_emptyPage);
        link->setFlat(true);
        link->setCursor(Qt::PointingHandCursor);
        link->setToolTip(QDir::toNativeSeparators(path));
        connect(link, &QPushButton::clicked, this, [this, path] { openFiles({path}); });
        m_recentLayout->addWidget(link);
    }
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
    const QString dir = m_recentFiles.isEmpty() ? QString() : QFileInfo(m_recentFiles.front()).absolutePath();
    const QStringList paths = QFileDialog::getOpenFileNames(this, tr("Open Snapshots"), dir, s_fileFilter);
    openFiles(paths);
}

void MainWindow::importDialog()
{
    const QString dir = m_recentFiles.isEmpty() ? QString() : QFileInfo(m_recentFiles.front()).absolutePath();
    const QStringList paths = QFileDialog::getOpenFileNames(this, tr("Import objgraph Output"), dir, s_importFilter);
    openFiles(paths);
}

void MainWindow::saveSessionDialog()
{
    QString path = QFileDialog::getSaveFileName(this, tr("Save Session As"), QString(),
                                                QStringLiteral("Leakscope snapshots (*.lsnap)"));
    if (path.isEmpty())
        return;
    if (QFileInfo(path).suffix().isEmpty())
        path += QStringLiteral(".lsnap");
    m_controller->saveSessionAs(path);
}

void MainWindow::exportDialog(bool json)
{
    QString path = QFileDialog::getSaveFileName(this, json ? tr("Export Table as JSON") : tr("Export Table as CSV"),
                                                QString(),
                                                json ? QStringLiteral("JSON (*.json)") : QStringLiteral("CSV (*.csv)"));
    if (path.isEmpty())
        return;
    if (QFileInfo(path).suffix().isEmpty())
        path += json ? QStringLiteral(".json") : QStringLiteral(".csv");
    exportTable(path, json);
}

void MainWindow::readSettings()
{
    QSettings s;
    m_recentFiles = s.value(QStringLiteral("recentFiles")).toStringList();
    updateRecentMenu();
    if (!restoreGeometry(s.value(QStringLiteral("window/geometry")).toByteArray()))
        resize(1400, 900);
    restoreState(s.value(QStringLiteral("window/state")).toByteArray());
    m_splitterSized = m_mainSplitter->restoreState(s.value(QStringLiteral("window/mainSplitter")).toByteArray());
    m_rightSplitter->restoreState(s.value(QStringLiteral("window/rightSplitter")).toByteArray());
    m_growthView->header()->restoreState(s.value(QStringLiteral("window/growthHeader")).toByteArray());
    // States saved by earlier versions stretch the Type column.
    m_growthView->header()->setSectionResizeMode(GrowthTableModel::TypeColumn, QHeaderView::Interactive);
    showRetainedColumns(); // the saved state may say otherwise
    // The shared ranking (LeakRanking) at start: suspects, user types first.
    m_growthView->sortByColumn(GrowthTableModel::ReasonColumn, Qt::DescendingOrder);
    m_hideBuiltins->setChecked(s.value(QStringLiteral("filter/hideBuiltins"), false).toBool());
    m_suspectsOnly->setChecked(s.value(QStringLiteral("filter/suspectsOnly"), false).toBool());
    m_changedOnly->setChecked(s.value(QStringLiteral("filter/changedOnly"), false).toBool());
    m_trend->setMetric(s.value(QStringLiteral("trend/bytes"), false).toBool() ? TrendChart::Metric::Bytes
                                                                             : TrendChart::Metric::Count);
    m_trend->setLogScale(s.value(QStringLiteral("trend/logScale"), false).toBool());
}

void MainWindow::writeSettings() const
{
    QSettings s;
    s.setValue(QStringLiteral("window/geometry"), saveGeometry());
    s.setValue(QStringLiteral("window/state"), saveState());
    s.setValue(QStringLiteral("window/mainSplitter"), m_mainSplitter->saveState());
    s.setValue(QStringLiteral("window/rightSplitter"), m_rightSplitter->saveState());
    s.setValue(QStringLiteral("window/growthHeader"), m_growthView->header()->saveState());
    s.setValue(QStringLiteral("filter/hideBuiltins"), m_hideBuiltins->isChecked());
    s.setValue(QStringLiteral("filter/suspectsOnly"), m_suspectsOnly->isChecked());
    s.setValue(QStringLiteral("filter/changedOnly"), m_changedOnly->isChecked());
    s.setValue(QStringLiteral("trend/bytes"), m_trend->metric() == TrendChart::Metric::Bytes);
    s.setValue(QStringLiteral("trend/logScale"), m_trend->logScale());
    s.setValue(QStringLiteral("recentFiles"), m_recentFiles);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    writeSettings();
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

// --- pytest --leakscope files: snapshots grouped by test ---------------------

QWidget *MainWindow::createTimelineTabs(QWidget *panel)
{
    m_testsModel = new TestTimelineModel(this);
    m_testsView = new QTreeView(panel);
    m_testsView->setObjectName(QStringLiteral("testsView"));
    m_testsView->setModel(m_testsModel);
    m_testsView->setUniformRowHeights(true);
    m_testsView->setAlternatingRowColors(true);
    // Node ids share their file at the start: the test's name is at the end.
    m_testsView->setTextElideMode(Qt::ElideLeft);
    m_testsView->header()->setStretchLastSection(false);
    m_testsView->header()->setSectionResizeMode(TestTimelineModel::TestColumn, QHeaderView::Stretch);
    m_testsView->header()->setSectionResizeMode(TestTimelineModel::LeakColumn, QHeaderView::ResizeToContents);
    m_testsView->header()->setSectionResizeMode(TestTimelineModel::RunsColumn, QHeaderView::ResizeToContents);
    // A test: its last run (B) against its warm-up run (A), so the growth
    // table shows what the test left behind; a run: that run against the
    // warm-up.
    connect(m_testsView, &QAbstractItemView::activated, this, [this](const QModelIndex &index) {
        if (!index.isValid())
            return;
        m_controller->setComparedSnapshots(index.data(TestTimelineModel::BaselineRole).toInt(),
                                           index.data(TestTimelineModel::SnapshotRole).toInt());
    });

    m_timelineTabs = new QTabWidget(panel);
    m_timelineTabs->setObjectName(QStringLiteral("timelineTabs"));
    m_timelineTabs->setDocumentMode(true);
    m_timelineTabs->addTab(m_timelineView, tr("Snapshots"));
    m_timelineTabs->addTab(m_testsView, tr("Tests"));
    m_timelineTabs->setTabVisible(1, false);
    m_timelineTabs->tabBar()->setVisible(false);
    return m_timelineTabs;
}

void MainWindow::showTests()
{
    const bool hadTests = m_testsModel->rowCount() > 0;
    m_testsModel->setSession(m_controller->session());
    const bool hasTests = m_testsModel->rowCount() > 0;
    m_timelineTabs->setTabVisible(1, hasTests);
    m_timelineTabs->tabBar()->setVisible(hasTests);
    if (!hasTests)
        return;
    const int leaking = m_testsModel->leakingCount();
    m_timelineTabs->setTabText(1, leaking > 0 ? tr("Tests (%1 leaking)").arg(leaking) : tr("Tests"));
    // A file of test runs opens on its tests, leaking ones on top.
    if (!hadTests) {
        m_timelineTabs->setCurrentWidget(m_testsView);
        if (leaking > 0) {
            const QModelIndex first = m_testsModel->index(0, 0);
            m_testsView->setCurrentIndex(first);
            m_testsView->expand(first);
            m_controller->setComparedSnapshots(first.data(TestTimelineModel::BaselineRole).toInt(),
                                               first.data(TestTimelineModel::SnapshotRole).toInt());
        }
    }
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
