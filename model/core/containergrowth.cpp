#include "core/containergrowth.h"

#include "core/textutil.h"

#include <QCoreApplication>
#include <QHash>
#include <QJsonObject>

#include <algorithm>
#include <cmath>

namespace leakscope {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("ContainerAnalysis", text);
}

struct Key
{
    qint64 pid;
    qint64 id;
    int type;
    bool operator==(const Key &o) const { return pid == o.pid && id == o.id && type == o.type; }
};

size_t qHash(const Key &k, size_t seed = 0)
{
    return qHashMulti(seed, k.pid, k.id, k.type);
}

// The values recorded at the snapshots where the container was seen, with
// their time axis; unknown values (-1) are left out.
void recordedSeries(const std::vector<qint64> &values, const std::vector<double> &axis, int from, int to,
                    std::vector<qint64> &series, std::vector<double> &times)
{
    series.clear();
    times.clear();
    for (int i = from; i <= to; ++i) {
        if (values[size_t(i)] >= 0) {
            series.push_back(values[size_t(i)]);
            times.push_back(axis[size_t(i)]);
        }
    }
}

QString signedBytes(double bytes)
{
    const qint64 b = qint64(std::llround(bytes));
    const QString text = TextUtil::bytes(b, QLocale::c());
    return b >= 0 ? QLatin1Char('+') + text : text;
}

QString signedItems(double items)
{
    const double a = std::fabs(items);
    const QString number = QString::number(items, 'f', a >= 10 ? 0 : a >= 1 ? 1 : 2);
    return items >= 0 ? QLatin1Char('+') + number : number;
}

} // namespace

QString ContainerAnalysis::shortName(const QString &heldBy, const QString &holderKind, const QString &typeName,
                                     qint64 objectId)
{
    if (heldBy.isEmpty())
        return typeName + QLatin1Char(' ') + TextUtil::hexId(quint64(objectId));
    if (holderKind == QLatin1String("module_global")) {
        // "myservice.handlers._REQUEST_LOG['x']" -> "_REQUEST_LOG['x']": the
        // module is in the holder column.
        qsizetype end = heldBy.indexOf(QLatin1Char('['));
        if (end < 0)
            end = heldBy.size();
        const qsizetype dot = heldBy.lastIndexOf(QLatin1Char('.'), end - 1);
        if (dot >= 0 && dot + 1 < end)
            return heldBy.mid(dot + 1);
    }
    return heldBy;
}

qint64 ContainerAnalysis::payloadTotal(const Snapshot &snapshot)
{
    qint64 total = 0;
    for (const ContainerStat &c : snapshot.containers) {
        if (c.payloadBytes > 0 && total <= std::numeric_limits<qint64>::max() - c.payloadBytes)
            total += c.payloadBytes;
    }
    return total;
}

ContainerComparison ContainerAnalysis::compare(const Session &session, int baseline, int current)
{
    ContainerComparison result;
    result.baseline = baseline;
    result.current = current;
    const int n = session.snapshotCount();
    if (n == 0 || current < 0 || current >= n || baseline < 0 || baseline >= n)
        return result;

    std::vector<ContainerRow> tracks;
    QHash<Key, size_t> open; // the track a (pid, id, type) continues
    for (int s = 0; s <= current; ++s) {
        const Snapshot &snapshot = session.snapshot(s);
        if (!snapshot.info.hasContainerPass)
            continue;
        result.anyContainerPass = true;
        for (const ContainerStat &c : snapshot.containers) {
            const Key key{snapshot.info.pid, c.objectId, c.type};
            size_t index = tracks.size();
            const auto it = open.constFind(key);
            if (it != open.constEnd()) {
                // Continues only when the agent's previous length is what we
                // saw at the track's last recording; a container that was not
                // recorded at the previous snapshot has none (-1), and an id
                // reused by a new object of the same type breaks the chain.
                const ContainerRow &t = tracks[*it];
                if (c.previousItems >= 0 && c.previousItems == t.items[size_t(t.last)])
                    index = *it;
            }
            if (index == tracks.size()) {
                ContainerRow t;
                t.objectId = c.objectId;
                t.type = c.type;
                t.value = c.value;
                t.pid = snapshot.info.pid;
                t.first = s;
                t.items.assign(size_t(current) + 1, -1);
                t.payload.assign(size_t(current) + 1, -1);
                tracks.push_back(std::move(t));
                open.insert(key, index);
            }
            ContainerRow &t = tracks[index];
            t.last = s;
            t.items[size_t(s)] = c.items;
            t.payload[size_t(s)] = c.payloadBytes;
            t.payloadEstimated = t.payloadEstimated || c.payloadEstimated;
            if (!c.heldBy.isEmpty()) {
                t.heldBy = c.heldBy;
                t.holderKind = c.holderKind;
            }
        }
    }

    const std::vector<double> axis = session.timeAxis();
    const bool seconds = session.hasTimes();
    std::vector<qint64> series;
    std::vector<double> times;
    for (ContainerRow &t : tracks) {
        if (t.last != current && t.items[size_t(baseline)] < 0)
            continue; // neither now nor at the baseline
        const QString typeName = session.types().name(t.type);
        t.name = shortName(t.heldBy, t.holderKind, typeName, t.objectId);
        t.itemsNow = t.items[size_t(current)];
        t.itemsBaseline = baseline <= current ? t.items[size_t(baseline)] : -1;
        t.payloadNow = t.payload[size_t(current)];
        t.payloadBaseline = baseline <= current ? t.payload[size_t(baseline)] : -1;
        // A container first recorded after the baseline (it became one of
        // the recorded, or was created) counts from its first recording.
        const int from = t.itemsBaseline >= 0 ? baseline : t.first;
        if (t.itemsNow >= 0 && t.items[size_t(from)] >= 0)
            t.deltaItems = t.itemsNow - t.items[size_t(from)];
        if (t.payloadNow >= 0 && t.payload[size_t(from)] >= 0)
            t.deltaPayload = t.payloadNow - t.payload[size_t(from)];
        if (t.last == current) {
            recordedSeries(t.items, axis, t.first, current, series, times);
            t.itemsVerdict = SuspectDetector::analyze(series, times, seconds);
            recordedSeries(t.payload, axis, t.first, current, series, times);
            t.payloadVerdict = SuspectDetector::analyze(series, times, seconds);
        }
        // The length decides: a payload that grows while the length does not
        // (longer values in a filled cache, or a container that holds a
        // growing one) is the grown value's row, not this one's.
        t.suspect = t.itemsVerdict.suspect;
        t.score = t.itemsVerdict.score;
        const QString who = t.name + QStringLiteral(" (") + typeName + QLatin1Char(')');
        if (t.suspect) {
            const SuspectVerdict &lead = t.itemsVerdict;
            QString rates = signedItems(t.itemsVerdict.slopePerSnapshot) + (t.value ? tr(" length") : tr(" items"));
            if (t.payloadVerdict.netGrowth > 0)
                rates += tr(" and ") + signedBytes(t.payloadVerdict.slopePerSnapshot);
            t.reason = tr("%1 grew in %2 of %3 intervals, %4 per snapshot")
                           .arg(who)
                           .arg(lead.grewIntervals)
                           .arg(lead.intervals)
                           .arg(rates);
        } else if (t.last != current) {
            t.reason = tr("%1 is no longer recorded (freed, or below 1,000 items)").arg(who);
        } else {
            t.reason = who + QStringLiteral(": ") + t.itemsVerdict.reason;
        }
        result.rows.push_back(std::move(t));
    }
    std::stable_sort(result.rows.begin(), result.rows.end(), [](const ContainerRow &a, const ContainerRow &b) {
        if (a.suspect != b.suspect)
            return a.suspect;
        if (a.suspect && a.score != b.score)
            return a.score > b.score;
        if (a.deltaItems != b.deltaItems)
            return a.deltaItems > b.deltaItems;
        return a.deltaPayload > b.deltaPayload;
    });
    return result;
}

RssCheck ContainerAnalysis::checkRss(const Session &session, int current)
{
    RssCheck check;
    if (current < 2 || current >= session.snapshotCount())
        return check;
    // One process: RSS of different programs does not add up to a trend.
    const qint64 pid = session.snapshot(current).info.pid;
    std::vector<qint64> rss, explained;
    std::vector<double> times;
    const std::vector<double> axis = session.timeAxis();
    for (int i = 0; i <= current; ++i) {
        const Snapshot &s = session.snapshot(i);
        if (s.info.rss < 0 || s.info.pid != pid || !s.info.hasSizes)
            continue;
        rss.push_back(s.info.rss);
        // tracemalloc's own memory (--trace) is not the program's.
        const qint64 tracing = qint64(s.info.meta.value(QLatin1String("tracemalloc"))
                                          .toObject()
                                          .value(QLatin1String("tracemalloc_bytes"))
                                          .toDouble());
        explained.push_back(s.totalSize() + payloadTotal(s) + std::max<qint64>(0, tracing));
        times.push_back(axis[size_t(i)]);
    }
    if (rss.size() < 3)
        return check;
    const SuspectVerdict verdict = SuspectDetector::analyze(rss, times, session.hasTimes());
    check.snapshots = int(rss.size());
    check.rssGrowth = rss.back() - rss.front();
    check.explainedGrowth = explained.back() - explained.front();
    // Steady RSS growth of at least 4 MiB of which Python objects explain
    // less than half.
    constexpr qint64 minimum = qint64(4) << 20;
    if (!verdict.suspect || check.rssGrowth < minimum || check.explainedGrowth * 2 >= check.rssGrowth)
        return check;
    check.unexplained = true;
    const auto mib = [](qint64 bytes) -> QString {
        const QString text = QString::number(double(bytes) / double(1 << 20), 'f', std::llabs(bytes) >= (qint64(10) << 20) ? 0 : 1);
        return (bytes >= 0 ? QStringLiteral("+") : QString()) + text + QStringLiteral(" MiB");
    };
    const bool traced = session.snapshot(current).info.traced;
    check.message = (traced ? tr("RSS %1 over %2 snapshots; Python objects explain %3: memory held outside gc-tracked "
                                 "objects, e.g. untracked payloads or C extensions; the allocations show where it was "
                                 "allocated")
                            : tr("RSS %1 over %2 snapshots; Python objects explain %3: memory held outside gc-tracked "
                                 "objects, e.g. untracked payloads or C extensions; record with --trace to see where "
                                 "it was allocated"))
                        .arg(mib(check.rssGrowth))
                        .arg(check.snapshots)
                        .arg(mib(check.explainedGrowth));
    return check;
}

} // namespace leakscope
