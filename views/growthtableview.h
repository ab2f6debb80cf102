#pragma once

#include "views/growthtablemodel.h"

#include <QTreeView>

#include <array>

class QMenu;

namespace leakscope {

class GrowthFilterProxyModel;

// The growth table as the window shows it: a GrowthFilterProxyModel over a
// GrowthTableModel, sorted in the shared ranking at first. The Type column is
// as wide as the longest type name (up to 40% of the table), elides in the
// middle only when a name cannot fit, and keeps its width when the Retained
// columns appear; the Reason column takes the rest, and never less than its
// minimum: when the table is too narrow for every column, the least useful
// ones (Δ prev, Size, Δ %, Retained, Trend) are hidden in that order until
// it fits.
// The header's context menu shows or hides any column (the user's choice
// wins over that rule) and resets them. Every row has the same height,
// whatever its font or icon; the first click on a numeric column sorts
// largest first (GrowthTableModel's Qt::InitialSortOrderRole).
class GrowthTableView : public QTreeView
{
    Q_OBJECT
public:
    // The Reason column's least width before other columns give way.
    static constexpr int s_minimumReasonWidth = 220;

    explicit GrowthTableView(QWidget *parent = nullptr);

    // The proxy's source must be a GrowthTableModel.
    void setModels(GrowthTableModel *model, GrowthFilterProxyModel *proxy);
    GrowthTableModel *growthModel() const { return m_model; }

    // Shows the Retained columns when the model has retained sizes, fits the
    // number columns to their values, sizes the Type column to the names (a
    // width the user dragged lasts until the next comparison or resize) and
    // hides what does not fit.
    void updateColumns();
    // The width the Type column wants for the current names.
    int preferredTypeWidth() const;
    // The one row height of the table.
    int rowHeight() const;

    // The user's choice for a column: shown or hidden whatever the room, or
    // Auto (the rule above decides).
    enum class Choice : signed char { Auto, Shown, Hidden };
    Choice columnChoice(int column) const { return m_choice[size_t(column)]; }
    void setColumnChoice(int column, Choice choice);
    // Hidden by the room rule, not by the user.
    bool isAutoHidden(int column) const { return m_autoHidden[size_t(column)]; }
    // Back to the defaults: no choices, default widths and column order.
    void resetColumns();
    // The choices, for QSettings (column keys, "shown" or "hidden"); an
    // unknown key or value in a saved state is ignored.
    QVariant columnChoices() const;
    void restoreColumnChoices(const QVariant &state);
    // The header's context menu (built on demand; tests open it).
    QMenu *createHeaderMenu(QWidget *parent);

signals:
    // The user changed the columns (a choice or Reset Columns).
    void columnChoicesChanged();

protected:
    void resizeEvent(QResizeEvent *event) override;

private:
    void setDefaultWidths();
    void fitNumberColumns(bool mayShrink);
    void fitTypeColumn();
    void fitColumns();
    void fitReasonColumn();
    int titleWidth(int column) const;
    int widthOf(int column) const;

    GrowthTableModel *m_model = nullptr;
    GrowthFilterProxyModel *m_proxy = nullptr;
    std::array<Choice, GrowthTableModel::ColumnCount> m_choice{};
    std::array<bool, GrowthTableModel::ColumnCount> m_autoHidden{};
    // Every column's width while shown (a hidden section reports 0).
    std::array<int, GrowthTableModel::ColumnCount> m_width{};
    const void *m_fittedSession = nullptr;
    bool m_fitting = false;
};

} // namespace leakscope
