#include "core/allocations.h"

#include <QCoreApplication>
#include <QHash>

#include <algorithm>

namespace leakscope {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("AllocationAnalysis", text);
}

QString stackKey(const AllocationData &data, int traceback)
{
    QString key;
    for (int frame : data.tracebacks[size_t(traceback)]) {
        const AllocFrame &f = data.frames[size_t(frame)];
        key += f.filename + QLatin1Char(':') + QString::number(f.lineno) + QLatin1Char('\n');
    }
    return key;
}

std::vector<AllocFrame> stackFrames(const AllocationData &data, int traceback)
{
    std::vector<AllocFrame> frames;
    for (int frame : data.tracebacks[size_t(traceback)])
        frames.push_back(data.frames[size_t(frame)]);
    return frames;
}

struct LineTotals
{
    qint64 size = 0;
    qint64 count = 0;
    std::vector<AllocFrame> stack; // of the largest traceback
    qint64 largest = -1;
};

// Traced bytes per allocating line (depth 0 of each statistic's traceback).
QHash<QString, LineTotals> lineTotals(const AllocationData *data)
{
    QHash<QString, LineTotals> totals;
    if (!data)
        return totals;
    for (const AllocStat &s : data->stats) {
        const std::vector<int> &frames = data->tracebacks[size_t(s.traceback)];
        if (frames.empty())
            continue;
        const AllocFrame &top = data->frames[size_t(frames.front())];
        LineTotals &t = totals[top.filename + QLatin1Char(':') + QString::number(top.lineno)];
        t.size += s.size;
        t.count += s.count;
        if (s.size > t.largest) {
            t.largest = s.size;
            t.stack = stackFrames(*data, s.traceback);
        }
    }
    return totals;
}

} // namespace

QString AllocationAnalysis::frameText(const AllocFrame &frame)
{
    QString text = frame.filename + QLatin1Char(':') + QString::number(frame.lineno);
    if (!frame.function.isEmpty())
        text += tr(" in ") + frame.function;
    return text;
}

QString AllocationAnalysis::notTracedMessage()
{
    return tr("recorded without --trace: no allocation sites. Record with `leakscope-cli record --trace -- python3 "
              "script.py` (or tick \"Trace allocations\" in Run Python Script, or `python3 -m leakscope_agent run "
              "--trace script.py`) to see where objects were allocated");
}

QString AllocationAnalysis::predatesMessage()
{
    return tr("the file predates the container and allocation tables (written by an older agent): record again to "
              "see containers and allocation sites");
}

AllocationReport AllocationAnalysis::analyze(const Session &session, int baseline, int current, bool container,
                                             const QString &subject, int top)
{
    AllocationReport report;
    report.baseline = baseline;
    report.current = current;
    const int n = session.snapshotCount();
    if (current < 0 || current >= n || baseline < 0 || baseline >= n)
        return report;
    for (int i = 0; i < n; ++i) {
        const SnapshotInfo &info = session.snapshot(i).info;
        report.tablesPresent = report.tablesPresent || info.hasContainerPass || info.traced;
    }
    const Snapshot &after = session.snapshot(current);
    report.traced = after.info.traced && after.allocations;
    if (!report.traced)
        return report;
    report.frames = after.info.meta.value(QLatin1String("tracemalloc")).toObject().value(QLatin1String("frames")).toInt();

    // Object tracebacks of the subject over (baseline, current].
    if (!subject.isEmpty()) {
        QHash<QString, size_t> byStack;
        bool objectTracebacks = true;
        qint64 objects = 0;
        for (int i = std::min(baseline + 1, current); i <= current; ++i) {
            const Snapshot &s = session.snapshot(i);
            if (!s.allocations)
                continue;
            objectTracebacks = objectTracebacks && s.info.objectTracebacks;
            for (const ObjectTraceback &o : s.allocations->objects) {
                if (o.container != container || o.subject != subject)
                    continue;
                ++objects;
                if (o.traceback < 0) {
                    ++report.objectsWithout;
                    continue;
                }
                const QString key = stackKey(*s.allocations, o.traceback);
                auto it = byStack.find(key);
                if (it == byStack.end()) {
                    it = byStack.insert(key, report.stacks.size());
                    AllocationSite site;
                    site.frames = stackFrames(*s.allocations, o.traceback);
                    report.stacks.push_back(std::move(site));
                }
                ++report.stacks[*it].objects;
            }
        }
        std::stable_sort(report.stacks.begin(), report.stacks.end(),
                         [](const AllocationSite &a, const AllocationSite &b) { return a.objects > b.objects; });
        if (top > 0 && int(report.stacks.size()) > top)
            report.stacks.resize(size_t(top));
        if (report.stacks.empty()) {
            report.fallback = true;
            if (!objectTracebacks && objects > 0)
                report.note = tr("this Python (CPython 3.11) gives no allocation traceback for instances of ordinary "
                                 "classes; showing the lines whose traced memory grew instead");
            else if (objects > 0)
                report.note = tr("the interpreter gave no traceback for these objects; showing the lines whose "
                                 "traced memory grew instead");
            else
                report.note = tr("no object of it was traced as new between these snapshots; showing the lines "
                                 "whose traced memory grew instead");
        }
    }

    // Lines whose traced memory grew most from baseline to current.
    const QHash<QString, LineTotals> before = baseline == current ? QHash<QString, LineTotals>()
                                                                  : lineTotals(session.snapshot(baseline).allocations.get());
    const QHash<QString, LineTotals> now = lineTotals(after.allocations.get());
    for (auto it = now.constBegin(); it != now.constEnd(); ++it) {
        const LineTotals b = before.value(it.key());
        AllocationSite site;
        site.frames = it->stack;
        site.sizeBefore = b.size;
        site.sizeAfter = it->size;
        site.deltaSize = it->size - b.size;
        site.deltaCount = it->count - b.count;
        if (site.deltaSize > 0)
            report.lines.push_back(std::move(site));
    }
    std::sort(report.lines.begin(), report.lines.end(), [](const AllocationSite &a, const AllocationSite &b) {
        if (a.deltaSize != b.deltaSize)
            return a.deltaSize > b.deltaSize;
        return AllocationAnalysis::frameText(a.frames.front()) < AllocationAnalysis::frameText(b.frames.front());
    });
    if (top > 0 && int(report.lines.size()) > top)
        report.lines.resize(size_t(top));
    return report;
}

} // namespace leakscope
