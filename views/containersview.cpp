#include "views/containersview.h"

#include "core/textutil.h"
#include "views/growthtablemodel.h"
#include "views/sparklinedelegate.h"

#include <QHeaderView>
#include <QLabel>
#include <QTreeView>
#include <QVBoxLayout>

namespace leakscope {

namespace {

QString signedCount(qint64 v)
{
    return v > 0 ? QStringLiteral("+%1").arg(QLocale().toString(v)) : QLocale().toString(v);
}

QString signedBytes(qint64 v)
{
    const QString text = TextUtil::bytes(v);
    return v > 0 ? QLatin1Char('+') + text : text;
}

} // namespace

ContainersTableModel::ContainersTableModel(QObject *parent) : QAbstractTableModel(parent) {}

void ContainersTableModel::setComparison(std::shared_ptr<const Session> session, ContainerComparison comparison)
{
    beginResetModel();
    m_session = std::move(session);
    m_comparison = std::move(comparison);
    endResetModel();
}

const ContainerRow *ContainersTableModel::row(int index) const
{
    return index >= 0 && index < int(m_comparison.rows.size()) ? &m_comparison.rows[size_t(index)] : nullptr;
}

int ContainersTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_comparison.rows.size());
}

int ContainersTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ContainersTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case ContainerColumn: return tr("Container");
    case HeldByColumn: return tr("Held by");
    case ItemsColumn: return tr("Items");
    case DeltaItemsColumn: return tr("Δ items");
    case PayloadColumn: return tr("Payload");
    case DeltaPayloadColumn: return tr("Δ payload");
    case TrendColumn: return tr("Trend");
    case SuspectColumn: return tr("Suspect");
    }
    return {};
}

QVariant ContainersTableModel::data(const QModelIndex &index, int role) const
{
    const ContainerRow *r = row(index.row());
    if (!r || !m_session)
        return {};
    const QString typeName = m_session->types().name(r->type);
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case ContainerColumn: return r->name == typeName + QLatin1Char(' ') + TextUtil::hexId(quint64(r->objectId))
                ? r->name : QStringLiteral("%1 (%2)").arg(r->name, typeName);
        case HeldByColumn: return r->heldBy.isEmpty() ? QStringLiteral("–") : r->heldBy;
        case ItemsColumn: return r->itemsNow >= 0 ? QLocale().toString(r->itemsNow) : QStringLiteral("–");
        case DeltaItemsColumn: return signedCount(r->deltaItems);
        case PayloadColumn:
            return r->payloadNow >= 0 ? (r->payloadEstimated ? QStringLiteral("~") : QString()) + TextUtil::bytes(r->payloadNow)
                                      : QStringLiteral("–");
        case DeltaPayloadColumn: return signedBytes(r->deltaPayload);
        case SuspectColumn: return r->suspect ? tr("suspect") : QString();
        }
        return {};
    }
    if (role == Qt::ToolTipRole)
        return r->reason;
    if (role == Qt::TextAlignmentRole) {
        const int c = index.column();
        if (c == ItemsColumn || c == DeltaItemsColumn || c == PayloadColumn || c == DeltaPayloadColumn)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    }
    if (role == Qt::ForegroundRole && r->suspect && index.column() == SuspectColumn)
        return QColor(0xc6, 0x28, 0x28);
    // What SparklineDelegate draws: the length over the snapshots, from the
    // container's first recording.
    if (role == GrowthTableModel::CountSeriesRole) {
        QList<qint64> series;
        for (int i = std::max(0, r->first); i < int(r->items.size()); ++i)
            series.append(r->items[size_t(i)] >= 0 ? r->items[size_t(i)] : 0);
        return QVariant::fromValue(series);
    }
    if (role == GrowthTableModel::BaselineIndexRole)
        return std::max(0, m_comparison.baseline - std::max(0, r->first));
    if (role == GrowthTableModel::SuspectRole)
        return r->suspect;
    return {};
}

ContainersView::ContainersView(QWidget *parent) : QWidget(parent)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_note = new QLabel(this);
    m_note->setObjectName(QStringLiteral("containersNote"));
    m_note->setWordWrap(true);
    m_note->hide();
    layout->addWidget(m_note);
    m_model = new ContainersTableModel(this);
    m_view = new QTreeView(this);
    m_view->setObjectName(QStringLiteral("containersView"));
    m_view->setModel(m_model);
    m_view->setRootIsDecorated(false);
    m_view->setUniformRowHeights(true);
    m_view->setAlternatingRowColors(true);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setItemDelegateForColumn(ContainersTableModel::TrendColumn, new SparklineDelegate(m_view));
    m_view->header()->setStretchLastSection(false);
    const QFontMetrics fm = m_view->fontMetrics();
    const int number = fm.horizontalAdvance(QStringLiteral("+1,000,000")) + 12;
    m_view->setColumnWidth(ContainersTableModel::ContainerColumn, fm.horizontalAdvance(QStringLiteral("_REQUEST_LOG (collections.deque)")) * 3 / 4);
    m_view->setColumnWidth(ContainersTableModel::HeldByColumn, fm.horizontalAdvance(QStringLiteral("myservice.handlers._REQUEST_LOG")) * 3 / 4);
    for (int c : {ContainersTableModel::ItemsColumn, ContainersTableModel::DeltaItemsColumn})
        m_view->setColumnWidth(c, number);
    for (int c : {ContainersTableModel::PayloadColumn, ContainersTableModel::DeltaPayloadColumn})
        m_view->setColumnWidth(c, fm.horizontalAdvance(QStringLiteral("+1,023.9 KiB")) + 12);
    m_view->setColumnWidth(ContainersTableModel::TrendColumn, 80);
    m_view->setColumnWidth(ContainersTableModel::SuspectColumn, fm.horizontalAdvance(QStringLiteral("suspect")) + 16);
    layout->addWidget(m_view, 1);
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex &current) { emit containerSelected(m_model->row(current.row())); });
}

void ContainersView::setComparison(std::shared_ptr<const Session> session, int baseline, int current)
{
    ContainerComparison comparison;
    m_rss = RssCheck();
    if (session && session->snapshotCount() > 0) {
        comparison = ContainerAnalysis::compare(*session, baseline, current);
        m_rss = ContainerAnalysis::checkRss(*session, current);
    }
    QStringList notes;
    if (session && session->snapshotCount() > 0 && !comparison.anyContainerPass)
        notes << tr("No containers: the file predates the container tables (recorded by an older agent, or imported "
                    "from objgraph). Record again to see the large containers and what they hold.");
    if (m_rss.unexplained)
        notes << m_rss.message;
    m_note->setText(notes.join(QLatin1Char('\n')));
    m_note->setVisible(!notes.isEmpty());
    m_model->setComparison(std::move(session), std::move(comparison));
    emit containerSelected(nullptr);
}

bool ContainersView::selectContainer(qint64 objectId)
{
    for (int r = 0; r < m_model->rowCount(); ++r) {
        if (m_model->row(r)->objectId != objectId)
            continue;
        const QModelIndex index = m_model->index(r, ContainersTableModel::ContainerColumn);
        const bool already = m_view->currentIndex().row() == r;
        m_view->setCurrentIndex(index);
        m_view->scrollTo(index);
        if (already)
            emit containerSelected(m_model->row(r));
        return true;
    }
    return false;
}

QString ContainersView::noteText() const
{
    return m_note->isHidden() ? QString() : m_note->text();
}

} // namespace leakscope
