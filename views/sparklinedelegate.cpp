#include "views/sparklinedelegate.h"

#include "views/growthtablemodel.h"

#include <QApplication>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>

namespace leakscope {

SparklineDelegate::SparklineDelegate(QObject *parent) : QStyledItemDelegate(parent) {}

void SparklineDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    // Background, selection and focus as for any other cell, without text.
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    opt.text.clear();
    const QWidget *widget = option.widget;
    QStyle *style = widget ? widget->style() : QApplication::style();
    style->drawControl(QStyle::CE_ItemViewItem, &opt, painter, widget);

    const QList<qint64> series = index.data(GrowthTableModel::CountSeriesRole).value<QList<qint64>>();
    if (series.size() < 2)
        return;
    const int baseline = std::clamp(index.data(GrowthTableModel::BaselineIndexRole).toInt(), 0, int(series.size()) - 1);

    const QRectF area = QRectF(option.rect).adjusted(4, 4, -6, -4);
    if (area.width() < 8 || area.height() < 4)
        return;
    const auto [minIt, maxIt] = std::minmax_element(series.cbegin(), series.cend());
    const double lo = double(*minIt), hi = double(*maxIt);
    const double span = hi > lo ? hi - lo : 1.0;
    const double step = area.width() / double(series.size() - 1);
    auto pointAt = [&](int i) {
        const double y = hi > lo ? area.bottom() - (double(series[i]) - lo) / span * area.height() : area.center().y();
        return QPointF(area.left() + step * i, y);
    };

    // Many snapshots in a narrow cell: draw at most one point per pixel column.
    const int stride = std::max(1, int(series.size() / std::max(1.0, area.width())));
    QPainterPath path(pointAt(0));
    for (int i = stride; i < series.size(); i += stride)
        path.lineTo(pointAt(i));
    if ((series.size() - 1) % stride != 0)
        path.lineTo(pointAt(int(series.size()) - 1));

    // Only suspects are drawn in the alarm colour, so red sparklines mean
    // something; a one-off jump (imports at start-up) stays neutral.
    const bool suspect = index.data(GrowthTableModel::SuspectRole).toBool();
    QColor color = suspect ? QColor(0xc6, 0x28, 0x28) : QColor(0x60, 0x7d, 0x8b);
    if (opt.state & QStyle::State_Selected)
        color = opt.palette.color(QPalette::HighlightedText);

    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);
    painter->setPen(QPen(color, 1.5));
    painter->setBrush(Qt::NoBrush);
    painter->drawPath(path);
    painter->setPen(Qt::NoPen);
    painter->setBrush(opt.palette.color(QPalette::Mid));
    painter->drawEllipse(pointAt(baseline), 2.0, 2.0);
    painter->setBrush(color);
    painter->drawEllipse(pointAt(int(series.size()) - 1), 2.5, 2.5);
    painter->restore();
}

QSize SparklineDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    QSize s = QStyledItemDelegate::sizeHint(option, index);
    s.setWidth(std::max(s.width(), 110));
    return s;
}

} // namespace leakscope
