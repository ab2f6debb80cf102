#pragma once

#include <QTreeView>

namespace leakscope {

class GrowthFilterProxyModel;
class GrowthTableModel;

// The growth table as the window shows it: a GrowthFilterProxyModel over a
// GrowthTableModel, sorted in the shared ranking at first. The Type column is
// as wide as the longest type name (up to 40% of the table), elides in the
// middle only when a name cannot fit, and keeps its width when the Retained
// columns appear; the Reason column takes the rest. Every row has the same
// height, whatever its font or icon; the first click on a numeric column
// sorts largest first (GrowthTableModel's Qt::InitialSortOrderRole).
class GrowthTableView : public QTreeView
{
    Q_OBJECT
public:
    explicit GrowthTableView(QWidget *parent = nullptr);

    // The proxy's source must be a GrowthTableModel.
    void setModels(GrowthTableModel *model, GrowthFilterProxyModel *proxy);
    GrowthTableModel *growthModel() const { return m_model; }

    // Shows the Retained columns when the model has retained sizes, and
    // sizes the Type column to the names (a width the user dragged lasts
    // until the next comparison or resize).
    void updateColumns();
    // The width the Type column wants for the current names.
    int preferredTypeWidth() const;
    // The one row height of the table.
    int rowHeight() const;

protected:
    void resizeEvent(QResizeEvent *event) override;

private:
    void setDefaultWidths();
    void fitTypeColumn();
    void fitReasonColumn();

    GrowthTableModel *m_model = nullptr;
    GrowthFilterProxyModel *m_proxy = nullptr;
};

} // namespace leakscope
