#pragma once

#include <QVector>
#include <QWidget>

#include <memory>
#include <vector>

class QCheckBox;
class QLabel;
class QLineEdit;

namespace leakscope {

struct Comparison;
class GrowthFilterProxyModel;
class GrowthTableModel;
class GrowthTableView;
class Session;

// The growth table with its filter row (text or /regex, Hide builtins,
// Suspects only, Changed only, the count of rows shown). Keeps the selected
// types across a new comparison (same session registry, same type ids) and
// reports the selection as type ids in table order.
class GrowthPanel : public QWidget
{
    Q_OBJECT
public:
    explicit GrowthPanel(QWidget *parent = nullptr);
    ~GrowthPanel() override;

    GrowthTableModel *model() const { return m_model; }
    GrowthFilterProxyModel *proxy() const { return m_proxy; }
    GrowthTableView *view() const { return m_view; }
    QLineEdit *filterEdit() const { return m_filterEdit; }
    QCheckBox *hideBuiltinsBox() const { return m_hideBuiltins; }
    QCheckBox *suspectsOnlyBox() const { return m_suspectsOnly; }
    QCheckBox *changedOnlyBox() const { return m_changedOnly; }

    void setComparison(std::shared_ptr<const Session> session, std::shared_ptr<const Comparison> comparison);
    // The Retained columns only when a compared snapshot has a heap graph
    // (also after a saved header state said otherwise).
    void showRetainedColumns();

    // Selects the rows of these type names (tests, restore) or the top rows.
    void selectTypes(const QStringList &names);
    void selectTopRows(int count);
    int selectedRowCount() const;
    QString selectedRowsAsText() const;
    // The rows as shown (filtered, in table order), for export.
    Comparison rowsAsShown() const;

signals:
    // The selection changed or was restored after a new comparison: type ids
    // (session registry) in table order.
    void selectionChanged(const QVector<int> &typeIds);

private:
    void onSelectionChanged();
    void updateFilterCount();

    GrowthTableModel *m_model;
    GrowthFilterProxyModel *m_proxy;
    GrowthTableView *m_view = nullptr;
    QLineEdit *m_filterEdit = nullptr;
    QCheckBox *m_hideBuiltins = nullptr;
    QCheckBox *m_suspectsOnly = nullptr;
    QCheckBox *m_changedOnly = nullptr;
    QLabel *m_filterCount = nullptr;
    std::vector<int> m_selectionToRestore; // type ids across a model reset
    bool m_restoringSelection = false;
};

} // namespace leakscope
