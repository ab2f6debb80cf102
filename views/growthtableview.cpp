#include "views/growthtableview.h"

#include "views/growthfilterproxymodel.h"
#include "views/growthtablemodel.h"
#include "views/sparklinedelegate.h"

#include <QHeaderView>
#include <QMenu>
#include <QResizeEvent>
#include <QScopedValueRollback>
#include <QStyledItemDelegate>

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

namespace leakscope {

namespace {

// Names longer (in characters) than all but this many are measured to find
// the widest: 20,000 types are not all laid out on every comparison.
constexpr int s_measuredNames = 256;
// What goes first when the table is too narrow for every column: the
// columns a reader can best do without (the growth against the previous
// snapshot, the shallow size next to its change, the percentage next to the
// change in count, the retained size next to its change, and the sparkline
// the Reason puts in words: "grew in 9 of 9 intervals").
constexpr std::array<int, 5> s_hideFirst{GrowthTableModel::DeltaPreviousColumn, GrowthTableModel::SizeColumn,
                                         GrowthTableModel::DeltaPercentColumn, GrowthTableModel::RetainedColumn,
                                         GrowthTableModel::TrendColumn};
// The room each number column keeps next to its widest value.
constexpr int s_numberPadding = 14;

// Keys of the columns in QSettings (stable across column reorders).
QString columnKey(int column)
{
    switch (column) {
    case GrowthTableModel::TypeColumn: return QStringLiteral("type");
    case GrowthTableModel::CountColumn: return QStringLiteral("count");
    case GrowthTableModel::DeltaPreviousColumn: return QStringLiteral("deltaPrevious");
    case GrowthTableModel::DeltaBaselineColumn: return QStringLiteral("deltaBaseline");
    case GrowthTableModel::DeltaPercentColumn: return QStringLiteral("deltaPercent");
    case GrowthTableModel::SizeColumn: return QStringLiteral("size");
    case GrowthTableModel::DeltaSizeColumn: return QStringLiteral("deltaSize");
    case GrowthTableModel::RetainedColumn: return QStringLiteral("retained");
    case GrowthTableModel::DeltaRetainedColumn: return QStringLiteral("deltaRetained");
    case GrowthTableModel::TrendColumn: return QStringLiteral("trend");
    case GrowthTableModel::ReasonColumn: return QStringLiteral("reason");
    default: return QString();
    }
}

bool isRetainedColumn(int column)
{
    return column == GrowthTableModel::RetainedColumn || column == GrowthTableModel::DeltaRetainedColumn;
}

// Every cell but the sparklines: the Type column elides in the middle (a
// qualified name's module and class both stay readable), and every row is as
// tall as the tallest row could be (bold text next to the suspect icon), so a
// suspect at the top does not change the height of all rows.
class GrowthItemDelegate : public QStyledItemDelegate
{
public:
    explicit GrowthItemDelegate(GrowthTableView *view) : QStyledItemDelegate(view), m_view(view) {}

    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override
    {
        QSize s = QStyledItemDelegate::sizeHint(option, index);
        s.setHeight(m_view->rowHeight());
        return s;
    }

protected:
    void initStyleOption(QStyleOptionViewItem *option, const QModelIndex &index) const override
    {
        QStyledItemDelegate::initStyleOption(option, index);
        option->textElideMode = index.column() == GrowthTableModel::TypeColumn ? Qt::ElideMiddle : Qt::ElideRight;
    }

private:
    GrowthTableView *m_view;
};

} // namespace

GrowthTableView::GrowthTableView(QWidget *parent) : QTreeView(parent)
{
    setRootIsDecorated(false);
    setUniformRowHeights(true); // keeps 20,000 rows cheap to lay out
    setAlternatingRowColors(true);
    setSortingEnabled(true);
    setSelectionBehavior(QAbstractItemView::SelectRows);
    setSelectionMode(QAbstractItemView::ExtendedSelection);
    setItemDelegate(new GrowthItemDelegate(this));
    setItemDelegateForColumn(GrowthTableModel::TrendColumn, new SparklineDelegate(this));
    QHeaderView *header = this->header();
    header->setStretchLastSection(false);
    header->setSectionsMovable(true);
    header->setSectionResizeMode(QHeaderView::Interactive);
    header->setMinimumSectionSize(40);
    header->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(header, &QHeaderView::customContextMenuRequested, this, [this](const QPoint &pos) {
        QMenu *menu = createHeaderMenu(this);
        menu->setAttribute(Qt::WA_DeleteOnClose);
        menu->popup(this->header()->viewport()->mapToGlobal(pos));
    });
    connect(header, &QHeaderView::sectionResized, this, [this](int logical, int, int newSize) {
        if (m_fitting || logical == GrowthTableModel::ReasonColumn)
            return;
        // A width the user dragged lasts (the number columns only grow past it).
        if (newSize > 0 && logical != GrowthTableModel::TypeColumn)
            m_width[size_t(logical)] = newSize;
        fitReasonColumn();
    });
}

void GrowthTableView::setModels(GrowthTableModel *model, GrowthFilterProxyModel *proxy)
{
    m_model = model;
    m_proxy = proxy;
    setModel(proxy);
    setDefaultWidths();
    // The ranking (LeakRanking) at start: suspects, user types first.
    sortByColumn(GrowthTableModel::ReasonColumn, Qt::DescendingOrder);
    connect(model, &QAbstractItemModel::modelReset, this, &GrowthTableView::updateColumns);
    updateColumns();
}

int GrowthTableView::titleWidth(int column) const
{
    // The title whole, with room for the sort arrow.
    QFont headerFont = header()->font();
    headerFont.setBold(true);
    const QString title = m_model->headerData(column, Qt::Horizontal).toString();
    return QFontMetrics(headerFont).horizontalAdvance(title) + 20;
}

void GrowthTableView::setDefaultWidths()
{
    // The byte columns as wide as their widest usual value ("000.0 KiB"),
    // the count columns as their titles until fitNumberColumns sees values.
    const QFontMetrics fm = fontMetrics();
    const auto fit = [this, &fm](int column, const QString &sample) {
        m_width[size_t(column)] = std::max(sample.isEmpty() ? 0 : fm.horizontalAdvance(sample) + s_numberPadding,
                                           titleWidth(column));
    };
    for (int c : {GrowthTableModel::CountColumn, GrowthTableModel::DeltaPreviousColumn,
                  GrowthTableModel::DeltaBaselineColumn, GrowthTableModel::DeltaPercentColumn})
        fit(c, QString());
    fit(GrowthTableModel::SizeColumn, QStringLiteral("000.0 KiB"));
    fit(GrowthTableModel::DeltaSizeColumn, QStringLiteral("+000.0 KiB"));
    fit(GrowthTableModel::RetainedColumn, QStringLiteral("000.0 KiB"));
    fit(GrowthTableModel::DeltaRetainedColumn, QStringLiteral("+000.0 KiB"));
    m_width[GrowthTableModel::TrendColumn] = 72;
    m_width[GrowthTableModel::ReasonColumn] = s_minimumReasonWidth;
    m_fitting = true;
    for (int c = 0; c < GrowthTableModel::ColumnCount; ++c)
        if (c != GrowthTableModel::TypeColumn)
            setColumnWidth(c, m_width[size_t(c)]);
    m_fitting = false;
}

void GrowthTableView::fitNumberColumns(bool mayShrink)
{
    // Each number column as wide as its widest value (the formatted text of
    // its largest and smallest value, which have the most digits) or its
    // title: a table of small deltas does not spend room on "+000,000".
    if (!m_model || m_model->rowCount() == 0)
        return;
    const QFontMetrics fm = fontMetrics();
    for (int c = GrowthTableModel::CountColumn; c < GrowthTableModel::TrendColumn; ++c) {
        if (isRetainedColumn(c) && !m_model->hasRetained())
            continue;
        int lowest = 0;
        int highest = 0;
        bool anyInfinite = false;
        for (int r = 0; r < m_model->rowCount(); ++r) {
            const double v = m_model->sortValue(r, c);
            if (std::isinf(v)) {
                anyInfinite = true;
                continue;
            }
            if (v < m_model->sortValue(lowest, c) || std::isinf(m_model->sortValue(lowest, c)))
                lowest = r;
            if (v > m_model->sortValue(highest, c) || std::isinf(m_model->sortValue(highest, c)))
                highest = r;
        }
        int widest = titleWidth(c);
        for (int r : {lowest, highest})
            widest = std::max(widest, fm.horizontalAdvance(m_model->data(m_model->index(r, c)).toString()) + s_numberPadding);
        if (anyInfinite && c == GrowthTableModel::DeltaPercentColumn)
            widest = std::max(widest, fm.horizontalAdvance(GrowthTableModel::formatPercent(HUGE_VAL)) + s_numberPadding);
        int &width = m_width[size_t(c)];
        width = mayShrink ? widest : std::max(width, widest);
    }
}

int GrowthTableView::rowHeight() const
{
    // The tallest cell the model can produce: bold text with an icon.
    QStyleOptionViewItem opt;
    initViewItemOption(&opt);
    opt.font.setBold(true);
    opt.fontMetrics = QFontMetrics(opt.font);
    opt.features |= QStyleOptionViewItem::HasDisplay | QStyleOptionViewItem::HasDecoration;
    opt.text = QStringLiteral("Xg");
    return style()->sizeFromContents(QStyle::CT_ItemViewItem, &opt, QSize(), this).height();
}

int GrowthTableView::preferredTypeWidth() const
{
    QStyleOptionViewItem opt;
    initViewItemOption(&opt);
    opt.font.setBold(true); // suspects' names are bold
    opt.fontMetrics = QFontMetrics(opt.font);
    opt.features |= QStyleOptionViewItem::HasDisplay | QStyleOptionViewItem::HasDecoration;
    const auto width = [&](const QString &text) {
        opt.text = text;
        return style()->sizeFromContents(QStyle::CT_ItemViewItem, &opt, QSize(), this).width();
    };
    int widest = width(QStringLiteral("__main__.Session"));
    if (m_model) {
        const int rows = m_model->rowCount();
        std::vector<int> order(static_cast<size_t>(rows));
        for (int r = 0; r < rows; ++r)
            order[size_t(r)] = r;
        const auto longer = [this](int a, int b) { return m_model->typeName(a).size() > m_model->typeName(b).size(); };
        if (rows > s_measuredNames)
            std::nth_element(order.begin(), order.begin() + s_measuredNames, order.end(), longer);
        for (int i = 0; i < rows && i < s_measuredNames; ++i)
            widest = std::max(widest, width(m_model->typeName(order[size_t(i)])));
    }
    // Room for the header's sort arrow, and the cell's own margin.
    return widest + 8;
}

void GrowthTableView::updateColumns()
{
    if (!m_model)
        return;
    // A new session may need less room than the last one; within one
    // (a live session's next comparison) the columns only grow, so they do
    // not jump back and forth as the numbers change.
    const void *session = m_model->session().get();
    fitNumberColumns(session != m_fittedSession);
    if (m_model->rowCount() > 0)
        m_fittedSession = session;
    fitTypeColumn();
    fitColumns();
}

void GrowthTableView::fitTypeColumn()
{
    // Whole names when they fit in 40% of the table; elided in the middle
    // otherwise. The other columns never take this width away.
    const int limit = std::max(240, viewport()->width() * 2 / 5);
    const int width = std::min(preferredTypeWidth(), limit);
    if (header()->sectionSize(GrowthTableModel::TypeColumn) != width)
        header()->resizeSection(GrowthTableModel::TypeColumn, width);
}

int GrowthTableView::widthOf(int column) const
{
    if (column == GrowthTableModel::TypeColumn)
        return header()->sectionSize(column);
    return m_width[size_t(column)];
}

void GrowthTableView::fitColumns()
{
    if (!m_model)
        return;
    const bool retained = m_model->hasRetained();
    std::array<bool, GrowthTableModel::ColumnCount> show{};
    int needed = 0;
    for (int c = 0; c < GrowthTableModel::ColumnCount; ++c) {
        show[size_t(c)] = c == GrowthTableModel::TypeColumn
            || ((retained || !isRetainedColumn(c)) && m_choice[size_t(c)] != Choice::Hidden);
        if (show[size_t(c)])
            needed += c == GrowthTableModel::ReasonColumn ? s_minimumReasonWidth : widthOf(c);
    }
    // Too narrow for all of them: the least useful columns the user did not
    // ask for go first, until the Reason column has its minimum.
    m_autoHidden.fill(false);
    const int room = viewport()->width();
    for (int c : s_hideFirst) {
        if (needed <= room)
            break;
        if (!show[size_t(c)] || m_choice[size_t(c)] == Choice::Shown)
            continue;
        show[size_t(c)] = false;
        m_autoHidden[size_t(c)] = true;
        needed -= widthOf(c);
    }
    m_fitting = true;
    for (int c = 0; c < GrowthTableModel::ColumnCount; ++c) {
        if (header()->isSectionHidden(c) == show[size_t(c)])
            header()->setSectionHidden(c, !show[size_t(c)]);
        if (show[size_t(c)] && c != GrowthTableModel::TypeColumn && c != GrowthTableModel::ReasonColumn
            && header()->sectionSize(c) != m_width[size_t(c)])
            header()->resizeSection(c, m_width[size_t(c)]);
    }
    m_fitting = false;
    fitReasonColumn();
}

void GrowthTableView::fitReasonColumn()
{
    // The reason takes what is left, so the columns fill the table; below its
    // minimum the table scrolls sideways instead.
    int others = 0;
    for (int c = 0; c < header()->count(); ++c)
        if (c != GrowthTableModel::ReasonColumn && !header()->isSectionHidden(c))
            others += header()->sectionSize(c);
    const int width = std::max(s_minimumReasonWidth, viewport()->width() - others);
    if (header()->sectionSize(GrowthTableModel::ReasonColumn) != width) {
        const QScopedValueRollback<bool> fitting(m_fitting, true);
        header()->resizeSection(GrowthTableModel::ReasonColumn, width);
    }
}

void GrowthTableView::setColumnChoice(int column, Choice choice)
{
    if (column <= GrowthTableModel::TypeColumn || column >= GrowthTableModel::ColumnCount)
        return; // the Type column always shows
    m_choice[size_t(column)] = choice;
    fitColumns();
    emit columnChoicesChanged();
}

void GrowthTableView::resetColumns()
{
    m_choice.fill(Choice::Auto);
    // The model's order, then the default widths fitted to the values.
    m_fitting = true;
    for (int c = 0; c < GrowthTableModel::ColumnCount; ++c)
        if (header()->visualIndex(c) != c)
            header()->moveSection(header()->visualIndex(c), c);
    m_fitting = false;
    setDefaultWidths();
    fitNumberColumns(true);
    fitTypeColumn();
    fitColumns();
    emit columnChoicesChanged();
}

QVariant GrowthTableView::columnChoices() const
{
    QVariantMap state;
    for (int c = 0; c < GrowthTableModel::ColumnCount; ++c)
        if (m_choice[size_t(c)] != Choice::Auto)
            state.insert(columnKey(c), m_choice[size_t(c)] == Choice::Shown ? QStringLiteral("shown")
                                                                           : QStringLiteral("hidden"));
    return state;
}

void GrowthTableView::restoreColumnChoices(const QVariant &state)
{
    const QVariantMap map = state.toMap();
    for (int c = GrowthTableModel::TypeColumn + 1; c < GrowthTableModel::ColumnCount; ++c) {
        const QString value = map.value(columnKey(c)).toString();
        m_choice[size_t(c)] = value == QLatin1String("shown")    ? Choice::Shown
                              : value == QLatin1String("hidden") ? Choice::Hidden
                                                                 : Choice::Auto;
    }
    fitColumns();
}

QMenu *GrowthTableView::createHeaderMenu(QWidget *parent)
{
    auto *menu = new QMenu(parent);
    menu->setObjectName(QStringLiteral("growthHeaderMenu"));
    menu->setToolTipsVisible(true);
    const bool retained = m_model && m_model->hasRetained();
    for (int c = GrowthTableModel::TypeColumn + 1; c < GrowthTableModel::ColumnCount; ++c) {
        QString title = m_model ? m_model->headerData(c, Qt::Horizontal).toString() : columnKey(c);
        if (isRetainedColumn(c) && !retained)
            title = tr("%1 (needs a heap graph)").arg(title);
        else if (m_autoHidden[size_t(c)])
            title = tr("%1 (hidden: no room)").arg(title);
        QAction *action = menu->addAction(title);
        action->setObjectName(columnKey(c));
        action->setCheckable(true);
        action->setChecked(m_choice[size_t(c)] == Choice::Shown
                           || (m_choice[size_t(c)] == Choice::Auto && !m_autoHidden[size_t(c)]
                               && (retained || !isRetainedColumn(c))));
        action->setEnabled(retained || !isRetainedColumn(c));
        if (m_model)
            action->setToolTip(m_model->headerData(c, Qt::Horizontal, Qt::ToolTipRole).toString());
        connect(action, &QAction::toggled, this,
                [this, c](bool on) { setColumnChoice(c, on ? Choice::Shown : Choice::Hidden); });
    }
    menu->addSeparator();
    QAction *reset = menu->addAction(tr("Reset Columns"), this, &GrowthTableView::resetColumns);
    reset->setObjectName(QStringLiteral("resetColumns"));
    reset->setToolTip(tr("Every column back: default widths and order; columns that do not fit are hidden again"));
    return menu;
}

void GrowthTableView::resizeEvent(QResizeEvent *event)
{
    QTreeView::resizeEvent(event);
    if (event->size().width() != event->oldSize().width()) {
        fitTypeColumn();
        fitColumns();
    }
}

} // namespace leakscope
