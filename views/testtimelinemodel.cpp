#include "views/testtimelinemodel.h"

#include <QApplication>
#include <QBrush>
#include <QColor>
#include <QFont>
#include <QLocale>
#include <QStyle>

namespace leakscope {

namespace {

// Top-level rows carry internal id 0; a run row carries its test's row + 1.
constexpr quintptr kTestId = 0;

const QColor s_leakColor(0xc6, 0x28, 0x28);

// "Session" for "sampleapp.store.Session": the column is narrow; the tooltip
// and the growth table have the qualified name.
QString shortName(const QString &name)
{
    return name.mid(name.lastIndexOf(QLatin1Char('.')) + 1);
}

} // namespace

TestTimelineModel::TestTimelineModel(QObject *parent) : QAbstractItemModel(parent) {}

void TestTimelineModel::setSession(std::shared_ptr<const Session> session)
{
    beginResetModel();
    m_session = std::move(session);
    m_tests.clear();
    m_leaking = 0;
    if (m_session) {
        m_tests = TestLeaks::group(*m_session);
        TestLeaks::sortLeakingFirst(m_tests);
        for (const TestRuns &test : m_tests)
            m_leaking += test.leaking() ? 1 : 0;
    }
    endResetModel();
}

QModelIndex TestTimelineModel::index(int row, int column, const QModelIndex &parent) const
{
    if (column < 0 || column >= ColumnCount || row < 0)
        return {};
    if (!parent.isValid())
        return row < int(m_tests.size()) ? createIndex(row, column, kTestId) : QModelIndex();
    if (parent.internalId() != kTestId || parent.row() >= int(m_tests.size()))
        return {};
    if (row >= int(m_tests[size_t(parent.row())].snapshots.size()))
        return {};
    return createIndex(row, column, quintptr(parent.row()) + 1);
}

QModelIndex TestTimelineModel::parent(const QModelIndex &child) const
{
    if (!child.isValid() || child.internalId() == kTestId)
        return {};
    return createIndex(int(child.internalId() - 1), 0, kTestId);
}

int TestTimelineModel::rowCount(const QModelIndex &parent) const
{
    if (!parent.isValid())
        return int(m_tests.size());
    if (parent.internalId() != kTestId || parent.column() != 0 || parent.row() >= int(m_tests.size()))
        return 0;
    return int(m_tests[size_t(parent.row())].snapshots.size());
}

int TestTimelineModel::columnCount(const QModelIndex &) const
{
    return ColumnCount;
}

QVariant TestTimelineModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || !m_session)
        return {};
    if (index.internalId() == kTestId)
        return index.row() < int(m_tests.size()) ? testData(m_tests[size_t(index.row())], index.column(), role)
                                                 : QVariant();
    const size_t test = size_t(index.internalId() - 1);
    if (test >= m_tests.size())
        return {};
    return runData(m_tests[test], index.row(), index.column(), role);
}

QVariant TestTimelineModel::testData(const TestRuns &test, int column, int role) const
{
    switch (role) {
    case Qt::DisplayRole:
        if (column == TestColumn)
            return test.nodeId;
        if (column == LeakColumn) {
            if (!test.leaking())
                return test.repeats() > 0 ? tr("no leak") : tr("not judged");
            const TestLeakType &top = test.leaks.front();
            return tr("+%1 %2 per run").arg(top.growthPerRun).arg(shortName(top.name));
        }
        if (column == RunsColumn)
            return QLocale().toString(test.repeats());
        break;
    case Qt::ToolTipRole:
        return QStringLiteral("%1\n%2").arg(test.nodeId, test.reason());
    case Qt::DecorationRole:
        if (column == TestColumn && test.leaking())
            return QApplication::style()->standardIcon(QStyle::SP_MessageBoxWarning);
        break;
    case Qt::ForegroundRole:
        if (column == LeakColumn && test.leaking())
            return QBrush(s_leakColor);
        break;
    case Qt::FontRole:
        if (test.leaking()) {
            QFont bold;
            bold.setBold(true);
            return bold;
        }
        break;
    case SnapshotRole:
        return test.snapshots.back();
    case BaselineRole:
        return test.snapshots.front();
    case IsLeakingRole:
        return test.leaking();
    default:
        break;
    }
    return {};
}

QVariant TestTimelineModel::runData(const TestRuns &test, int run, int column, int role) const
{
    if (run < 0 || run >= int(test.snapshots.size()))
        return {};
    const int snapshot = test.snapshots[size_t(run)];
    switch (role) {
    case Qt::DisplayRole:
        if (column == TestColumn)
            // "#" as the Snapshots tab numbers them (1-based).
            return run == 0 ? tr("warm-up (#%1)").arg(snapshot + 1) : tr("run %1 (#%2)").arg(run).arg(snapshot + 1);
        if (column == LeakColumn && test.leaking()) {
            const TestLeakType &top = test.leaks.front();
            return tr("%1 %2").arg(QLocale().toString(top.counts[size_t(run)]), shortName(top.name));
        }
        break;
    case Qt::ToolTipRole:
        return m_session->snapshot(snapshot).info.label;
    case SnapshotRole:
        return snapshot;
    case BaselineRole:
        return test.snapshots.front();
    case IsLeakingRole:
        return test.leaking();
    default:
        break;
    }
    return {};
}

QVariant TestTimelineModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case TestColumn:
        return tr("Test");
    case LeakColumn:
        return tr("Leak");
    case RunsColumn:
        return tr("Repeats");
    default:
        return {};
    }
}

} // namespace leakscope
