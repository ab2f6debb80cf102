#include "views/growthtableview.h"

#include "views/growthfilterproxymodel.h"
#include "views/growthtablemodel.h"
#include "views/sparklinedelegate.h"

#include <QHeaderView>
#include <QResizeEvent>
#include <QStyledItemDelegate>

#include <algorithm>
#include <vector>

namespace leakscope {

namespace {

// Names longer (in characters) than all but this many are measured to find
// the widest: 20,000 types are not all laid out on every comparison.
constexpr int s_measuredNames = 256;
// The Reason column's least width before the table scrolls sideways.
constexpr int s_minimumReasonWidth = 220;

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
    connect(header, &QHeaderView::sectionResized, this, [this](int logical) {
        if (logical != GrowthTableModel::ReasonColumn)
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

void GrowthTableView::setDefaultWidths()
{
    // Each column as wide as its widest usual value or its title (with room
    // for the sort arrow), whichever is wider.
    const QFontMetrics fm = fontMetrics();
    QFont headerFont = header()->font();
    headerFont.setBold(true);
    const QFontMetrics hm(headerFont);
    const auto fit = [this, &fm, &hm](int column, const QString &sample, int padding = 14) {
        const QString title = m_model->headerData(column, Qt::Horizontal).toString();
        setColumnWidth(column, std::max(fm.horizontalAdvance(sample) + padding, hm.horizontalAdvance(title) + 22));
    };
    for (int c : {GrowthTableModel::CountColumn, GrowthTableModel::DeltaPreviousColumn,
                  GrowthTableModel::DeltaBaselineColumn})
        fit(c, QStringLiteral("+000,000"));
    fit(GrowthTableModel::DeltaPercentColumn, QStringLiteral("+0,000%"));
    fit(GrowthTableModel::SizeColumn, QStringLiteral("000.0 MiB"), 16);
    fit(GrowthTableModel::DeltaSizeColumn, QStringLiteral("+000.0 MiB"), 16);
    fit(GrowthTableModel::RetainedColumn, QStringLiteral("000.0 MiB"), 16);
    fit(GrowthTableModel::DeltaRetainedColumn, QStringLiteral("+000.0 MiB"), 16);
    setColumnWidth(GrowthTableModel::TrendColumn, 80);
    setColumnWidth(GrowthTableModel::ReasonColumn, s_minimumReasonWidth);
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
    const bool retained = m_model->hasRetained();
    for (int c : {GrowthTableModel::RetainedColumn, GrowthTableModel::DeltaRetainedColumn})
        header()->setSectionHidden(c, !retained);
    fitTypeColumn();
    fitReasonColumn();
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

void GrowthTableView::fitReasonColumn()
{
    // The reason takes what is left, so the columns fill the table; below its
    // minimum the table scrolls sideways instead.
    int others = 0;
    for (int c = 0; c < header()->count(); ++c)
        if (c != GrowthTableModel::ReasonColumn && !header()->isSectionHidden(c))
            others += header()->sectionSize(c);
    const int width = std::max(s_minimumReasonWidth, viewport()->width() - others);
    if (header()->sectionSize(GrowthTableModel::ReasonColumn) != width)
        header()->resizeSection(GrowthTableModel::ReasonColumn, width);
}

void GrowthTableView::resizeEvent(QResizeEvent *event)
{
    QTreeView::resizeEvent(event);
    if (event->size().width() != event->oldSize().width()) {
        fitTypeColumn();
        fitReasonColumn();
    }
}

} // namespace leakscope
