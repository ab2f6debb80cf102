#pragma once

#include "core/session.h"

#include <QString>

#include <algorithm>
#include <vector>

namespace leakscope {

// A type one test leaks: its count grew by the same positive amount from
// each run of the test to the next.
struct TestLeakType
{
    int type = -1; // id in the session's TypeRegistry
    QString name;
    qint64 growthPerRun = 0;
    std::vector<qint64> counts; // one per run, the warm-up run first
    QString chain;              // the plugin's chain from a root (--leakscope-graph), or empty
};

// The snapshots the pytest plugin took of one test (snapshot metadata
// "pytest": {"nodeid", "run", ...}, see docs/file-format.md), in run order.
struct TestRuns
{
    QString nodeId;
    qint64 pid = 0;
    std::vector<int> snapshots;      // session indexes, the warm-up run (0) first
    std::vector<TestLeakType> leaks; // empty: the test does not leak; the headline type first

    bool leaking() const { return !leaks.empty(); }
    int repeats() const { return std::max(0, int(snapshots.size()) - 1); }
    // "+1 sampleapp.Session per run in each of 3 repeats (1 -> 4); chain: ..."
    QString reason() const;
};

namespace TestLeaks {

// A type a leak report can name: not a builtin (those have no module, e.g.
// "dict") and not one of the test machinery's (pytest, pluggy, the agent).
bool isUserType(const QString &name);

// The session's pytest snapshots grouped by test (and by the pytest process
// that took them), in the order the tests first appear, with each test's
// leaks. A test leaks a user type whose count grows by the same positive
// amount between every two consecutive runs; when the plugin stored its
// verdict in the last run ("leaks"), only the types it named count (it
// applied the test's marker), in its order, and its chains are kept.
std::vector<TestRuns> group(const Session &session);

// Leaking tests first (in their order), then the others.
void sortLeakingFirst(std::vector<TestRuns> &tests);

} // namespace TestLeaks

} // namespace leakscope
