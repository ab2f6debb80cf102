#include "views/growthtablemodel.h"

#include "core/textutil.h"

#include <QBrush>
#include <QColor>
#include <QFont>
#include <QLocale>
#include <QPainter>
#include <QPixmap>
#include <QIcon>

#include <algorithm>
#include <cmath>
#include <limits>

namespace leakscope {

namespace {

// Colours that read on light and dark palettes alike.
const QColor s_growColor(0xc6, 0x28, 0x28);
const QColor s_shrinkColor(0x2e, 0x7d, 0x32);
const QColor s_suspectBackground(0xe5, 0x39, 0x35, 28);
const QColor s_quietColor(0x75, 0x75, 0x75);

QIcon suspectIcon()
{
    // Painted once rather than shipped, so it scales with the font.
    static const QIcon icon = [] {
        QPixmap pm(32, 32);
        pm.fill(Qt::transparent);
        QPainter p(&pm);
        p.setRenderHint(QPainter::Antialiasing);
        p.setPen(Qt::NoPen);
        p.setBrush(s_growColor);
        p.drawEllipse(QRectF(3, 3, 26, 26));
        p.setPen(QPen(Qt::white, 4, Qt::SolidLine, Qt::RoundCap));
        p.drawLine(QPointF(16, 9), QPointF(16, 18));
        p.drawPoint(QPointF(16, 23.5));
        return QIcon(pm);
    }();
    return icon;
}

QVariant deltaColor(double v)
{
    if (v > 0)
        return QBrush(s_growColor);
    if (v < 0)
        return QBrush(s_shrinkColor);
    return {};
}

} // namespace

GrowthTableModel::GrowthTableModel(QObject *parent) : QAbstractTableModel(parent) {}

void GrowthTableModel::setComparison(std::shared_ptr<const Session> session, std::shared_ptr<const Comparison> comparison)
{
    beginResetModel();
    if (session != m_session)
        m_rankedTypes = nullptr; // the ranks belong to the old session's registry
    m_session = std::move(session);
    m_comparison = std::move(comparison);
    if (!m_session || !m_comparison)
        m_comparison.reset();
    m_builtin.clear();
    m_rowOfType.clear();
    m_hasSizes = true;
    m_hasRetained = false;
    if (m_comparison) {
        const auto &rows = m_comparison->rows;
        m_builtin.resize(rows.size());
        m_rowOfType.assign(size_t(m_session->typeCount()), -1);
        for (size_t i = 0; i < rows.size(); ++i) {
            const int t = rows[i].type;
            m_builtin[i] = TypeRegistry::isBuiltinName(m_session->types().name(t));
            if (t >= 0 && t < int(m_rowOfType.size()))
                m_rowOfType[size_t(t)] = int(i);
        }
        for (int i = 0; i < m_session->snapshotCount(); ++i)
            m_hasSizes = m_hasSizes && m_session->snapshot(i).info.hasSizes;
        for (int i : {m_comparison->baseline, m_comparison->current})
            m_hasRetained = m_hasRetained || (i >= 0 && i < m_session->snapshotCount() && m_session->snapshot(i).info.hasGraph);
    }
    endResetModel();
}

void GrowthTableModel::clear()
{
    setComparison(nullptr, nullptr);
}

int GrowthTableModel::rowCount(const QModelIndex &parent) const
{
    if (parent.isValid() || !m_comparison)
        return 0;
    return int(m_comparison->rows.size());
}

int GrowthTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

const QString &GrowthTableModel::typeName(int sourceRow) const
{
    return m_session->types().name(row(sourceRow).type);
}

int GrowthTableModel::rowOfType(int typeId) const
{
    if (typeId < 0 || typeId >= int(m_rowOfType.size()))
        return -1;
    return m_rowOfType[size_t(typeId)];
}

int GrowthTableModel::nameRank(int sourceRow) const
{
    const TypeRegistry &types = m_session->types();
    if (m_rankedTypes != &types || int(m_nameRank.size()) != types.size()) {
        std::vector<int> order(size_t(types.size()));
        for (int i = 0; i < types.size(); ++i)
            order[size_t(i)] = i;
        std::sort(order.begin(), order.end(), [&types](int a, int b) {
            const int c = types.name(a).compare(types.name(b), Qt::CaseInsensitive);
            return c != 0 ? c < 0 : types.name(a) < types.name(b);
        });
        m_nameRank.assign(order.size(), 0);
        for (size_t r = 0; r < order.size(); ++r)
            m_nameRank[size_t(order[r])] = int(r);
        m_rankedTypes = &types;
    }
    return m_nameRank[size_t(row(sourceRow).type)];
}

double GrowthTableModel::sortValue(int sourceRow, int column) const
{
    const GrowthRow &r = row(sourceRow);
    switch (column) {
    case CountColumn:
        return double(r.count);
    case DeltaPreviousColumn:
        return double(r.deltaPrevious);
    case DeltaBaselineColumn:
        return double(r.deltaBaseline);
    case DeltaPercentColumn:
        return r.deltaPercent;
    case SizeColumn:
        return double(r.size);
    case DeltaSizeColumn:
        return double(r.deltaSize);
    // Unknown sorts below every known value (a type can retain 0 bytes).
    case RetainedColumn:
        return double(r.retained);
    case DeltaRetainedColumn:
        return r.retained >= 0 && r.baselineRetained >= 0 ? double(r.deltaRetained)
                                                          : -std::numeric_limits<double>::infinity();
    case TrendColumn:
        return r.verdict.slopePerSnapshot;
    case ReasonColumn:
        // Suspects above non-suspects of the same score.
        return r.verdict.score + (r.verdict.suspect ? 1000.0 : 0.0);
    default:
        return 0.0;
    }
}

QString GrowthTableModel::formatCount(qint64 v)
{
    return QLocale().toString(v);
}

QString GrowthTableModel::formatDelta(qint64 v)
{
    if (v == 0)
        return QStringLiteral("0");
    return (v > 0 ? QStringLiteral("+") : QString()) + QLocale().toString(v);
}

QString GrowthTableModel::formatDeltaBytes(qint64 v)
{
    if (v == 0)
        return QStringLiteral("0");
    const QString magnitude = TextUtil::bytes(v < 0 ? -v : v);
    return (v > 0 ? QStringLiteral("+") : QStringLiteral("\u2212")) + magnitude;
}

QString GrowthTableModel::formatPercent(double v)
{
    if (std::isinf(v))
        return tr("new");
    if (v == 0)
        return QStringLiteral("0%");
    const double a = std::fabs(v);
    const QString s = QLocale().toString(v, 'f', a >= 100 ? 0 : 1) + QLatin1Char('%');
    return v > 0 ? QLatin1Char('+') + s : s;
}

QString GrowthTableModel::displayText(const GrowthRow &r, int sourceRow, int column) const
{
    switch (column) {
    case TypeColumn:
        return typeName(sourceRow);
    case CountColumn:
        return formatCount(r.count);
    case DeltaPreviousColumn:
        return formatDelta(r.deltaPrevious);
    case DeltaBaselineColumn:
        return formatDelta(r.deltaBaseline);
    case DeltaPercentColumn:
        return formatPercent(r.deltaPercent);
    case SizeColumn:
        return m_hasSizes ? TextUtil::bytes(r.size) : tr("n/a");
    case DeltaSizeColumn:
        return m_hasSizes ? formatDeltaBytes(r.deltaSize) : tr("n/a");
    case RetainedColumn:
        return r.retained >= 0 ? TextUtil::bytes(r.retained) : QStringLiteral("\u2014");
    case DeltaRetainedColumn:
        return r.retained >= 0 && r.baselineRetained >= 0 ? formatDeltaBytes(r.deltaRetained) : QStringLiteral("\u2014");
    case TrendColumn:
        return {};
    case ReasonColumn:
        return SuspectDetector::reasonText(r.verdict);
    default:
        return {};
    }
}

QString GrowthTableModel::retainedToolTip(const GrowthRow &r) const
{
    if (!m_hasRetained)
        return tr("Neither compared snapshot has a heap graph: record with graph=True for retained sizes");
    if (r.retained < 0 && r.baselineRetained < 0)
        return tr("Retained size unknown: computing, or the heap graph could not be read");
    const QString current = r.retained >= 0 ? TextUtil::bytes(r.retained) : tr("unknown");
    const QString baseline = r.baselineRetained >= 0 ? TextUtil::bytes(r.baselineRetained) : tr("unknown");
    return tr("Retained %1 in the current snapshot, %2 in the baseline: bytes that would be freed if the objects "
              "of this type were freed (dominator tree of the heap graph)")
        .arg(current, baseline);
}

QVariant GrowthTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid) || !m_comparison)
        return {};
    const int sourceRow = index.row();
    const int column = index.column();
    const GrowthRow &r = row(sourceRow);

    switch (role) {
    case Qt::DisplayRole:
        return displayText(r, sourceRow, column);
    case SortRole:
        if (column == TypeColumn)
            return typeName(sourceRow);
        return sortValue(sourceRow, column);
    case TypeIdRole:
        return r.type;
    case TypeNameRole:
        return typeName(sourceRow);
    case SuspectRole:
        return r.verdict.suspect;
    case BuiltinRole:
        return isBuiltin(sourceRow);
    case CountSeriesRole: {
        QList<qint64> series;
        series.reserve(m_comparison->current + 1);
        for (int i = 0; i <= m_comparison->current; ++i)
            series.append(m_session->count(i, r.type));
        return QVariant::fromValue(series);
    }
    case BaselineIndexRole:
        return m_comparison->baseline;
    case Qt::TextAlignmentRole:
        if (column == TypeColumn || column == TrendColumn || column == ReasonColumn)
            return QVariant::fromValue(Qt::AlignLeft | Qt::AlignVCenter);
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::ForegroundRole:
        switch (column) {
        case DeltaPreviousColumn:
            return deltaColor(double(r.deltaPrevious));
        case DeltaBaselineColumn:
            return deltaColor(double(r.deltaBaseline));
        case DeltaPercentColumn:
            return deltaColor(r.deltaPercent);
        case DeltaSizeColumn:
            return m_hasSizes ? deltaColor(double(r.deltaSize)) : QVariant();
        case DeltaRetainedColumn:
            return r.retained >= 0 && r.baselineRetained >= 0 ? deltaColor(double(r.deltaRetained)) : QVariant();
        case ReasonColumn:
            // Suspects' reasons in the alarm colour; the others' recede.
            return r.verdict.suspect ? QBrush(s_growColor) : QBrush(s_quietColor);
        default:
            return {};
        }
    case Qt::BackgroundRole:
        return r.verdict.suspect ? QBrush(s_suspectBackground) : QVariant();
    case Qt::FontRole:
        if (r.verdict.suspect && column == TypeColumn) {
            QFont f;
            f.setBold(true);
            return f;
        }
        return {};
    case Qt::DecorationRole:
        if (column == TypeColumn && r.verdict.suspect)
            return suspectIcon();
        return {};
    case Qt::ToolTipRole:
        if (column == ReasonColumn || column == TrendColumn || column == TypeColumn) {
            const QString head = r.verdict.suspect ? tr("Suspect (score %1 of 100): ").arg(r.verdict.score, 0, 'f', 0)
                                                   : tr("Not a suspect (score %1 of 100): ").arg(r.verdict.score, 0, 'f', 0);
            const QString verdict = head + SuspectDetector::reasonText(r.verdict);
            // The full name first: the cell may show it elided.
            return column == TypeColumn ? typeName(sourceRow) + QLatin1Char('\n') + verdict : verdict;
        }
        if (column == DeltaPercentColumn && std::isinf(r.deltaPercent))
            return tr("Not present in the baseline snapshot");
        if (column == CountColumn)
            return tr("%1 in the baseline, %2 in the previous snapshot, %3 before the current snapshot at most")
                .arg(formatCount(r.baselineCount), formatCount(r.previousCount), formatCount(r.peakBefore));
        if (column == RetainedColumn || column == DeltaRetainedColumn)
            return retainedToolTip(r);
        return {};
    default:
        return {};
    }
}

QVariant GrowthTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (role == Qt::DisplayRole) {
        switch (section) {
        case TypeColumn: return tr("Type");
        case CountColumn: return tr("Count");
        case DeltaPreviousColumn: return tr("\u0394 prev");
        case DeltaBaselineColumn: return tr("\u0394 baseline");
        case DeltaPercentColumn: return tr("\u0394 %");
        case SizeColumn: return tr("Size");
        case DeltaSizeColumn: return tr("\u0394 size");
        case RetainedColumn: return tr("Retained");
        case DeltaRetainedColumn: return tr("\u0394 retained");
        case TrendColumn: return tr("Trend");
        case ReasonColumn: return tr("Reason");
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case TypeColumn:
            return tr("Python type: builtins bare (dict), everything else as module.qualname");
        case CountColumn:
            return tr("Live objects of this type in the current snapshot (B).\n"
                      "Only objects tracked by the garbage collector are counted, as objgraph does.");
        case DeltaPreviousColumn:
            return tr("Change in count since the snapshot just before the current one");
        case DeltaBaselineColumn:
            return tr("Change in count between the baseline (A) and the current snapshot (B)");
        case DeltaPercentColumn:
            return tr("Change against the baseline in percent; \"new\" when the baseline had none");
        case SizeColumn:
            return tr("Total shallow size (sys.getsizeof) of the objects of this type in the current snapshot");
        case DeltaSizeColumn:
            return tr("Change in total shallow size between baseline and current snapshot");
        case RetainedColumn:
            return tr("Retained size in the current snapshot: bytes that would be freed if the objects of this type\n"
                      "were freed (the dominator tree of the heap graph). Needs snapshots with heap graphs;\n"
                      "\u2014 while unknown.");
        case DeltaRetainedColumn:
            return tr("Change in retained size between baseline and current snapshot (both need heap graphs)");
        case TrendColumn:
            return tr("Count over the snapshots up to the current one; sorts by the slope per snapshot");
        case ReasonColumn:
            return tr("Why the type is or is not a suspect, as leakscope-cli compare prints it: in how many\n"
                      "intervals it grew, its growth per snapshot and per minute, and how well a line fits (R^2).\n"
                      "Sorting by this column ranks suspects first, user types before the builtins they explain.");
        }
    }
    if (role == Qt::TextAlignmentRole)
        return QVariant::fromValue(section == TypeColumn || section == TrendColumn || section == ReasonColumn
                                       ? Qt::AlignLeft | Qt::AlignVCenter
                                       : Qt::AlignRight | Qt::AlignVCenter);
    // The first click on a header: names A to Z, numbers largest first, the
    // Reason column in the ranking's order (suspects first).
    if (role == Qt::InitialSortOrderRole)
        return int(section == TypeColumn ? Qt::AscendingOrder : Qt::DescendingOrder);
    return QAbstractTableModel::headerData(section, orientation, role);
}

QString GrowthTableModel::rowsAsText(const std::vector<int> &sourceRows) const
{
    QStringList lines;
    // The Retained columns are hidden (and say nothing) without heap graphs.
    auto copied = [this](int c) {
        return c != TrendColumn && (m_hasRetained || (c != RetainedColumn && c != DeltaRetainedColumn));
    };
    QStringList header;
    for (int c = 0; c < ColumnCount; ++c)
        if (copied(c))
            header << headerData(c, Qt::Horizontal, Qt::DisplayRole).toString();
    lines << header.join(QLatin1Char('\t'));
    for (int sourceRow : sourceRows) {
        if (sourceRow < 0 || sourceRow >= rowCount())
            continue;
        QStringList fields;
        for (int c = 0; c < ColumnCount; ++c)
            if (copied(c))
                fields << displayText(row(sourceRow), sourceRow, c);
        lines << fields.join(QLatin1Char('\t'));
    }
    return lines.join(QLatin1Char('\n')) + QLatin1Char('\n');
}

} // namespace leakscope
