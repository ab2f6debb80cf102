#include "core/growth.h"

#include "core/textutil.h"
#include "core/leakreport.h"

#include <QCoreApplication>

#include <algorithm>
#include <cmath>
#include <limits>

namespace leakscope {

namespace {

struct LineFit
{
    double slope = 0.0;
    double r2 = 0.0;
};

// Least-squares line through (x, y); R^2 is 1 for a perfect line and for a
// constant series (nothing left unexplained), 0 when x does not vary.
LineFit fitLine(const std::vector<double> &x, const std::vector<qint64> &y)
{
    const size_t n = y.size();
    LineFit fit;
    if (n < 2)
        return fit;
    double mx = 0, my = 0;
    for (size_t i = 0; i < n; ++i) {
        mx += x[i];
        my += double(y[i]);
    }
    mx /= double(n);
    my /= double(n);
    double sxx = 0, sxy = 0, syy = 0;
    for (size_t i = 0; i < n; ++i) {
        const double dx = x[i] - mx, dy = double(y[i]) - my;
        sxx += dx * dx;
        sxy += dx * dy;
        syy += dy * dy;
    }
    if (sxx <= 0)
        return fit;
    fit.slope = sxy / sxx;
    fit.r2 = syy <= 0 ? 1.0 : (sxy * sxy) / (sxx * syy);
    return fit;
}

QString signedNumber(double v, int decimals)
{
    const QString s = QString::number(v, 'f', decimals);
    return v >= 0 ? QLatin1Char('+') + s : s;
}

QString compactRate(double v)
{
    const double a = std::fabs(v);
    return signedNumber(v, a >= 10 ? 0 : a >= 1 ? 1 : 2);
}

// Growth by bytes: the total size grows steadily while the count does not.
// Below 16 KiB of net growth it is noise (a list's shallow size grows by 8
// bytes an item; the container table judges single containers).
constexpr qint64 s_minimumBytesGrowth = 16 * 1024;
// The share of intervals that must grow for a suspect (analyze()).
constexpr double s_suspectGrowShare = 0.6;

// What applyBytesRule needs before anything else: the net growth it asks
// for, and growth in the share of intervals analyze() calls a suspect. Most
// types fail it, and skip analyze() and its texts.
bool mayGrowByBytes(const std::vector<qint64> &sizes)
{
    if (sizes.size() < 3 || sizes.back() - sizes.front() < s_minimumBytesGrowth)
        return false;
    int grew = 0;
    for (size_t i = 1; i < sizes.size(); ++i)
        grew += sizes[i] > sizes[i - 1] ? 1 : 0;
    return double(grew) / double(sizes.size() - 1) >= s_suspectGrowShare;
}

void applyBytesRule(SuspectVerdict &byCount, const SuspectVerdict &bySize)
{
    constexpr qint64 minimumGrowth = s_minimumBytesGrowth;
    if (!bySize.suspect || bySize.netGrowth < minimumGrowth)
        return;
    const QString rate = TextUtil::bytes(qint64(std::llround(bySize.slopePerSnapshot)), QLocale::c());
    byCount.reason = QCoreApplication::translate("SuspectDetector",
                                                 "by bytes: total size grew in %1 of %2 intervals, +%3/snapshot, "
                                                 "R^2 %4, while the count did not (%5)")
                         .arg(bySize.grewIntervals)
                         .arg(bySize.intervals)
                         .arg(rate)
                         .arg(bySize.r2, 0, 'f', 2)
                         .arg(byCount.reason);
    byCount.suspect = true;
    byCount.byBytes = true;
    byCount.score = bySize.score;
}

} // namespace

SuspectVerdict SuspectDetector::analyze(const std::vector<qint64> &counts, const std::vector<double> &times,
                                        bool timesAreSeconds)
{
    SuspectVerdict v;
    const size_t n = counts.size();
    v.slopePerMinute = std::numeric_limits<double>::quiet_NaN();
    if (n == 0)
        return v;
    v.intervals = int(n) - 1;
    for (size_t i = 1; i < n; ++i)
        if (counts[i] > counts[i - 1])
            ++v.grewIntervals;
    v.netGrowth = counts.back() - counts.front();

    std::vector<double> index(n);
    for (size_t i = 0; i < n; ++i)
        index[i] = double(i);
    const LineFit byIndex = fitLine(index, counts);
    v.slopePerSnapshot = byIndex.slope;
    v.r2 = byIndex.r2;
    if (timesAreSeconds && times.size() == n && times.back() > times.front()) {
        const LineFit byTime = fitLine(times, counts);
        v.slopePerMinute = byTime.slope * 60.0;
    }

    if (n < 3) {
        v.reason = QCoreApplication::translate("SuspectDetector", "%n snapshot(s): take at least 3 to judge a trend", nullptr, int(n));
        v.score = 0;
        return v;
    }

    const double growShare = double(v.grewIntervals) / double(v.intervals);
    // The last third of the series (at least two intervals) must still grow:
    // a cache that filled up and then stayed flat is not a leak.
    const size_t tail = std::max<size_t>(2, size_t(v.intervals) / 3);
    const size_t tailStart = n - 1 - std::min(tail, n - 1);
    const qint64 tailGrowth = counts.back() - counts[tailStart];
    qint64 peakBeforeTail = 0;
    for (size_t i = 0; i <= tailStart; ++i)
        peakBeforeTail = std::max(peakBeforeTail, counts[i]);

    // A leak of one object per snapshot is still a leak: size only tempers the score.
    const double magnitude = std::min(1.0, 0.5 + std::log10(1.0 + double(std::max<qint64>(0, v.netGrowth))) / 4.0);
    v.score = std::round(100.0 * (0.5 * growShare + 0.5 * (v.slopePerSnapshot > 0 ? v.r2 : 0.0)) * magnitude);

    const QString grew = QCoreApplication::translate("SuspectDetector", "grew in %1 of %2 intervals")
                             .arg(v.grewIntervals)
                             .arg(v.intervals);
    QString trend = grew + QStringLiteral(", ") + compactRate(v.slopePerSnapshot)
        + QCoreApplication::translate("SuspectDetector", "/snapshot");
    if (!std::isnan(v.slopePerMinute))
        trend += QStringLiteral(", ") + compactRate(v.slopePerMinute) + QCoreApplication::translate("SuspectDetector", "/min");
    trend += QStringLiteral(", R^2 ") + QString::number(v.r2, 'f', 2);

    if (v.netGrowth <= 0) {
        v.reason = v.netGrowth == 0 && v.grewIntervals > 0
            ? QCoreApplication::translate("SuspectDetector", "freed again: back to where it started")
            : QCoreApplication::translate("SuspectDetector", "no net growth (%1)").arg(v.netGrowth);
        v.score = 0;
        return v;
    }
    if (tailGrowth <= 0) {
        const auto [lo, hi] = std::minmax_element(counts.begin() + std::ptrdiff_t(tailStart), counts.end());
        v.reason = *lo == *hi
            ? QCoreApplication::translate("SuspectDetector", "flat over the last %1 intervals: bounded (a cache that filled up?)")
                  .arg(n - 1 - tailStart)
            : QCoreApplication::translate("SuspectDetector", "not growing over the last %1 intervals").arg(n - 1 - tailStart);
        v.score = std::min(v.score, 20.0);
        return v;
    }
    if (counts.back() <= peakBeforeTail) {
        v.reason = QCoreApplication::translate("SuspectDetector", "no higher than its earlier peak of %1: churn, not steady growth")
                       .arg(peakBeforeTail);
        v.score = std::min(v.score, 20.0);
        return v;
    }
    v.suspect = growShare >= s_suspectGrowShare && v.r2 >= 0.6 && v.slopePerSnapshot > 0;
    if (v.suspect)
        v.reason = trend;
    else
        v.reason = QCoreApplication::translate("SuspectDetector", "irregular: ") + trend;
    if (!v.suspect)
        v.score = std::min(v.score, 40.0);
    return v;
}

QString SuspectDetector::reasonText(const SuspectVerdict &verdict)
{
    return TextUtil::oneLine(verdict.reason);
}

Comparison GrowthAnalysis::compare(const Session &session, int baseline, int current)
{
    Comparison c;
    c.baseline = baseline;
    c.current = current;
    const int n = session.snapshotCount();
    if (n == 0 || current < 0 || current >= n || baseline < 0 || baseline >= n)
        return c;
    const std::vector<double> axis = session.timeAxis();
    const bool seconds = session.hasTimes();
    const std::vector<double> axisUpTo(axis.begin(), axis.begin() + current + 1);
    const int previous = std::max(0, current - 1);

    c.rows.reserve(size_t(session.typeCount()));
    std::vector<qint64> series(size_t(current) + 1);
    std::vector<qint64> sizes(size_t(current) + 1);
    bool sizesKnown = true;
    for (int i = 0; i <= current; ++i)
        sizesKnown = sizesKnown && session.snapshot(i).info.hasSizes;
    // Types in id order, and each snapshot's stats are sorted by id: one
    // cursor per snapshot walks its rows once over the whole loop.
    std::vector<size_t> cursor(size_t(current) + 1, 0);
    for (int t = 0; t < session.typeCount(); ++t) {
        GrowthRow r;
        r.type = t;
        qint64 peak = 0;
        for (int i = 0; i <= current; ++i) {
            const std::vector<TypeStat> &stats = session.snapshot(i).stats;
            size_t &at = cursor[size_t(i)];
            while (at < stats.size() && stats[at].type < t)
                ++at;
            const bool has = at < stats.size() && stats[at].type == t;
            series[size_t(i)] = has ? stats[at].count : 0;
            sizes[size_t(i)] = has ? stats[at].size : 0;
            if (i < current)
                peak = std::max(peak, series[size_t(i)]);
        }
        r.count = series[size_t(current)];
        r.previousCount = series[size_t(previous)];
        r.baselineCount = baseline <= current ? series[size_t(baseline)] : session.count(baseline, t);
        r.firstCount = series[0];
        r.deltaPrevious = r.count - r.previousCount;
        r.deltaBaseline = r.count - r.baselineCount;
        r.deltaFirst = r.count - r.firstCount;
        if (r.baselineCount != 0)
            r.deltaPercent = 100.0 * double(r.deltaBaseline) / double(r.baselineCount);
        else
            r.deltaPercent = r.count > 0 ? std::numeric_limits<double>::infinity() : 0.0;
        r.size = sizes[size_t(current)];
        r.deltaSize = r.size - (baseline <= current ? sizes[size_t(baseline)] : session.size(baseline, t));
        r.peakBefore = peak;
        r.deltaPeak = std::max<qint64>(0, r.count - peak);
        r.verdict = SuspectDetector::analyze(series, axisUpTo, seconds);
        if (!r.verdict.suspect && sizesKnown && current >= 2 && mayGrowByBytes(sizes))
            applyBytesRule(r.verdict, SuspectDetector::analyze(sizes, axisUpTo, seconds));
        c.rows.push_back(std::move(r));
    }
    return c;
}

int GrowthAnalysis::resolveBaseline(const Session &session, BaselineMode mode, int index, int current)
{
    const int n = session.snapshotCount();
    if (n == 0)
        return -1;
    switch (mode) {
    case BaselineMode::First:
        return 0;
    case BaselineMode::Previous:
        return std::max(0, current - 1);
    case BaselineMode::Index:
        return index >= 0 && index < n ? index : -1;
    }
    return -1;
}

void GrowthAnalysis::sortForReport(std::vector<GrowthRow> &rows, const Session &session)
{
    LeakRanking::sortRows(rows, session.types());
}

} // namespace leakscope
