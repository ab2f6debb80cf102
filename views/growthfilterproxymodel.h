#pragma once

#include <QRegularExpression>
#include <QSortFilterProxyModel>

namespace leakscope {

class GrowthTableModel;

// Sorts a GrowthTableModel by raw numbers (never by formatted text) and
// filters it by name (substring, or a regular expression when the text starts
// with '/') and by the "hide builtins", "suspects only" and "changed only"
// switches.
class GrowthFilterProxyModel : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    explicit GrowthFilterProxyModel(QObject *parent = nullptr);

    void setSourceModel(QAbstractItemModel *model) override;

    // Returns false (and filters everything out) when the regular expression
    // does not compile; filterError() then says why.
    bool setFilterText(const QString &text);
    QString filterText() const { return m_text; }
    QString filterError() const { return m_error; }

    void setHideBuiltins(bool on);
    bool hideBuiltins() const { return m_hideBuiltins; }
    void setSuspectsOnly(bool on);
    bool suspectsOnly() const { return m_suspectsOnly; }
    void setChangedOnly(bool on);
    bool changedOnly() const { return m_changedOnly; }

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;
    bool lessThan(const QModelIndex &left, const QModelIndex &right) const override;

private:
    GrowthTableModel *m_growth = nullptr;
    QString m_text;
    QString m_substring;
    QRegularExpression m_regex;
    bool m_useRegex = false;
    bool m_invalid = false;
    QString m_error;
    bool m_hideBuiltins = false;
    bool m_suspectsOnly = false;
    bool m_changedOnly = false;
};

} // namespace leakscope
