#pragma once

#include "core/session.h"

#include <QString>

#include <vector>

namespace leakscope {

// Verdict on one type's count series.
struct SuspectVerdict
{
    bool suspect = false;
    double score = 0.0;        // 0..100, higher is more suspicious
    QString reason;            // e.g. "grew in 9 of 10 intervals, +50/snapshot, R^2 0.99"
    int grewIntervals = 0;
    int intervals = 0;
    qint64 netGrowth = 0;      // last - first
    double slopePerSnapshot = 0.0;
    double slopePerMinute = 0.0; // NaN when the session has no times
    double r2 = 0.0;
    // The suspect is one "by bytes": the type's total size grows steadily
    // while its count does not (one list or dict getting longer); the reason
    // says so and the fields above stay those of the count.
    bool byBytes = false;
};

// Steady growth is a suspect; a bounded cache that filled and then stayed
// flat, or churn that is freed again, is not.
class SuspectDetector
{
public:
    static SuspectVerdict analyze(const std::vector<qint64> &counts, const std::vector<double> &times,
                                  bool timesAreSeconds);
    // The verdict's reason on one line, as `compare`'s reason column and the
    // growth table's Reason column print it (one function, so they agree).
    static QString reasonText(const SuspectVerdict &verdict);
};

// One row of a comparison of snapshot `current` against `baseline`.
struct GrowthRow
{
    int type = -1;
    qint64 count = 0;          // in current
    qint64 previousCount = 0;  // in the snapshot before current (== count for the first)
    qint64 baselineCount = 0;
    qint64 firstCount = 0;
    qint64 deltaPrevious = 0;
    qint64 deltaBaseline = 0;
    qint64 deltaFirst = 0;
    double deltaPercent = 0.0; // vs baseline; +inf shown as "new" when baseline is 0
    qint64 size = 0;
    qint64 deltaSize = 0;      // vs baseline
    qint64 peakBefore = 0;     // highest count before current (objgraph's peak)
    qint64 deltaPeak = 0;      // count - peakBefore when positive, else 0 (show_growth)
    SuspectVerdict verdict;
    // Bytes the type's objects keep alive (dominator tree of the snapshot's
    // heap graph, RetainedByType); -1 when unknown: the snapshot has no graph
    // or its retained sizes are still being computed.
    qint64 retained = -1;         // in current
    qint64 deltaRetained = 0;     // retained - baselineRetained when both are known
    qint64 baselineRetained = -1; // in baseline
};

enum class BaselineMode { First, Previous, Index };

// A whole comparison, as the CLI prints it and the growth table shows it.
struct Comparison
{
    int baseline = 0;
    int current = 0;
    std::vector<GrowthRow> rows; // one per type present in any snapshot
};

class GrowthAnalysis
{
public:
    // Rows for every type; suspects computed over snapshots [0, current].
    static Comparison compare(const Session &session, int baseline, int current);
    // Resolves first/previous/N (0-based index) against the session; -1 if invalid.
    static int resolveBaseline(const Session &session, BaselineMode mode, int index, int current);
    // The shared ranking (LeakRanking::sortRows): suspects first, user types
    // before the builtins they explain, then by score, delta, count and name.
    static void sortForReport(std::vector<GrowthRow> &rows, const Session &session);
};

} // namespace leakscope
