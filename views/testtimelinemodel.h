#pragma once

#include "core/session.h"
#include "core/testleaks.h"

#include <QAbstractItemModel>

#include <memory>
#include <vector>

namespace leakscope {

// The pytest plugin's snapshots grouped by test: one top-level row per test,
// leaking tests first, with the test's runs (one snapshot each) as children.
// Empty for a session without test snapshots.
class TestTimelineModel : public QAbstractItemModel
{
    Q_OBJECT
public:
    enum Column { TestColumn, LeakColumn, RunsColumn, ColumnCount };
    enum Role {
        // Session index of the snapshot to compare: a run's own, a test's last run.
        SnapshotRole = Qt::UserRole + 1,
        // Session index of the baseline: the test's warm-up run.
        BaselineRole,
        IsLeakingRole,
    };

    explicit TestTimelineModel(QObject *parent = nullptr);

    void setSession(std::shared_ptr<const Session> session);
    const std::vector<TestRuns> &tests() const { return m_tests; }
    int leakingCount() const { return m_leaking; }

    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QVariant testData(const TestRuns &test, int column, int role) const;
    QVariant runData(const TestRuns &test, int run, int column, int role) const;

    std::shared_ptr<const Session> m_session;
    std::vector<TestRuns> m_tests;
    int m_leaking = 0;
};

} // namespace leakscope
