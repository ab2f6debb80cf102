#include "views/snapshottimelinemodel.h"

#include "core/textutil.h"
#include "views/growthtablemodel.h"

#include <QBrush>
#include <QColor>
#include <QFileInfo>
#include <QFont>
#include <QIcon>
#include <QLocale>
#include <QPainter>
#include <QPixmap>

namespace leakscope {

namespace {

QIcon badge(const QString &letter, const QColor &color)
{
    QPixmap pm(32, 32);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(Qt::NoPen);
    p.setBrush(color);
    p.drawRoundedRect(QRectF(2, 2, 28, 28), 7, 7);
    QFont f;
    f.setBold(true);
    f.setPixelSize(20);
    p.setFont(f);
    p.setPen(Qt::white);
    p.drawText(QRectF(0, 0, 32, 32), Qt::AlignCenter, letter);
    return QIcon(pm);
}

// Three linked nodes: this snapshot has a heap graph.
QIcon graphGlyph()
{
    QPixmap pm(32, 32);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    p.setRenderHint(QPainter::Antialiasing);
    const QColor ink(0x6a, 0x1b, 0x9a);
    p.setPen(QPen(ink, 2.5));
    const QPointF top(16, 7), left(7, 25), right(25, 25);
    p.drawLine(top, left);
    p.drawLine(top, right);
    p.setPen(Qt::NoPen);
    p.setBrush(ink);
    for (const QPointF &c : {top, left, right})
        p.drawEllipse(c, 5, 5);
    return QIcon(pm);
}

const QColor s_baselineColor(0x54, 0x6e, 0x7a);
const QColor s_currentColor(0x15, 0x65, 0xc0);

QString formatSeconds(double s)
{
    if (s < 60)
        return QObject::tr("+%1 s").arg(QLocale().toString(s, 'f', s < 10 ? 1 : 0));
    if (s < 3600)
        return QObject::tr("+%1 min").arg(QLocale().toString(s / 60.0, 'f', 1));
    return QObject::tr("+%1 h").arg(QLocale().toString(s / 3600.0, 'f', 1));
}

} // namespace

SnapshotTimelineModel::SnapshotTimelineModel(QObject *parent) : QAbstractTableModel(parent) {}

void SnapshotTimelineModel::setSession(std::shared_ptr<const Session> session)
{
    beginResetModel();
    m_session = std::move(session);
    m_axis.clear();
    m_totals.clear();
    m_sourceFiles.clear();
    m_hasTimes = false;
    if (m_session) {
        m_axis = m_session->timeAxis();
        m_hasTimes = m_session->hasTimes();
        m_totals.reserve(size_t(m_session->snapshotCount()));
        for (int i = 0; i < m_session->snapshotCount(); ++i) {
            const Snapshot &s = m_session->snapshot(i);
            m_totals.push_back(s.totalObjects());
            if (!m_sourceFiles.contains(s.info.sourceFile))
                m_sourceFiles.append(s.info.sourceFile);
        }
    }
    const int n = m_session ? m_session->snapshotCount() : 0;
    if (m_baseline >= n || m_current >= n) {
        m_baseline = n > 0 ? 0 : -1;
        m_current = n - 1;
    }
    endResetModel();
}

void SnapshotTimelineModel::setComparedSnapshots(int baseline, int current)
{
    const int oldBaseline = m_baseline, oldCurrent = m_current;
    m_baseline = baseline;
    m_current = current;
    for (int r : {oldBaseline, oldCurrent, m_baseline, m_current})
        if (r >= 0 && r < rowCount())
            emit dataChanged(index(r, 0), index(r, ColumnCount - 1));
}

QString SnapshotTimelineModel::snapshotTitle(int i) const
{
    if (!m_session || i < 0 || i >= m_session->snapshotCount())
        return {};
    const SnapshotInfo &info = m_session->snapshot(i).info;
    QString title = QStringLiteral("#%1").arg(i + 1);
    if (!info.label.isEmpty())
        title += QLatin1Char(' ') + info.label;
    else if (m_hasTimes)
        title += QLatin1Char(' ') + formatSeconds(m_axis[size_t(i)]);
    return title;
}

int SnapshotTimelineModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() || !m_session ? 0 : m_session->snapshotCount();
}

int SnapshotTimelineModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant SnapshotTimelineModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid) || !m_session)
        return {};
    const int i = index.row();
    const Snapshot &s = m_session->snapshot(i);
    const SnapshotInfo &info = s.info;
    const bool isBaseline = i == m_baseline, isCurrent = i == m_current;

    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case IndexColumn:
            return QString::number(i + 1);
        case LabelColumn:
            return info.label.isEmpty() ? QStringLiteral("\u2014") : info.label;
        case TimeColumn:
            if (!info.takenAt.isValid())
                return tr("n/a");
            return m_hasTimes && i > 0 ? formatSeconds(m_axis[size_t(i)])
                                       : QLocale().toString(info.takenAt.toLocalTime().time(), QStringLiteral("HH:mm:ss"));
        case ObjectsColumn:
            return GrowthTableModel::formatCount(m_totals[size_t(i)]);
        case RssColumn:
            return info.rss >= 0 ? TextUtil::bytes(info.rss) : tr("n/a");
        case SourceColumn:
            return QFileInfo(info.sourceFile).fileName();
        }
        return {};
    case SortRole:
        switch (index.column()) {
        case IndexColumn: return i;
        case LabelColumn: return info.label;
        case TimeColumn: return m_axis[size_t(i)];
        case ObjectsColumn: return m_totals[size_t(i)];
        case RssColumn: return info.rss;
        case SourceColumn: return info.sourceFile;
        }
        return {};
    case IsBaselineRole:
        return isBaseline;
    case IsCurrentRole:
        return isCurrent;
    case Qt::DecorationRole:
        if (index.column() == IndexColumn) {
            static const QIcon a = badge(QStringLiteral("A"), s_baselineColor);
            static const QIcon b = badge(QStringLiteral("B"), s_currentColor);
            if (isCurrent)
                return b;
            if (isBaseline)
                return a;
        }
        if (index.column() == LabelColumn && info.hasGraph) {
            static const QIcon graph = graphGlyph();
            return graph;
        }
        return {};
    case Qt::FontRole:
        if (isBaseline || isCurrent) {
            QFont f;
            f.setBold(true);
            return f;
        }
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() == ObjectsColumn || index.column() == RssColumn || index.column() == TimeColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        return QVariant::fromValue(Qt::AlignLeft | Qt::AlignVCenter);
    case Qt::ToolTipRole: {
        QStringList lines;
        lines << snapshotTitle(i);
        if (isBaseline && isCurrent)
            lines << tr("Baseline (A) and current snapshot (B)");
        else if (isBaseline)
            lines << tr("Baseline (A): the table compares against this snapshot");
        else if (isCurrent)
            lines << tr("Current snapshot (B): the table shows this snapshot");
        if (info.takenAt.isValid())
            lines << tr("Taken %1").arg(QLocale().toString(info.takenAt.toLocalTime(), QLocale::LongFormat));
        if (info.pid > 0)
            lines << tr("Process %1").arg(info.pid);
        if (!info.pythonVersion.isEmpty())
            lines << tr("Python %1").arg(info.pythonVersion);
        if (!info.argv.isEmpty())
            lines << info.argv.join(QLatin1Char(' '));
        lines << tr("%1 gc-tracked objects").arg(GrowthTableModel::formatCount(m_totals[size_t(i)]));
        if (info.gcGarbage > 0)
            lines << tr("%1 objects in gc.garbage").arg(info.gcGarbage);
        if (info.partial)
            lines << tr("Partial: imported from a show_growth log; unlisted types keep their last count");
        if (info.hasGraph)
            lines << tr("Heap graph recorded: retained sizes, References and Retainers for this snapshot");
        lines << tr("From %1").arg(info.sourceFile);
        return lines.join(QLatin1Char('\n'));
    }
    default:
        return {};
    }
}

QVariant SnapshotTimelineModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (role == Qt::DisplayRole) {
        switch (section) {
        case IndexColumn: return tr("#");
        case LabelColumn: return tr("Label");
        case TimeColumn: return tr("Time");
        case ObjectsColumn: return tr("Objects");
        case RssColumn: return tr("RSS");
        case SourceColumn: return tr("Source");
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case IndexColumn: return tr("Position in the session; A marks the baseline, B the current snapshot");
        case LabelColumn: return tr("Label given when the snapshot was taken");
        case TimeColumn: return tr("Time since the first snapshot (clock time for the first)");
        case ObjectsColumn: return tr("Total gc-tracked objects counted in the snapshot");
        case RssColumn: return tr("Resident set size of the process when the snapshot was taken");
        case SourceColumn: return tr("File the snapshot was read from");
        }
    }
    return QAbstractTableModel::headerData(section, orientation, role);
}

} // namespace leakscope
