#pragma once

#include <QStyledItemDelegate>

namespace leakscope {

// Draws a type's count series (GrowthTableModel::CountSeriesRole) as a small
// line, with the baseline and the last value marked; red for suspects.
class SparklineDelegate : public QStyledItemDelegate
{
    Q_OBJECT
public:
    explicit SparklineDelegate(QObject *parent = nullptr);

    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;
};

} // namespace leakscope
