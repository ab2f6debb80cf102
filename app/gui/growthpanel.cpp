#include "gui/growthpanel.h"

#include "core/growth.h"
#include "core/session.h"
#include "views/growthfilterproxymodel.h"
#include "views/growthtablemodel.h"
#include "views/growthtableview.h"

#include <QCheckBox>
#include <QEvent>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QVBoxLayout>

#include <algorithm>

namespace leakscope {

namespace {

constexpr int s_maxRestoredSelection = 1000;

QString filterToolTip()
{
    return GrowthPanel::tr("Shows the types whose name contains the text (case-insensitive).\n"
                           "Start with / for a regular expression, e.g. /^__main__\\.");
}

} // namespace

GrowthPanel::GrowthPanel(QWidget *parent)
    : QWidget(parent), m_model(new GrowthTableModel(this)), m_proxy(new GrowthFilterProxyModel(this))
{
    m_proxy->setSourceModel(m_model);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);

    auto *bar = new QHBoxLayout;
    m_filterEdit = new QLineEdit(this);
    m_filterEdit->setObjectName(QStringLiteral("filterEdit"));
    m_filterEdit->setClearButtonEnabled(true);
    m_filterEdit->setPlaceholderText(tr("Filter types (Ctrl+F): text, or /regex"));
    m_filterEdit->setToolTip(filterToolTip());
    m_filterEdit->setMinimumWidth(220);
    bar->addWidget(m_filterEdit, 2);
    m_hideBuiltins = new QCheckBox(tr("Hide builtins"), this);
    m_hideBuiltins->setToolTip(tr("Hide types without a module, such as dict, list and function"));
    m_suspectsOnly = new QCheckBox(tr("Suspects only"), this);
    m_suspectsOnly->setToolTip(tr("Show only the types whose count grows steadily"));
    m_changedOnly = new QCheckBox(tr("Changed only"), this);
    m_changedOnly->setToolTip(tr("Hide the types whose count and size are the same in A and B"));
    bar->addWidget(m_hideBuiltins);
    bar->addWidget(m_suspectsOnly);
    bar->addWidget(m_changedOnly);
    bar->addStretch(1);
    m_filterCount = new QLabel(this);
    m_filterCount->setForegroundRole(QPalette::PlaceholderText);
    bar->addWidget(m_filterCount);
    layout->addLayout(bar);

    connect(m_filterEdit, &QLineEdit::textChanged, this, [this](const QString &text) {
        const bool ok = m_proxy->setFilterText(text);
        m_filterEdit->setStyleSheet(ok ? QString() : QStringLiteral("QLineEdit { background: #fdecea; }"));
        m_filterEdit->setToolTip(ok ? filterToolTip() : m_proxy->filterError());
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

    m_view = new GrowthTableView(this);
    m_view->setObjectName(QStringLiteral("growthView"));
    m_view->setModels(m_model, m_proxy);
    m_view->setContextMenuPolicy(Qt::ActionsContextMenu);
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, &GrowthPanel::onSelectionChanged);
    connect(m_proxy, &QAbstractItemModel::modelAboutToBeReset, this, [this] {
        if (m_restoringSelection)
            return;
        m_selectionToRestore.clear();
        const QModelIndexList rows = m_view->selectionModel()->selectedRows(GrowthTableModel::TypeColumn);
        for (const QModelIndex &i : rows)
            if (int(m_selectionToRestore.size()) < s_maxRestoredSelection)
                m_selectionToRestore.push_back(i.data(GrowthTableModel::TypeIdRole).toInt());
    });
    connect(m_proxy, &QAbstractItemModel::modelReset, this, [this] {
        // Same session registry: type ids survive a new comparison.
        QItemSelection selection;
        for (int type : m_selectionToRestore) {
            const int sourceRow = m_model->rowOfType(type);
            if (sourceRow < 0)
                continue;
            const QModelIndex proxyIndex = m_proxy->mapFromSource(m_model->index(sourceRow, 0));
            if (proxyIndex.isValid())
                selection.select(proxyIndex, proxyIndex);
        }
        m_restoringSelection = true;
        m_view->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        m_restoringSelection = false;
        onSelectionChanged();
        updateFilterCount();
    });
    layout->addWidget(m_view, 1);
}

GrowthPanel::~GrowthPanel() = default;

void GrowthPanel::setComparison(std::shared_ptr<const Session> session, std::shared_ptr<const Comparison> comparison)
{
    m_model->setComparison(std::move(session), std::move(comparison));
    showRetainedColumns();
    updateFilterCount();
}

void GrowthPanel::showRetainedColumns()
{
    m_view->updateColumns();
}

void GrowthPanel::updateFilterCount()
{
    const int total = m_model->rowCount();
    const int shown = m_proxy->rowCount();
    m_filterCount->setText(shown == total ? (total == 1 ? tr("%1 type") : tr("%1 types")).arg(QLocale().toString(total))
                                          : tr("%1 of %2 types").arg(QLocale().toString(shown), QLocale().toString(total)));
}

void GrowthPanel::onSelectionChanged()
{
    if (m_restoringSelection)
        return;
    QModelIndexList rows = m_view->selectionModel()->selectedRows(GrowthTableModel::TypeColumn);
    std::sort(rows.begin(), rows.end(), [](const QModelIndex &a, const QModelIndex &b) { return a.row() < b.row(); });
    QVector<int> types;
    types.reserve(rows.size());
    for (const QModelIndex &i : rows)
        types.append(i.data(GrowthTableModel::TypeIdRole).toInt());
    emit selectionChanged(types);
}

void GrowthPanel::selectTypes(const QStringList &names)
{
    QItemSelection selection;
    for (const QString &name : names) {
        const auto session = m_model->session();
        if (!session)
            return;
        const int sourceRow = m_model->rowOfType(session->types().find(name));
        if (sourceRow < 0)
            continue;
        const QModelIndex proxyIndex = m_proxy->mapFromSource(m_model->index(sourceRow, 0));
        if (proxyIndex.isValid())
            selection.select(proxyIndex, proxyIndex);
    }
    m_view->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
}

void GrowthPanel::selectTopRows(int count)
{
    const int n = std::min(count, m_proxy->rowCount());
    if (n <= 0)
        return;
    const QItemSelection selection(m_proxy->index(0, 0), m_proxy->index(n - 1, GrowthTableModel::ColumnCount - 1));
    m_view->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
}

int GrowthPanel::selectedRowCount() const
{
    return int(m_view->selectionModel()->selectedRows().size());
}

QString GrowthPanel::selectedRowsAsText() const
{
    QModelIndexList rows = m_view->selectionModel()->selectedRows(GrowthTableModel::TypeColumn);
    std::sort(rows.begin(), rows.end(), [](const QModelIndex &a, const QModelIndex &b) { return a.row() < b.row(); });
    std::vector<int> sourceRows;
    sourceRows.reserve(size_t(rows.size()));
    for (const QModelIndex &i : rows)
        sourceRows.push_back(m_proxy->mapToSource(i).row());
    return m_model->rowsAsText(sourceRows);
}

Comparison GrowthPanel::rowsAsShown() const
{
    Comparison shown;
    const auto comparison = m_model->comparison();
    if (!comparison)
        return shown;
    shown.baseline = comparison->baseline;
    shown.current = comparison->current;
    shown.rows.reserve(size_t(m_proxy->rowCount()));
    for (int r = 0; r < m_proxy->rowCount(); ++r)
        shown.rows.push_back(m_model->row(m_proxy->mapToSource(m_proxy->index(r, 0)).row()));
    return shown;
}

} // namespace leakscope
