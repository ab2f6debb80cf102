#include "core/leakreport.h"

#include "core/allocations.h"
#include "core/containergrowth.h"
#include "core/textutil.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>
#include <QUrl>

#include <algorithm>
#include <cmath>

namespace leakscope {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("LeakReport", text);
}

const QString s_arrow = QStringLiteral(" \u2192 ");

QString signedCount(qint64 v)
{
    return v >= 0 ? QLatin1Char('+') + QString::number(v) : QString::number(v);
}

QString signedBytes(qint64 v)
{
    const QString s = TextUtil::bytes(v, QLocale::c());
    return v >= 0 ? QLatin1Char('+') + s : s;
}

QString rate(double v)
{
    const double a = std::fabs(v);
    const QString s = QString::number(v, 'f', a >= 10 ? 0 : a >= 1 ? 1 : 2);
    return v >= 0 ? QLatin1Char('+') + s : s;
}

QString kindWord(LeakEntry::Kind kind)
{
    switch (kind) {
    case LeakEntry::Kind::Type:
        return QStringLiteral("type");
    case LeakEntry::Kind::Container:
        return QStringLiteral("container");
    case LeakEntry::Kind::MemoryOutsidePython:
        return QStringLiteral("memory-outside-python");
    }
    return QString();
}

QString nextWord(LeakEntry::NextStep step)
{
    switch (step) {
    case LeakEntry::NextStep::References:
        return QStringLiteral("references");
    case LeakEntry::NextStep::Trend:
        return QStringLiteral("trend");
    case LeakEntry::NextStep::Allocations:
        return QStringLiteral("allocations");
    case LeakEntry::NextStep::Containers:
        return QStringLiteral("containers");
    }
    return QString();
}

// A container entry built from the container tables (items and payload),
// not from a heap graph (objects it holds).
bool isTableContainer(const LeakEntry &e)
{
    return e.kind == LeakEntry::Kind::Container && !e.containerType.isEmpty();
}

// A count of the entry: RSS bytes for memory outside Python objects.
QString countText(const LeakEntry &e, qint64 v)
{
    return e.kind == LeakEntry::Kind::MemoryOutsidePython ? TextUtil::bytes(v, QLocale::c()) : QString::number(v);
}

// "+32/snapshot, +4842/min"
QString growthRates(const LeakEntry &e)
{
    QString s = rate(e.perSnapshot) + tr("/snapshot");
    if (!std::isnan(e.perMinute))
        s += QStringLiteral(", ") + rate(e.perMinute) + tr("/min");
    return s;
}

// The suspect reason (which carries the rates) for types; rates and reason
// for containers.
QString reasonText(const LeakEntry &e)
{
    if (e.kind == LeakEntry::Kind::Type || isTableContainer(e) || e.kind == LeakEntry::Kind::MemoryOutsidePython)
        return e.reason; // the reason carries the rates
    return growthRates(e) + QStringLiteral("; ") + e.reason;
}

// "+200 objects (+10.9 KiB)"
QString totalGrowth(const LeakEntry &e)
{
    if (e.kind == LeakEntry::Kind::MemoryOutsidePython)
        return tr("RSS %1 (Python objects explain %2)").arg(signedBytes(e.growthBytes), signedBytes(e.explainedBytes));
    if (isTableContainer(e)) {
        QString s = signedCount(e.growth) + (std::llabs(e.growth) == 1 ? tr(" item") : tr(" items"));
        if (e.bytesKnown)
            s += QStringLiteral(" (") + signedBytes(e.growthBytes) + tr(" payload") + QLatin1Char(')');
        return s;
    }
    QString s = signedCount(e.growth) + (std::llabs(e.growth) == 1 ? tr(" object") : tr(" objects"));
    if (e.bytesKnown)
        s += QStringLiteral(" (") + signedBytes(e.growthBytes) + QLatin1Char(')');
    return s;
}

QString foldedLine(const LeakEntry &e)
{
    QStringList parts;
    for (const LeakEntry::Folded &f : e.folded)
        parts << QStringLiteral("%1 %2 (%3)").arg(f.type, signedCount(f.growth), f.how);
    return parts.join(QStringLiteral(", "));
}

QString chainSuffix(const LeakEntry &e)
{
    QString s;
    if (!e.chainObject.isEmpty())
        s = e.chainObjectNew ? tr("instance %1, new since the baseline").arg(e.chainObject)
                             : tr("instance %1, present at the baseline").arg(e.chainObject);
    if (!e.chainFromRoot)
        s += (s.isEmpty() ? QString() : QStringLiteral("; ")) + tr("starts at an object nothing in the graph refers to");
    return s;
}

// A shell word: quoted when it holds anything but safe characters.
QString shellWord(const QString &s)
{
    for (const QChar c : s) {
        if (!(c.isLetterOrNumber() || QStringLiteral("._-/+=:,@").contains(c))) {
            QString q = s;
            q.replace(QLatin1Char('\''), QStringLiteral("'\\''"));
            return QLatin1Char('\'') + q + QLatin1Char('\'');
        }
    }
    return s.isEmpty() ? QStringLiteral("''") : s;
}

// The next step as words and, for the CLI forms, as a command.
QString nextText(const LeakEntry &e)
{
    switch (e.next) {
    case LeakEntry::NextStep::References:
        return e.kind == LeakEntry::Kind::Type ? tr("see what holds %1: References on it").arg(e.name)
                                               : tr("see what it holds: References on %1").arg(e.target());
    case LeakEntry::NextStep::Allocations:
        if (e.kind == LeakEntry::Kind::MemoryOutsidePython)
            return tr("see the lines whose traced memory grew most: Allocations");
        if (e.kind == LeakEntry::Kind::Container)
            return tr("see where its items were allocated: Allocations on %1").arg(e.name);
        return tr("see where %1 objects are allocated: Allocations on it").arg(e.name);
    case LeakEntry::NextStep::Containers:
        return tr("see who holds %1 and how it grows: Containers on it").arg(e.name);
    case LeakEntry::NextStep::Trend:
        break;
    }
    if (e.kind == LeakEntry::Kind::MemoryOutsidePython)
        return tr("record with --trace to see where it was allocated");
    return e.kind == LeakEntry::Kind::Type ? tr("watch %1 grow: Trend on it; a snapshot with its heap graph (Heap Graph in the window, --graph in the "
                                                     "CLI) shows what holds it").arg(e.name)
                                           : tr("watch it grow: Trend");
}

QString nextCommand(const LeakReport &r, const LeakEntry &e)
{
    const QString file = r.files.isEmpty() ? QStringLiteral("FILE") : shellWord(r.files.first());
    if (e.next == LeakEntry::NextStep::References)
        return QStringLiteral("leakscope-cli backrefs %1 --type %2 -o refs.svg").arg(file, shellWord(e.target()));
    if (e.next == LeakEntry::NextStep::Allocations) {
        if (e.kind == LeakEntry::Kind::MemoryOutsidePython)
            return QStringLiteral("leakscope-cli allocations %1").arg(file);
        if (e.kind == LeakEntry::Kind::Container && e.objectId)
            return QStringLiteral("leakscope-cli allocations %1 --container %2").arg(file).arg(e.objectId);
        return QStringLiteral("leakscope-cli allocations %1 --type %2").arg(file, shellWord(e.target()));
    }
    if (e.kind == LeakEntry::Kind::MemoryOutsidePython)
        return QString();
    QStringList words{QStringLiteral("leakscope-cli compare")};
    for (const QString &f : r.files)
        words << shellWord(f);
    // compare prints a growing-containers section after the types.
    if (e.next != LeakEntry::NextStep::Containers)
        words << QStringLiteral("--json");
    return words.join(QLatin1Char(' '));
}

// The Summary view's link: leakscope:ACTION?type=NAME, or
// leakscope:containers?container=ID, or leakscope:allocations (no subject).
QString nextHref(const LeakEntry &e)
{
    if (e.next == LeakEntry::NextStep::Containers && e.objectId)
        return QStringLiteral("leakscope:containers?container=%1").arg(e.objectId);
    if (e.kind == LeakEntry::Kind::MemoryOutsidePython)
        return QStringLiteral("leakscope:%1").arg(nextWord(e.next));
    return QStringLiteral("leakscope:%1?type=%2")
        .arg(nextWord(e.next), QString::fromLatin1(QUrl::toPercentEncoding(e.target())));
}

QString header(const LeakReport &r)
{
    QStringList names;
    for (const QString &f : r.files)
        names << QFileInfo(f).fileName();
    QString what = r.entries.empty() ? tr("no leak found") : r.entries.size() == 1 ? tr("1 leak") : tr("%1 leaks").arg(r.entries.size());
    if (names.isEmpty())
        return tr("Leak report: %1").arg(what);
    return tr("Leak report: %1 in %2").arg(what, names.join(QStringLiteral(", ")));
}

QString span(const LeakReport &r)
{
    QString s = tr("snapshot %1 to %2 of %3").arg(r.baseline + 1).arg(r.current + 1).arg(r.snapshotCount);
    if (r.hasTimes && r.minutes > 0) {
        const double seconds = r.minutes * 60.0;
        s += QStringLiteral(", ")
            + (seconds < 120 ? tr("%1 s").arg(seconds, 0, 'f', 1) : tr("%1 min").arg(r.minutes, 0, 'f', 1));
    }
    if (r.hasGraph)
        s += tr("; heap graph of snapshot %1").arg(r.graphSnapshot + 1);
    else if (!r.graphNote.isEmpty())
        s += QStringLiteral("; ") + r.graphNote;
    return s;
}

QString retainedText(const LeakEntry &e)
{
    return e.retainedKnown ? tr("retained %1").arg(signedBytes(e.retainedGrowth)) : QString();
}

QString emptyText(const LeakReport &r)
{
    if (r.snapshotCount < 3)
        return tr("Take at least 3 snapshots to judge a trend (%1 so far).").arg(r.snapshotCount);
    return tr("No type grew steadily from snapshot %1 to %2.").arg(r.baseline + 1).arg(r.current + 1);
}

// ---------------------------------------------------------------- SVG

QString svgEscape(const QString &s)
{
    return s.toHtmlEscaped();
}

// Boxes left to right joined by arrows; the last box (the leak) highlighted.
QString chainSvg(const QStringList &steps)
{
    if (steps.isEmpty())
        return QString();
    const int charWidth = 7, pad = 10, gap = 34, height = 30, y = 8;
    std::vector<int> widths;
    int total = 8;
    for (const QString &s : steps) {
        const int w = int(std::min<qsizetype>(s.size(), 48)) * charWidth + 2 * pad;
        widths.push_back(w);
        total += w + gap;
    }
    total = total - gap + 8;
    QString out = QStringLiteral("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chain\" width=\"%1\" height=\"%2\" "
                                 "viewBox=\"0 0 %1 %2\" role=\"img\">")
                      .arg(total)
                      .arg(height + 2 * y);
    out += QStringLiteral("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" "
                          "markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#555\"/></marker></defs>");
    int x = 8;
    for (int i = 0; i < steps.size(); ++i) {
        const bool last = i + 1 == steps.size();
        QString text = steps.at(i);
        if (text.size() > 48)
            text = text.left(23) + QChar(0x2026) + text.right(24);
        out += QStringLiteral("<rect x=\"%1\" y=\"%2\" width=\"%3\" height=\"%4\" rx=\"5\" fill=\"%5\" stroke=\"%6\"/>")
                   .arg(x)
                   .arg(y)
                   .arg(widths[size_t(i)])
                   .arg(height)
                   .arg(last ? QStringLiteral("#fde2e1") : QStringLiteral("#eef2f7"),
                        last ? QStringLiteral("#c0392b") : QStringLiteral("#8a99ad"));
        out += QStringLiteral("<text x=\"%1\" y=\"%2\" font-family=\"monospace\" font-size=\"12\" text-anchor=\"middle\">%3</text>")
                   .arg(x + widths[size_t(i)] / 2)
                   .arg(y + 19)
                   .arg(svgEscape(text));
        x += widths[size_t(i)];
        if (!last)
            out += QStringLiteral("<line x1=\"%1\" y1=\"%2\" x2=\"%3\" y2=\"%2\" stroke=\"#555\" stroke-width=\"1.5\" "
                                  "marker-end=\"url(#arrow)\"/>")
                       .arg(x + 3)
                       .arg(y + height / 2)
                       .arg(x + gap - 3);
        x += gap;
    }
    out += QStringLiteral("</svg>");
    return out;
}

// Count per snapshot as a line with its first and last values; the baseline
// and current snapshots marked.
QString trendSvg(const LeakReport &r, const LeakEntry &e)
{
    const std::vector<qint64> &v = e.series;
    if (v.size() < 2)
        return QString();
    const int w = 320, h = 90, left = 46, right = 10, top = 10, bottom = 22;
    const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    const double minV = double(*lo), maxV = double(std::max(*hi, *lo + 1));
    const std::vector<double> &axis = r.timeAxis.size() == v.size() ? r.timeAxis : std::vector<double>();
    auto xOf = [&](size_t i) {
        const double t = axis.empty() ? double(i) : axis[i];
        const double t0 = axis.empty() ? 0.0 : axis.front();
        const double t1 = axis.empty() ? double(v.size() - 1) : axis.back();
        return left + (t1 > t0 ? (t - t0) / (t1 - t0) : 0.0) * (w - left - right);
    };
    auto yOf = [&](qint64 c) { return top + (1.0 - (double(c) - minV) / (maxV - minV)) * (h - top - bottom); };
    QString points;
    for (size_t i = 0; i < v.size(); ++i)
        points += QStringLiteral("%1,%2 ").arg(xOf(i), 0, 'f', 1).arg(yOf(v[i]), 0, 'f', 1);
    QString out = QStringLiteral("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"trend\" width=\"%1\" height=\"%2\" "
                                 "viewBox=\"0 0 %1 %2\" role=\"img\">")
                      .arg(w)
                      .arg(h);
    out += QStringLiteral("<line x1=\"%1\" y1=\"%2\" x2=\"%1\" y2=\"%3\" stroke=\"#999\"/>").arg(left).arg(top).arg(h - bottom);
    out += QStringLiteral("<line x1=\"%1\" y1=\"%2\" x2=\"%3\" y2=\"%2\" stroke=\"#999\"/>").arg(left).arg(h - bottom).arg(w - right);
    out += QStringLiteral("<text x=\"%1\" y=\"%2\" font-size=\"10\" font-family=\"sans-serif\" text-anchor=\"end\">%3</text>")
               .arg(left - 4)
               .arg(top + 8)
               .arg(qint64(maxV));
    out += QStringLiteral("<text x=\"%1\" y=\"%2\" font-size=\"10\" font-family=\"sans-serif\" text-anchor=\"end\">%3</text>")
               .arg(left - 4)
               .arg(h - bottom)
               .arg(qint64(minV));
    out += QStringLiteral("<text x=\"%1\" y=\"%2\" font-size=\"10\" font-family=\"sans-serif\">%3</text>")
               .arg(left)
               .arg(h - 6)
               .arg(tr("snapshot 1"));
    out += QStringLiteral("<text x=\"%1\" y=\"%2\" font-size=\"10\" font-family=\"sans-serif\" text-anchor=\"end\">%3</text>")
               .arg(w - right)
               .arg(h - 6)
               .arg(QString::number(v.size()));
    out += QStringLiteral("<polyline fill=\"none\" stroke=\"#c0392b\" stroke-width=\"2\" points=\"%1\"/>").arg(points.trimmed());
    for (const int mark : {r.baseline, r.current}) {
        if (mark >= 0 && size_t(mark) < v.size())
            out += QStringLiteral("<circle cx=\"%1\" cy=\"%2\" r=\"3\" fill=\"#c0392b\"/>")
                       .arg(xOf(size_t(mark)), 0, 'f', 1)
                       .arg(yOf(v[size_t(mark)]), 0, 'f', 1);
    }
    out += QStringLiteral("</svg>");
    return out;
}

// Text outside code spans: no accidental emphasis from __main__ or *args.
QString md(const QString &s)
{
    QString t;
    for (const QChar c : s) {
        if (QStringLiteral("\\`*_[]<>|#").contains(c))
            t += QLatin1Char('\\');
        t += c;
    }
    return t;
}

QString markdownCode(const QString &s)
{
    QString t = s;
    t.replace(QLatin1Char('`'), QLatin1Char('\''));
    t.replace(QLatin1Char('\n'), QLatin1Char(' '));
    return QLatin1Char('`') + t + QLatin1Char('`');
}

} // namespace

// ------------------------------------------------------------- ranking

bool LeakRanking::isBuiltin(const QString &typeName)
{
    return !typeName.isEmpty() && TypeRegistry::isBuiltinName(typeName);
}

bool LeakRanking::lessRow(const GrowthRow &a, const GrowthRow &b, const QString &nameA, const QString &nameB)
{
    if (a.verdict.suspect != b.verdict.suspect)
        return a.verdict.suspect;
    if (a.verdict.suspect) {
        const bool ba = isBuiltin(nameA), bb = isBuiltin(nameB);
        if (ba != bb)
            return !ba;
        if (a.verdict.score != b.verdict.score)
            return a.verdict.score > b.verdict.score;
    }
    if (a.deltaBaseline != b.deltaBaseline)
        return a.deltaBaseline > b.deltaBaseline;
    if (a.count != b.count)
        return a.count > b.count;
    return nameA < nameB;
}

void LeakRanking::sortRows(std::vector<GrowthRow> &rows, const TypeRegistry &types)
{
    std::sort(rows.begin(), rows.end(), [&types](const GrowthRow &a, const GrowthRow &b) {
        return lessRow(a, b, types.name(a.type), types.name(b.type));
    });
}

bool LeakRanking::lessEntry(const LeakEntry &a, const LeakEntry &b)
{
    const bool ba = a.kind == LeakEntry::Kind::Type && a.builtin;
    const bool bb = b.kind == LeakEntry::Kind::Type && b.builtin;
    if (ba != bb)
        return !ba;
    if (a.score != b.score)
        return a.score > b.score;
    const qint64 ra = a.retainedKnown ? a.retainedGrowth : a.growthBytes;
    const qint64 rb = b.retainedKnown ? b.retainedGrowth : b.growthBytes;
    if (ra != rb)
        return ra > rb;
    if (a.growth != b.growth)
        return a.growth > b.growth;
    return a.name < b.name;
}

// --------------------------------------------------------------- entries

QString LeakEntry::chainLine() const
{
    return chain.join(s_arrow);
}

QString LeakEntry::target() const
{
    return nextType.isEmpty() ? name : nextType;
}

QString LeakEntry::shortName() const
{
    if (kind != Kind::Type)
        return name;
    const qsizetype dot = name.lastIndexOf(QLatin1Char('.'));
    return dot >= 0 ? name.mid(dot + 1) : name;
}

namespace {

// Issue 14's growing containers: one entry per steadily growing container.
void addContainerEntries(const Session &session, LeakReport &r)
{
    for (int i = 0; i < r.snapshotCount && !r.containerTables; ++i)
        r.containerTables = session.snapshot(i).info.hasContainerPass;
    if (!r.containerTables)
        return;
    const ContainerComparison containers = ContainerAnalysis::compare(session, r.baseline, r.current);
    for (const ContainerRow &row : containers.rows) {
        if (!row.suspect)
            continue;
        LeakEntry e;
        e.kind = LeakEntry::Kind::Container;
        e.objectId = quint64(row.objectId);
        e.containerType = session.types().name(row.type);
        e.name = row.name;
        e.heldBy = row.heldBy;
        e.count = std::max<qint64>(0, row.itemsNow);
        e.baselineCount = e.count - row.deltaItems;
        e.growth = row.deltaItems;
        e.bytesKnown = row.payloadNow > 0; // items that are not payload (objects) measure 0
        e.growthBytes = row.deltaPayload;
        e.perSnapshot = row.itemsVerdict.slopePerSnapshot;
        e.perMinute = row.itemsVerdict.slopePerMinute;
        e.score = row.score;
        e.reason = row.reason;
        for (const qint64 items : row.items)
            e.series.push_back(std::max<qint64>(0, items));
        e.next = LeakEntry::NextStep::Containers;
        if (r.traced) {
            const AllocationReport sites = AllocationAnalysis::analyze(session, r.baseline, r.current, true,
                                                                       QString::number(row.objectId), 1);
            if (!sites.stacks.empty() && !sites.stacks.front().frames.empty())
                e.allocationSite = AllocationAnalysis::frameText(sites.stacks.front().frames.front());
        }
        r.entries.push_back(std::move(e));
    }
}

// Issue 14's memory outside Python objects: steady RSS growth that census
// bytes and container payloads do not explain.
void addMemoryOutsidePython(const Session &session, LeakReport &r)
{
    const RssCheck check = ContainerAnalysis::checkRss(session, r.current);
    if (!check.unexplained)
        return;
    LeakEntry e;
    e.kind = LeakEntry::Kind::MemoryOutsidePython;
    e.name = tr("memory outside Python objects");
    e.growthBytes = check.rssGrowth;
    e.explainedBytes = check.explainedGrowth;
    e.reason = check.message;
    const qint64 pid = session.snapshot(r.current).info.pid;
    qint64 first = -1;
    for (int i = 0; i <= r.current; ++i) {
        const SnapshotInfo &info = session.snapshot(i).info;
        const qint64 rss = info.pid == pid ? std::max<qint64>(0, info.rss) : 0;
        e.series.push_back(rss);
        if (first < 0 && info.pid == pid && info.rss >= 0)
            first = info.rss;
    }
    e.count = session.snapshot(r.current).info.rss;
    e.baselineCount = std::max<qint64>(0, first);
    // Between the user types and containers it explains nothing about and
    // the builtins: its own score is the share of RSS growth unexplained.
    e.score = check.rssGrowth > 0 ? 100.0 * double(check.rssGrowth - check.explainedGrowth) / double(check.rssGrowth) / 2.0
                                  : 0.0;
    e.next = LeakEntry::NextStep::Trend;
    if (r.traced) {
        const AllocationReport lines = AllocationAnalysis::analyze(session, r.baseline, r.current, false, QString(), 1);
        if (!lines.lines.empty() && !lines.lines.front().frames.empty()) {
            e.allocationSite = AllocationAnalysis::frameText(lines.lines.front().frames.front()) + QStringLiteral(" (")
                + signedBytes(lines.lines.front().deltaSize) + QLatin1Char(')');
            e.next = LeakEntry::NextStep::Allocations;
        }
    }
    r.entries.push_back(std::move(e));
}

} // namespace

LeakReport LeakReport::fromComparison(const Session &session, const Comparison &comparison)
{
    LeakReport r;
    r.snapshotCount = session.snapshotCount();
    r.baseline = comparison.baseline;
    r.current = comparison.current;
    r.hasTimes = session.hasTimes();
    r.timeAxis = session.timeAxis();
    if (r.hasTimes && size_t(r.current) < r.timeAxis.size() && size_t(r.baseline) < r.timeAxis.size())
        r.minutes = std::max(0.0, (r.timeAxis[size_t(r.current)] - r.timeAxis[size_t(r.baseline)]) / 60.0);
    if (r.snapshotCount == 0)
        return r;
    r.traced = session.snapshot(r.current).info.traced && session.snapshot(r.current).allocations;
    const bool sizes = session.snapshot(r.current).info.hasSizes && session.snapshot(r.baseline).info.hasSizes;
    for (const GrowthRow &row : comparison.rows) {
        if (!row.verdict.suspect)
            continue;
        LeakEntry e;
        e.kind = LeakEntry::Kind::Type;
        e.type = row.type;
        e.name = session.types().name(row.type);
        e.builtin = LeakRanking::isBuiltin(e.name);
        e.baselineCount = row.baselineCount;
        e.count = row.count;
        e.growth = row.deltaBaseline;
        e.growthBytes = row.deltaSize;
        e.bytesKnown = sizes;
        e.perSnapshot = row.verdict.slopePerSnapshot;
        e.perMinute = row.verdict.slopePerMinute;
        e.score = row.verdict.score;
        e.reason = row.verdict.reason;
        if (row.retained >= 0 && row.baselineRetained >= 0) {
            e.retainedKnown = true;
            e.retainedGrowth = row.deltaRetained;
        }
        e.series = session.countSeries(row.type);
        e.next = LeakEntry::NextStep::Trend;
        if (r.traced) {
            const AllocationReport sites = AllocationAnalysis::analyze(session, r.baseline, r.current, false, e.name, 1);
            if (!sites.stacks.empty() && !sites.stacks.front().frames.empty()) {
                e.allocationSite = AllocationAnalysis::frameText(sites.stacks.front().frames.front());
                e.next = LeakEntry::NextStep::Allocations;
            }
        }
        r.entries.push_back(std::move(e));
    }
    addContainerEntries(session, r);
    addMemoryOutsidePython(session, r);
    r.sortEntries();
    return r;
}

LeakReport LeakReport::fromSession(const Session &session, int baseline, int current)
{
    return fromComparison(session, GrowthAnalysis::compare(session, baseline, current));
}

void LeakReport::sortEntries()
{
    std::stable_sort(entries.begin(), entries.end(), &LeakRanking::lessEntry);
}

// -------------------------------------------------------------- renderings

QString LeakReport::toText() const
{
    QString out = header(*this) + QStringLiteral(" (") + span(*this) + QStringLiteral(")\n");
    if (entries.empty())
        return out + emptyText(*this) + QLatin1Char('\n');
    int n = 0;
    for (const LeakEntry &e : entries) {
        out += QStringLiteral("\n%1. %2").arg(++n).arg(e.name);
        if (e.kind != LeakEntry::Kind::Type)
            out += QStringLiteral(" [%1]").arg(kindWord(e.kind));
        out += QStringLiteral("  ") + totalGrowth(e);
        if (e.retainedKnown)
            out += QStringLiteral(", ") + retainedText(e);
        out += QLatin1Char('\n');
        out += tr("   growth: %1 -> %2; %3\n").arg(countText(e, e.baselineCount), countText(e, e.count), reasonText(e));
        if (!e.heldBy.isEmpty() && e.chain.isEmpty())
            out += tr("   held by: %1\n").arg(e.heldBy);
        if (!e.folded.empty())
            out += tr("   also:   %1\n").arg(foldedLine(e));
        if (!e.chain.isEmpty()) {
            out += tr("   chain:  %1\n").arg(e.chainLine());
            const QString suffix = chainSuffix(e);
            if (!suffix.isEmpty())
                out += QStringLiteral("           (%1)\n").arg(suffix);
        }
        if (!e.allocationSite.isEmpty())
            out += tr("   allocated at: %1\n").arg(e.allocationSite);
        out += tr("   next:   %1\n").arg(nextText(e));
        const QString command = nextCommand(*this, e);
        if (!command.isEmpty())
            out += QStringLiteral("           %1\n").arg(command);
    }
    return out;
}

QString LeakReport::toMarkdown() const
{
    QString out = QStringLiteral("# ") + md(header(*this)) + QStringLiteral("\n\n") + md(span(*this)) + QStringLiteral("\n");
    if (entries.empty())
        return out + QLatin1Char('\n') + md(emptyText(*this)) + QLatin1Char('\n');
    int n = 0;
    for (const LeakEntry &e : entries) {
        out += QStringLiteral("\n## %1. %2").arg(++n).arg(markdownCode(e.name));
        if (e.kind != LeakEntry::Kind::Type)
            out += QStringLiteral(" (%1)").arg(kindWord(e.kind));
        out += QStringLiteral("\n\n");
        out += tr("- **Growth:** %1").arg(md(totalGrowth(e)));
        if (e.retainedKnown)
            out += QStringLiteral(", ") + md(retainedText(e));
        out += QLatin1Char('\n');
        out += tr("- **Rate:** %1 → %2; %3\n").arg(countText(e, e.baselineCount), countText(e, e.count), md(reasonText(e)));
        if (!e.heldBy.isEmpty() && e.chain.isEmpty())
            out += tr("- **Held by:** %1\n").arg(markdownCode(e.heldBy));
        if (!e.folded.empty())
            out += tr("- **Also:** %1\n").arg(md(foldedLine(e)));
        if (!e.chain.isEmpty()) {
            out += tr("- **Chain:** %1").arg(markdownCode(e.chainLine()));
            const QString suffix = chainSuffix(e);
            if (!suffix.isEmpty())
                out += QStringLiteral(" (%1)").arg(md(suffix));
            out += QLatin1Char('\n');
        }
        if (!e.allocationSite.isEmpty())
            out += tr("- **Allocated at:** %1\n").arg(markdownCode(e.allocationSite));
        out += tr("- **Next:** %1").arg(md(nextText(e)));
        const QString command = nextCommand(*this, e);
        if (!command.isEmpty())
            out += QStringLiteral(": ") + markdownCode(command);
        out += QLatin1Char('\n');
    }
    return out;
}

// The window's Summary: the same facts, denser (the tab shares the window
// with the table), each next step a link.
QString compactHtml(const LeakReport &r)
{
    QString out = QStringLiteral("<p><b>%1</b> &nbsp;<span class=\"dim\">%2</span></p>\n")
                      .arg(header(r).toHtmlEscaped(), span(r).toHtmlEscaped());
    if (r.entries.empty())
        return out + QStringLiteral("<p>%1</p>\n").arg(emptyText(r).toHtmlEscaped());
    int n = 0;
    for (const LeakEntry &e : r.entries) {
        QString growth = totalGrowth(e).toHtmlEscaped();
        if (e.retainedKnown)
            growth += QStringLiteral(", ") + retainedText(e).toHtmlEscaped();
        out += QStringLiteral("<h2>%1. %2%3 &nbsp;<span class=\"growth\">%4</span></h2>\n")
                   .arg(++n)
                   .arg(e.name.toHtmlEscaped(),
                        e.kind == LeakEntry::Kind::Type ? QString()
                                                        : QStringLiteral(" <span class=\"dim\">(%1)</span>").arg(kindWord(e.kind)),
                        growth);
        out += QStringLiteral("<p class=\"entry\">");
        if (!e.chain.isEmpty()) {
            out += QStringLiteral("<code>%1</code>").arg(e.chainLine().toHtmlEscaped());
            const QString suffix = chainSuffix(e);
            if (!suffix.isEmpty())
                out += QStringLiteral(" <span class=\"dim\">(%1)</span>").arg(suffix.toHtmlEscaped());
            out += QStringLiteral("<br>");
        }
        out += QStringLiteral("%1 \u2192 %2; %3").arg(countText(e, e.baselineCount), countText(e, e.count), reasonText(e).toHtmlEscaped());
        if (!e.heldBy.isEmpty() && e.chain.isEmpty())
            out += QStringLiteral("<br>") + tr("Held by %1").arg(e.heldBy).toHtmlEscaped();
        if (!e.folded.empty())
            out += QStringLiteral("<br>") + tr("Also: %1").arg(foldedLine(e)).toHtmlEscaped();
        if (!e.allocationSite.isEmpty())
            out += QStringLiteral("<br>") + tr("Allocated at %1").arg(e.allocationSite).toHtmlEscaped();
        const QString href = nextHref(e);
        out += QStringLiteral("<br>") + tr("Next:") + QStringLiteral(" <a href=\"%1\">%2</a></p>\n")
                                                          .arg(href.toHtmlEscaped(), nextText(e).toHtmlEscaped());
    }
    return out;
}

QString LeakReport::toHtml(bool links) const
{
    if (links)
        return compactHtml(*this);
    QString out;
    if (!links) {
        out += QStringLiteral("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>%1</title>\n")
                   .arg(header(*this).toHtmlEscaped());
        out += QStringLiteral(
            "<style>\n"
            "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:60em;padding:0 1em;color:#222}\n"
            "h1{font-size:1.4em}h2{font-size:1.15em;margin-bottom:.3em}\n"
            ".entry{border:1px solid #ccd;border-radius:6px;padding:.6em 1em;margin:1em 0}\n"
            ".kind{color:#666;font-weight:normal;font-size:.85em}\n"
            "table{border-collapse:collapse}td{padding:.15em .8em .15em 0;vertical-align:top}\n"
            "td:first-child{color:#555;white-space:nowrap}code{font-size:.95em}\n"
            "svg{display:block;margin:.4em 0;max-width:100%}\n"
            "</style></head><body>\n");
    }
    out += QStringLiteral("<h1>%1</h1>\n<p>%2</p>\n").arg(header(*this).toHtmlEscaped(), span(*this).toHtmlEscaped());
    if (entries.empty()) {
        out += QStringLiteral("<p>%1</p>\n").arg(emptyText(*this).toHtmlEscaped());
    } else {
        int n = 0;
        for (const LeakEntry &e : entries) {
            out += links ? QStringLiteral("<h2>") : QStringLiteral("<div class=\"entry\">\n<h2>");
            out += QStringLiteral("%1. %2").arg(++n).arg(e.name.toHtmlEscaped());
            if (e.kind != LeakEntry::Kind::Type)
                out += QStringLiteral(" <span class=\"kind\">(%1)</span>").arg(kindWord(e.kind));
            out += QStringLiteral("</h2>\n<table>\n");
            auto row = [&out](const QString &key, const QString &valueHtml) {
                out += QStringLiteral("<tr><td>%1</td><td>%2</td></tr>\n").arg(key.toHtmlEscaped(), valueHtml);
            };
            QString growth = totalGrowth(e).toHtmlEscaped();
            if (e.retainedKnown)
                growth += QStringLiteral(", ") + retainedText(e).toHtmlEscaped();
            row(tr("Growth"), QStringLiteral("<b>%1</b>").arg(growth));
            row(tr("Rate"), QStringLiteral("%1 \u2192 %2; %3")
                                .arg(countText(e, e.baselineCount), countText(e, e.count), reasonText(e).toHtmlEscaped()));
            if (!e.heldBy.isEmpty() && e.chain.isEmpty())
                row(tr("Held by"), QStringLiteral("<code>%1</code>").arg(e.heldBy.toHtmlEscaped()));
            if (!e.folded.empty())
                row(tr("Also"), foldedLine(e).toHtmlEscaped());
            if (!e.chain.isEmpty()) {
                QString chain = QStringLiteral("<code>%1</code>").arg(e.chainLine().toHtmlEscaped());
                const QString suffix = chainSuffix(e);
                if (!suffix.isEmpty())
                    chain += QStringLiteral("<br><small>%1</small>").arg(suffix.toHtmlEscaped());
                row(tr("Chain"), chain);
            }
            if (!e.allocationSite.isEmpty())
                row(tr("Allocated at"), QStringLiteral("<code>%1</code>").arg(e.allocationSite.toHtmlEscaped()));
            if (links) {
                const QString href = nextHref(e);
                row(tr("Next"), QStringLiteral("<a href=\"%1\">%2</a>").arg(href.toHtmlEscaped(), nextText(e).toHtmlEscaped()));
            } else {
                QString next = nextText(e).toHtmlEscaped();
                const QString command = nextCommand(*this, e);
                if (!command.isEmpty())
                    next += QStringLiteral("<br><code>%1</code>").arg(command.toHtmlEscaped());
                row(tr("Next"), next);
            }
            out += QStringLiteral("</table>\n");
            if (!links) {
                out += chainSvg(e.chain);
                out += trendSvg(*this, e);
                out += QStringLiteral("</div>\n");
            }
        }
    }
    if (!links)
        out += QStringLiteral("</body></html>\n");
    return out;
}

QByteArray LeakReport::toJson() const
{
    QJsonObject root;
    root.insert(QStringLiteral("files"), QJsonArray::fromStringList(files));
    root.insert(QStringLiteral("snapshots"), snapshotCount);
    root.insert(QStringLiteral("baseline"), baseline + 1);
    root.insert(QStringLiteral("current"), current + 1);
    root.insert(QStringLiteral("minutes"), hasTimes ? QJsonValue(minutes) : QJsonValue(QJsonValue::Null));
    root.insert(QStringLiteral("traced"), traced);
    root.insert(QStringLiteral("heap_graph_snapshot"), hasGraph ? QJsonValue(graphSnapshot + 1) : QJsonValue(QJsonValue::Null));
    if (!hasGraph && !graphNote.isEmpty())
        root.insert(QStringLiteral("heap_graph_note"), graphNote);
    QJsonArray list;
    for (const LeakEntry &e : entries) {
        QJsonObject o;
        o.insert(QStringLiteral("kind"), kindWord(e.kind));
        o.insert(QStringLiteral("name"), e.name);
        o.insert(QStringLiteral("builtin"), e.builtin);
        if (e.kind == LeakEntry::Kind::Container) {
            o.insert(QStringLiteral("object_id"), e.objectId ? QJsonValue(qint64(e.objectId)) : QJsonValue(QJsonValue::Null));
            o.insert(QStringLiteral("container_type"),
                     e.containerType.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(e.containerType));
            o.insert(QStringLiteral("held_by"), e.heldBy.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(e.heldBy));
        }
        if (e.kind == LeakEntry::Kind::MemoryOutsidePython)
            o.insert(QStringLiteral("explained_bytes"), e.explainedBytes);
        o.insert(QStringLiteral("baseline_count"), e.baselineCount);
        o.insert(QStringLiteral("count"), e.count);
        o.insert(QStringLiteral("growth"), e.growth);
        o.insert(QStringLiteral("growth_bytes"), e.bytesKnown ? QJsonValue(e.growthBytes) : QJsonValue(QJsonValue::Null));
        o.insert(QStringLiteral("per_snapshot"), e.perSnapshot);
        o.insert(QStringLiteral("per_minute"), std::isnan(e.perMinute) ? QJsonValue(QJsonValue::Null) : QJsonValue(e.perMinute));
        o.insert(QStringLiteral("retained_growth"), e.retainedKnown ? QJsonValue(e.retainedGrowth) : QJsonValue(QJsonValue::Null));
        o.insert(QStringLiteral("score"), e.score);
        o.insert(QStringLiteral("reason"), e.reason);
        QJsonArray series;
        for (qint64 c : e.series)
            series.append(c);
        o.insert(QStringLiteral("counts"), series);
        QJsonArray folded;
        for (const LeakEntry::Folded &f : e.folded) {
            QJsonObject fo;
            fo.insert(QStringLiteral("type"), f.type);
            fo.insert(QStringLiteral("growth"), f.growth);
            fo.insert(QStringLiteral("how"), f.how);
            folded.append(fo);
        }
        o.insert(QStringLiteral("folded"), folded);
        o.insert(QStringLiteral("chain"), QJsonArray::fromStringList(e.chain));
        o.insert(QStringLiteral("chain_text"), e.chain.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(e.chainLine()));
        o.insert(QStringLiteral("chain_object"), e.chainObject.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(e.chainObject));
        o.insert(QStringLiteral("chain_object_new"), e.chainObjectNew);
        o.insert(QStringLiteral("allocation_site"), e.allocationSite.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(e.allocationSite));
        QJsonObject next;
        next.insert(QStringLiteral("action"), nextWord(e.next));
        next.insert(QStringLiteral("type"), e.kind == LeakEntry::Kind::MemoryOutsidePython || isTableContainer(e)
                                                ? QJsonValue(QJsonValue::Null)
                                                : QJsonValue(e.target()));
        if (e.kind == LeakEntry::Kind::Container && e.objectId)
            next.insert(QStringLiteral("container"), qint64(e.objectId));
        next.insert(QStringLiteral("text"), nextText(e));
        const QString command = nextCommand(*this, e);
        next.insert(QStringLiteral("command"), command.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(command));
        o.insert(QStringLiteral("next_step"), next);
        list.append(o);
    }
    root.insert(QStringLiteral("leaks"), list);
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

} // namespace leakscope
