#include "views/growthfilterproxymodel.h"

#include "views/growthtablemodel.h"

#include "core/leakreport.h"

#include <cmath>
#include <limits>

namespace leakscope {

GrowthFilterProxyModel::GrowthFilterProxyModel(QObject *parent) : QSortFilterProxyModel(parent)
{
    setSortRole(GrowthTableModel::SortRole);
    setSortCaseSensitivity(Qt::CaseInsensitive);
    setDynamicSortFilter(true);
}

void GrowthFilterProxyModel::setSourceModel(QAbstractItemModel *model)
{
    m_growth = qobject_cast<GrowthTableModel *>(model);
    QSortFilterProxyModel::setSourceModel(model);
}

bool GrowthFilterProxyModel::setFilterText(const QString &text)
{
    if (text == m_text)
        return !m_invalid;
    m_text = text;
    m_error.clear();
    m_invalid = false;
    m_useRegex = text.startsWith(QLatin1Char('/'));
    if (m_useRegex) {
        QString pattern = text.mid(1);
        // Accept the closing slash of "/pattern/" too.
        if (pattern.endsWith(QLatin1Char('/')) && !pattern.endsWith(QStringLiteral("\\/")))
            pattern.chop(1);
        m_regex = QRegularExpression(pattern, QRegularExpression::CaseInsensitiveOption);
        if (!m_regex.isValid()) {
            m_invalid = true;
            m_error = tr("Invalid regular expression at offset %1: %2")
                          .arg(m_regex.patternErrorOffset())
                          .arg(m_regex.errorString());
        } else {
            m_regex.optimize();
        }
    } else {
        m_substring = text.trimmed();
    }
    invalidateFilter();
    return !m_invalid;
}

void GrowthFilterProxyModel::setHideBuiltins(bool on)
{
    if (on == m_hideBuiltins)
        return;
    m_hideBuiltins = on;
    invalidateFilter();
}

void GrowthFilterProxyModel::setSuspectsOnly(bool on)
{
    if (on == m_suspectsOnly)
        return;
    m_suspectsOnly = on;
    invalidateFilter();
}

void GrowthFilterProxyModel::setChangedOnly(bool on)
{
    if (on == m_changedOnly)
        return;
    m_changedOnly = on;
    invalidateFilter();
}

bool GrowthFilterProxyModel::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    if (sourceParent.isValid() || !m_growth)
        return false;
    if (m_invalid)
        return false;
    const GrowthRow &r = m_growth->row(sourceRow);
    if (m_suspectsOnly && !r.verdict.suspect)
        return false;
    if (m_changedOnly && r.deltaBaseline == 0 && r.deltaSize == 0)
        return false;
    if (m_hideBuiltins && m_growth->isBuiltin(sourceRow))
        return false;
    if (m_useRegex)
        return m_regex.pattern().isEmpty() || m_regex.match(m_growth->typeName(sourceRow)).hasMatch();
    if (!m_substring.isEmpty())
        return m_growth->typeName(sourceRow).contains(m_substring, Qt::CaseInsensitive);
    return true;
}

bool GrowthFilterProxyModel::lessThan(const QModelIndex &left, const QModelIndex &right) const
{
    if (!m_growth)
        return QSortFilterProxyModel::lessThan(left, right);
    const int column = left.column();
    const int l = left.row(), r = right.row();
    if (column == GrowthTableModel::TypeColumn)
        return m_growth->nameRank(l) < m_growth->nameRank(r);
    if (column == GrowthTableModel::ReasonColumn) {
        // The shared ranking (LeakRanking), first in the descending order:
        // suspects, user types before the builtins they explain, score,
        // delta, count, name.
        return LeakRanking::lessRow(m_growth->row(r), m_growth->row(l), m_growth->typeName(r), m_growth->typeName(l));
    }
    double a = m_growth->sortValue(l, column), b = m_growth->sortValue(r, column);
    // NaN would break the strict weak ordering the sort relies on.
    if (std::isnan(a))
        a = -std::numeric_limits<double>::infinity();
    if (std::isnan(b))
        b = -std::numeric_limits<double>::infinity();
    if (a != b)
        return a < b;
    // Ties by name, so equal numbers keep a predictable order (A to Z in the
    // descending sort the table starts with).
    return m_growth->nameRank(l) > m_growth->nameRank(r);
}

} // namespace leakscope
