#include "gui/timelinepanel.h"

#include "gui/sessioncontroller.h"
#include "views/snapshottimelinemodel.h"
#include "views/testtimelinemodel.h"

#include <QComboBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMenu>
#include <QStyle>
#include <QTabBar>
#include <QTabWidget>
#include <QTableView>
#include <QTreeView>
#include <QVBoxLayout>

#include <algorithm>

namespace leakscope {

TimelinePanel::TimelinePanel(SessionController *controller, QWidget *parent)
    : QWidget(parent), m_controller(controller), m_model(new SnapshotTimelineModel(this))
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_heading = new QLabel(tr("<b>Snapshots</b>"), this);
    m_heading->setObjectName(QStringLiteral("timelineHeading"));
    // A long file name must not widen the pane; the tooltip has it in full.
    m_heading->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    layout->addWidget(m_heading);

    auto *form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_currentBox = new QComboBox(this);
    m_currentBox->setToolTip(tr("The snapshot the growth table shows (B)"));
    m_baselineBox = new QComboBox(this);
    m_baselineBox->setToolTip(tr("The snapshot the deltas are measured against (A)"));
    m_currentBox->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_baselineBox->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_currentBox->setMinimumContentsLength(16);
    m_baselineBox->setMinimumContentsLength(16);
    form->addRow(tr("Compare (B):"), m_currentBox);
    form->addRow(tr("against (A):"), m_baselineBox);
    layout->addLayout(form);
    connect(m_currentBox, &QComboBox::activated, this, &TimelinePanel::setComparedFromBoxes);
    connect(m_baselineBox, &QComboBox::activated, this, &TimelinePanel::setComparedFromBoxes);

    m_view = new QTableView(this);
    m_view->setObjectName(QStringLiteral("timelineView"));
    m_view->setModel(m_model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 8);
    m_view->setShowGrid(false);
    m_view->setAlternatingRowColors(true);
    m_view->setWordWrap(false);
    // File names from one run differ at the end (time stamps), labels in their numbers.
    m_view->setTextElideMode(Qt::ElideMiddle);
    m_view->setContextMenuPolicy(Qt::CustomContextMenu);
    m_view->setToolTip(QString());
    QHeaderView *h = m_view->horizontalHeader();
    h->setHighlightSections(false);
    h->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    // Label and Source take the room the numbers leave, so the pane never
    // needs a horizontal scrollbar; cut-off text is in the row's tooltip.
    h->setStretchLastSection(false);
    h->setSectionResizeMode(SnapshotTimelineModel::LabelColumn, QHeaderView::Stretch);
    h->setSectionResizeMode(SnapshotTimelineModel::SourceColumn, QHeaderView::Stretch);
    connect(m_model, &QAbstractItemModel::modelReset, this, &TimelinePanel::onModelReset);
    m_view->setColumnHidden(SnapshotTimelineModel::SourceColumn, true);
    connect(m_view, &QWidget::customContextMenuRequested, this, &TimelinePanel::showMenu);
    // Double-click: look at that snapshot (B), keeping the baseline unless it would come after it.
    connect(m_view, &QAbstractItemView::doubleClicked, this, [this](const QModelIndex &index) {
        if (index.isValid())
            m_controller->setComparedSnapshots(std::min(index.row(), std::max(0, m_controller->baseline())), index.row());
    });
    layout->addWidget(createTabs(), 1);
    auto *tip = new QLabel(tr("Double-click: show it as B \u00b7 right-click: make it the baseline A"), this);
    tip->setForegroundRole(QPalette::PlaceholderText);
    tip->setWordWrap(true);
    layout->addWidget(tip);
}

TimelinePanel::~TimelinePanel() = default;

void TimelinePanel::onModelReset()
{
    // One source file (a single recording, a live session): name it once in
    // the heading instead of on every row.
    const QStringList files = m_model->sourceFiles();
    // The numbers are never cut: their columns fit their widest cell in
    // bold (the A and B rows move) and their header, plus a gap so
    // neighbouring numbers stay apart. The A/B badge sits before the index.
    QFont bold = m_view->font();
    bold.setBold(true);
    const QFontMetrics fm(bold);
    const QFontMetrics headerFm(m_view->horizontalHeader()->font());
    const int badge = m_view->style()->pixelMetric(QStyle::PM_SmallIconSize, nullptr, m_view) + 6;
    for (int c : {SnapshotTimelineModel::IndexColumn, SnapshotTimelineModel::TimeColumn,
                  SnapshotTimelineModel::ObjectsColumn, SnapshotTimelineModel::RssColumn}) {
        int width = headerFm.horizontalAdvance(m_model->headerData(c, Qt::Horizontal).toString());
        for (int r = 0; r < m_model->rowCount(); ++r)
            width = std::max(width, fm.horizontalAdvance(m_model->index(r, c).data().toString()) +
                                        (c == SnapshotTimelineModel::IndexColumn ? badge : 0));
        m_view->setColumnWidth(c, width + 12);
    }
    m_view->setColumnHidden(SnapshotTimelineModel::SourceColumn, files.size() <= 1);
    if (files.size() == 1 && !files.front().isEmpty()) {
        const QString name = m_heading->fontMetrics().elidedText(QFileInfo(files.front()).fileName(), Qt::ElideMiddle, 280);
        m_heading->setText(tr("<b>Snapshots</b> from %1").arg(name.toHtmlEscaped()));
        m_heading->setToolTip(files.front());
    } else if (files.size() > 1) {
        m_heading->setText(tr("<b>Snapshots</b> from %1 files").arg(files.size()));
        m_heading->setToolTip(files.join(QLatin1Char('\n')));
    } else {
        m_heading->setText(tr("<b>Snapshots</b>"));
        m_heading->setToolTip(QString());
    }
}

bool TimelinePanel::showsSources() const
{
    return !m_view->isColumnHidden(SnapshotTimelineModel::SourceColumn);
}

int TimelinePanel::preferredWidth() const
{
    int width = 0;
    for (int c = 0; c < m_model->columnCount(); ++c)
        if (c != SnapshotTimelineModel::LabelColumn && c != SnapshotTimelineModel::SourceColumn
            && !m_view->isColumnHidden(c))
            width += m_view->columnWidth(c);
    // Room for labels of about a dozen characters ("every 2s #10"), even
    // while the labels so far are shorter: a live session sizes the pane on
    // its first snapshot ("start"), and its numbers widen later; longer
    // labels are elided, with the whole label in the tooltip.
    const QFontMetrics fm = m_view->fontMetrics();
    width += fm.horizontalAdvance(QStringLiteral("every 0.5s #10")) + 12;
    if (showsSources()) {
        int source = 0;
        for (int r = 0; r < m_model->rowCount() && r < 500; ++r)
            source = std::max(source, fm.horizontalAdvance(m_model->index(r, SnapshotTimelineModel::SourceColumn).data().toString()));
        width += std::min(source, fm.horizontalAdvance(QStringLiteral("recording-2.lsnap"))) + 12;
    }
    width += 2 * m_view->frameWidth() + m_view->style()->pixelMetric(QStyle::PM_ScrollBarExtent, nullptr, m_view);
    return std::max(width, minimumSizeHint().width());
}

void TimelinePanel::showSession()
{
    const auto session = m_controller->session();
    m_model->setSession(session);
    showTests();
    for (QComboBox *box : {m_baselineBox, m_currentBox}) {
        const QSignalBlocker block(box);
        box->clear();
        if (session)
            for (int i = 0; i < session->snapshotCount(); ++i)
                box->addItem(m_model->snapshotTitle(i));
    }
}

void TimelinePanel::showComparison()
{
    const auto comparison = m_controller->comparison();
    const int baseline = comparison ? comparison->baseline : -1;
    const int current = comparison ? comparison->current : -1;
    m_model->setComparedSnapshots(baseline, current);
    const QSignalBlocker b1(m_baselineBox), b2(m_currentBox);
    m_baselineBox->setCurrentIndex(baseline);
    m_currentBox->setCurrentIndex(current);
}

void TimelinePanel::setComparedFromBoxes()
{
    m_controller->setComparedSnapshots(m_baselineBox->currentIndex(), m_currentBox->currentIndex());
}

void TimelinePanel::showMenu(const QPoint &pos)
{
    const QModelIndex index = m_view->indexAt(pos);
    if (!index.isValid())
        return;
    const int row = index.row();
    QMenu menu(this);
    QAction *baseline = menu.addAction(tr("Set as Baseline (A)"));
    QAction *current = menu.addAction(tr("Set as Current (B)"));
    QAction *chosen = menu.exec(m_view->viewport()->mapToGlobal(pos));
    if (chosen == baseline)
        m_controller->setComparedSnapshots(row, std::max(row, m_controller->current()));
    else if (chosen == current)
        m_controller->setComparedSnapshots(std::min(row, m_controller->baseline()), row);
}

// --- pytest --leakscope files: snapshots grouped by test ---------------------

QWidget *TimelinePanel::createTabs()
{
    m_testsModel = new TestTimelineModel(this);
    m_testsView = new QTreeView(this);
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

    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("timelineTabs"));
    m_tabs->setDocumentMode(true);
    m_tabs->addTab(m_view, tr("Snapshots"));
    m_tabs->addTab(m_testsView, tr("Tests"));
    m_tabs->setTabVisible(1, false);
    m_tabs->tabBar()->setVisible(false);
    return m_tabs;
}

void TimelinePanel::showTests()
{
    const bool hadTests = m_testsModel->rowCount() > 0;
    m_testsModel->setSession(m_controller->session());
    const bool hasTests = m_testsModel->rowCount() > 0;
    m_tabs->setTabVisible(1, hasTests);
    m_tabs->tabBar()->setVisible(hasTests);
    if (!hasTests)
        return;
    const int leaking = m_testsModel->leakingCount();
    m_tabs->setTabText(1, leaking > 0 ? tr("Tests (%1 leaking)").arg(leaking) : tr("Tests"));
    // A file of test runs opens on its tests, leaking ones on top.
    if (!hadTests) {
        m_tabs->setCurrentWidget(m_testsView);
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
