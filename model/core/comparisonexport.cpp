#include "core/comparisonexport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <cmath>

namespace leakscope {

namespace {

QJsonValue jsonNumberOrNull(double v)
{
    return std::isfinite(v) ? QJsonValue(v) : QJsonValue(QJsonValue::Null);
}

QJsonValue takenAtValue(const SnapshotInfo &info)
{
    if (!info.takenAt.isValid())
        return QJsonValue(QJsonValue::Null);
    return QJsonValue(double(info.takenAt.toMSecsSinceEpoch()) / 1000.0);
}

// RFC 4180: quote fields that hold separators, quotes or line breaks.
QString csvField(const QString &s)
{
    if (!s.contains(QLatin1Char(',')) && !s.contains(QLatin1Char('"')) && !s.contains(QLatin1Char('\n'))
        && !s.contains(QLatin1Char('\r')))
        return s;
    QString q = s;
    q.replace(QLatin1Char('"'), QStringLiteral("\"\""));
    return QLatin1Char('"') + q + QLatin1Char('"');
}

} // namespace

QByteArray ComparisonExport::toJson(const Session &session, const Comparison &comparison)
{
    QJsonArray snapshots;
    for (int i = 0; i < session.snapshotCount(); ++i) {
        const Snapshot &s = session.snapshot(i);
        QJsonObject o;
        o.insert(QStringLiteral("index"), i);
        o.insert(QStringLiteral("id"), s.info.id);
        o.insert(QStringLiteral("label"), s.info.label.isNull() ? QJsonValue(QJsonValue::Null) : QJsonValue(s.info.label));
        o.insert(QStringLiteral("taken_at"), takenAtValue(s.info));
        o.insert(QStringLiteral("pid"), s.info.pid);
        o.insert(QStringLiteral("rss"), s.info.rss >= 0 ? QJsonValue(s.info.rss) : QJsonValue(QJsonValue::Null));
        o.insert(QStringLiteral("objects"), s.totalObjects());
        o.insert(QStringLiteral("source"), s.info.sourceFile);
        snapshots.append(o);
    }

    QJsonArray types;
    for (const GrowthRow &r : comparison.rows) {
        QJsonObject o;
        o.insert(QStringLiteral("name"), session.types().name(r.type));
        QJsonArray counts, sizes;
        for (int i = 0; i < session.snapshotCount(); ++i) {
            counts.append(session.count(i, r.type));
            sizes.append(session.size(i, r.type));
        }
        o.insert(QStringLiteral("counts"), counts);
        o.insert(QStringLiteral("sizes"), sizes);
        o.insert(QStringLiteral("count"), r.count);
        o.insert(QStringLiteral("delta"), r.deltaBaseline);
        o.insert(QStringLiteral("delta_previous"), r.deltaPrevious);
        o.insert(QStringLiteral("delta_first"), r.deltaFirst);
        o.insert(QStringLiteral("delta_percent"), jsonNumberOrNull(r.deltaPercent));
        o.insert(QStringLiteral("delta_peak"), r.deltaPeak);
        o.insert(QStringLiteral("size"), r.size);
        o.insert(QStringLiteral("delta_size"), r.deltaSize);
        o.insert(QStringLiteral("suspect"), r.verdict.suspect);
        o.insert(QStringLiteral("score"), r.verdict.score);
        o.insert(QStringLiteral("reason"), r.verdict.reason);
        o.insert(QStringLiteral("slope_per_snapshot"), jsonNumberOrNull(r.verdict.slopePerSnapshot));
        o.insert(QStringLiteral("slope_per_minute"), jsonNumberOrNull(r.verdict.slopePerMinute));
        o.insert(QStringLiteral("r2"), r.verdict.r2);
        // Only when the snapshots' heap graphs were analysed (the GUI).
        if (r.retained >= 0)
            o.insert(QStringLiteral("retained"), r.retained);
        if (r.baselineRetained >= 0)
            o.insert(QStringLiteral("baseline_retained"), r.baselineRetained);
        if (r.retained >= 0 && r.baselineRetained >= 0)
            o.insert(QStringLiteral("delta_retained"), r.deltaRetained);
        types.append(o);
    }

    QJsonObject root;
    root.insert(QStringLiteral("format"), QStringLiteral("leakscope-comparison"));
    root.insert(QStringLiteral("version"), 1);
    root.insert(QStringLiteral("baseline"), comparison.baseline);
    root.insert(QStringLiteral("current"), comparison.current);
    root.insert(QStringLiteral("snapshots"), snapshots);
    root.insert(QStringLiteral("types"), types);
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

QByteArray ComparisonExport::toCsv(const Session &session, const Comparison &comparison)
{
    QString out;
    QStringList header{QStringLiteral("type"), QStringLiteral("count"), QStringLiteral("delta_previous"),
                       QStringLiteral("delta_baseline"), QStringLiteral("delta_first"), QStringLiteral("delta_percent"),
                       QStringLiteral("size"), QStringLiteral("delta_size"), QStringLiteral("suspect"),
                       QStringLiteral("score"), QStringLiteral("reason")};
    // Retained columns only when some row has them (the GUI with heap graphs).
    const bool retained = std::any_of(comparison.rows.begin(), comparison.rows.end(),
                                      [](const GrowthRow &r) { return r.retained >= 0 || r.baselineRetained >= 0; });
    if (retained)
        header << QStringLiteral("retained") << QStringLiteral("delta_retained");
    for (int i = 0; i < session.snapshotCount(); ++i)
        header << QStringLiteral("count_%1").arg(i);
    out += header.join(QLatin1Char(',')) + QLatin1String("\r\n");
    for (const GrowthRow &r : comparison.rows) {
        QStringList f;
        f << csvField(session.types().name(r.type)) << QString::number(r.count) << QString::number(r.deltaPrevious)
          << QString::number(r.deltaBaseline) << QString::number(r.deltaFirst)
          << (std::isfinite(r.deltaPercent) ? QString::number(r.deltaPercent, 'f', 2) : QString())
          << QString::number(r.size) << QString::number(r.deltaSize)
          << (r.verdict.suspect ? QStringLiteral("1") : QStringLiteral("0")) << QString::number(r.verdict.score)
          << csvField(r.verdict.reason);
        if (retained)
            f << (r.retained >= 0 ? QString::number(r.retained) : QString())
              << (r.retained >= 0 && r.baselineRetained >= 0 ? QString::number(r.deltaRetained) : QString());
        for (int i = 0; i < session.snapshotCount(); ++i)
            f << QString::number(session.count(i, r.type));
        out += f.join(QLatin1Char(',')) + QLatin1String("\r\n");
    }
    return out.toUtf8();
}

} // namespace leakscope
