#include "cli/containersreport.h"

#include "core/jsonwriter.h"
#include <limits>

#include "cli/textformat.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QJsonObject>

namespace leakscope {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("ContainersReport", text);
}

QString typeName(const Session &session, const ContainerRow &row)
{
    return session.types().name(row.type);
}

bool matches(const QRegularExpression *re, const Session &session, const ContainerRow &row)
{
    if (!re)
        return true;
    return re->match(row.name).hasMatch() || re->match(row.heldBy).hasMatch()
        || re->match(typeName(session, row)).hasMatch();
}

} // namespace

ContainersReport::ContainersReport(const Session &session, int baseline, int current)
    : m_session(session),
      m_comparison(ContainerAnalysis::compare(session, baseline, current)),
      m_rss(ContainerAnalysis::checkRss(session, current))
{
}

QString ContainersReport::text(int top, bool all) const
{
    QString out;
    if (m_comparison.anyContainerPass) {
        std::vector<const ContainerRow *> shown;
        int unchanged = 0;
        for (const ContainerRow &r : m_comparison.rows) {
            if (!all && !r.suspect && r.deltaItems == 0 && r.deltaPayload == 0) {
                ++unchanged;
                continue;
            }
            shown.push_back(&r);
        }
        const int total = int(m_comparison.rows.size());
        out += tr("\nGrowing containers (snapshot %1 against %2):\n").arg(m_comparison.current + 1).arg(m_comparison.baseline + 1);
        if (shown.empty()) {
            out += tr("No container grew (%1 large containers recorded; --all shows them).\n").arg(total);
        } else {
            if (int(shown.size()) > top)
                shown.resize(size_t(top));
            TextTable table({TextTable::Left, TextTable::Left, TextTable::Left, TextTable::Right, TextTable::Right,
                             TextTable::Right, TextTable::Right, TextTable::Left, TextTable::Left});
            table.addRow({tr("container"), tr("type"), tr("held by"), tr("items"), tr("Δ items"), tr("payload"),
                          tr("Δ payload"), tr("suspect"), tr("reason")});
            for (const ContainerRow *r : shown) {
                table.addRow({TextFormat::escape(r->name), TextFormat::escape(typeName(m_session, *r)),
                              r->heldBy.isEmpty() ? QStringLiteral("-") : TextFormat::escape(r->heldBy),
                              r->itemsNow >= 0 ? QString::number(r->itemsNow) : QStringLiteral("-"),
                              TextFormat::signedNumber(r->deltaItems),
                              r->payloadNow >= 0 ? (r->payloadEstimated ? QStringLiteral("~") : QString())
                                      + TextFormat::size(r->payloadNow)
                                                 : QStringLiteral("-"),
                              TextFormat::signedSize(r->deltaPayload),
                              r->suspect ? QStringLiteral("SUSPECT") : QString(), TextFormat::escape(r->reason)});
            }
            out += table.render();
            if (int(shown.size()) < total)
                out += tr("(%1 of %2 large containers shown; --all shows every one, --top N more rows)\n")
                           .arg(shown.size())
                           .arg(total);
        }
    }
    if (m_rss.unexplained)
        out += QLatin1Char('\n') + m_rss.message + QLatin1Char('\n');
    return out;
}

QJsonArray ContainersReport::json() const
{
    QJsonArray array;
    for (const ContainerRow &r : m_comparison.rows) {
        QJsonObject o;
        o.insert(QStringLiteral("id"), double(r.objectId));
        o.insert(QStringLiteral("type"), typeName(m_session, r));
        o.insert(QStringLiteral("held_by"), r.heldBy.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(r.heldBy));
        QJsonArray counts, payload;
        for (size_t i = 0; i < r.items.size(); ++i) {
            counts.append(r.items[i] >= 0 ? QJsonValue(double(r.items[i])) : QJsonValue(QJsonValue::Null));
            payload.append(r.payload[i] >= 0 ? QJsonValue(double(r.payload[i])) : QJsonValue(QJsonValue::Null));
        }
        o.insert(QStringLiteral("counts"), counts);
        o.insert(QStringLiteral("payload_bytes"), payload);
        o.insert(QStringLiteral("suspect"), r.suspect);
        o.insert(QStringLiteral("reason"), r.reason);
        array.append(o);
    }
    return array;
}

void ContainersReport::addToJson(QByteArray &json) const
{
    const qsizetype brace = json.lastIndexOf('}');
    if (brace < 0)
        return;
    QByteArray extra = ",\n    \"containers\": " + QJsonDocument(this->json()).toJson(QJsonDocument::Compact);
    extra += ",\n    \"memory_outside_python\": ";
    extra += m_rss.unexplained ? QJsonDocument(QJsonArray{m_rss.message}).toJson(QJsonDocument::Compact).mid(1).chopped(1)
                               : QByteArray("null");
    extra += '\n';
    // Before the closing brace, after the last member (and its whitespace).
    qsizetype end = brace;
    while (end > 0 && (json.at(end - 1) == '\n' || json.at(end - 1) == ' '))
        --end;
    json.insert(end, extra.chopped(1));
}

namespace {

void writeJsonValue(JsonWriter &w, const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::Object: {
        w.beginObject();
        const QJsonObject o = v.toObject();
        for (auto it = o.begin(); it != o.end(); ++it) {
            w.key(QStringView(it.key()));
            writeJsonValue(w, it.value());
        }
        w.endObject();
        break;
    }
    case QJsonValue::Array:
        w.beginArray();
        for (const QJsonValue &item : v.toArray())
            writeJsonValue(w, item);
        w.endArray();
        break;
    case QJsonValue::String:
        w.value(v.toString());
        break;
    case QJsonValue::Bool:
        w.value(v.toBool());
        break;
    case QJsonValue::Double: {
        // Counts and ids are integers; QJsonValue keeps them as doubles.
        const double d = v.toDouble();
        const qint64 i = v.toInteger(std::numeric_limits<qint64>::min());
        if (i != std::numeric_limits<qint64>::min() && double(i) == d)
            w.value(i);
        else
            w.value(d);
        break;
    }
    default:
        w.nullValue();
    }
}

} // namespace

void ContainersReport::writeJsonMembers(JsonWriter &w) const
{
    w.key("containers");
    writeJsonValue(w, json());
    w.key("memory_outside_python");
    if (m_rss.unexplained)
        w.value(m_rss.message);
    else
        w.nullValue();
}

QString ContainersReport::suspectMatching(const QRegularExpression *pattern) const
{
    for (const ContainerRow &r : m_comparison.rows) {
        if (r.suspect && matches(pattern, m_session, r))
            return r.reason;
    }
    return QString();
}

QString ContainersReport::growthAtLeast(qint64 threshold, const QRegularExpression *filter) const
{
    const ContainerRow *worst = nullptr;
    for (const ContainerRow &r : m_comparison.rows) {
        if (r.deltaItems < threshold || (worst && r.deltaItems <= worst->deltaItems))
            continue;
        if (!matches(filter, m_session, r))
            continue;
        worst = &r;
    }
    if (!worst)
        return QString();
    return tr("container %1 (%2) grew by %3 items (>= %4) from snapshot %5 to %6")
        .arg(worst->name, typeName(m_session, *worst))
        .arg(worst->deltaItems)
        .arg(threshold)
        .arg(m_comparison.baseline + 1)
        .arg(m_comparison.current + 1);
}

} // namespace leakscope
