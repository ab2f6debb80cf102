#include "core/comparisonexport.h"

#include <QBuffer>
#include <QIODevice>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace leakscope {

namespace {

void writeTakenAt(JsonWriter &w, const SnapshotInfo &info)
{
    if (!info.takenAt.isValid())
        w.nullValue();
    else
        w.value(double(info.takenAt.toMSecsSinceEpoch()) / 1000.0);
}

// Keys in alphabetical order, as QJsonObject wrote them before the writer
// streamed: the bytes of a compact document stay as they were.
void writeSnapshot(JsonWriter &w, const Session &session, int i)
{
    const Snapshot &s = session.snapshot(i);
    w.beginObject();
    w.member("id", s.info.id);
    w.member("index", i + 1); // from 1, as the timeline shows
    w.key("label");
    w.stringOrNull(s.info.label);
    w.member("objects", s.totalObjects());
    w.member("pid", s.info.pid);
    w.key("rss");
    if (s.info.rss >= 0)
        w.value(s.info.rss);
    else
        w.nullValue();
    w.member("source", s.info.sourceFile);
    w.key("taken_at");
    writeTakenAt(w, s.info);
    w.endObject();
}

void writeType(JsonWriter &w, const Session &session, const GrowthRow &r)
{
    const int snapshots = session.snapshotCount();
    w.beginObject();
    if (r.baselineRetained >= 0)
        w.member("baseline_retained", r.baselineRetained);
    w.member("count", r.count);
    w.key("counts");
    w.beginArray();
    for (int i = 0; i < snapshots; ++i) {
        const TypeStat *s = session.stat(i, r.type);
        w.value(s ? s->count : qint64(0));
    }
    w.endArray();
    w.member("delta", r.deltaBaseline);
    w.member("delta_first", r.deltaFirst);
    w.member("delta_peak", r.deltaPeak);
    w.member("delta_percent", r.deltaPercent); // null when infinite (new type)
    w.member("delta_previous", r.deltaPrevious);
    // Only when the snapshots' heap graphs were analysed (the GUI).
    if (r.retained >= 0 && r.baselineRetained >= 0)
        w.member("delta_retained", r.deltaRetained);
    w.member("delta_size", r.deltaSize);
    w.member("name", session.types().name(r.type));
    w.member("r2", r.verdict.r2);
    w.member("reason", r.verdict.reason);
    if (r.retained >= 0)
        w.member("retained", r.retained);
    w.member("score", r.verdict.score);
    w.member("size", r.size);
    w.key("sizes");
    w.beginArray();
    for (int i = 0; i < snapshots; ++i) {
        const TypeStat *s = session.stat(i, r.type);
        w.value(s ? s->size : qint64(0));
    }
    w.endArray();
    w.member("slope_per_minute", r.verdict.slopePerMinute);
    w.member("slope_per_snapshot", r.verdict.slopePerSnapshot);
    w.member("suspect", r.verdict.suspect);
    w.endObject();
}

// RFC 4180: quote fields that hold separators, quotes or line breaks.
void appendCsvField(QByteArray &out, const QString &s)
{
    const QByteArray utf8 = s.toUtf8();
    if (!utf8.contains(',') && !utf8.contains('"') && !utf8.contains('\n') && !utf8.contains('\r')) {
        out += utf8;
        return;
    }
    out += '"';
    for (const char c : utf8) {
        if (c == '"')
            out += '"';
        out += c;
    }
    out += '"';
}

void appendNumber(QByteArray &out, qint64 v)
{
    char text[24];
    const std::to_chars_result r = std::to_chars(text, text + sizeof text, v);
    out.append(text, r.ptr - text);
}

} // namespace

void ComparisonExport::writeJson(JsonWriter &w, const Session &session, const Comparison &comparison,
                                 const ExtraMembers &extra)
{
    w.beginObject();
    w.member("baseline", comparison.baseline + 1);
    w.member("current", comparison.current + 1);
    w.member("format", "leakscope-comparison");
    w.key("snapshots");
    w.beginArray();
    for (int i = 0; i < session.snapshotCount() && w.ok(); ++i)
        writeSnapshot(w, session, i);
    w.endArray();
    w.key("types");
    w.beginArray();
    for (const GrowthRow &r : comparison.rows) {
        if (!w.ok())
            break; // the device failed: no point formatting the rest
        writeType(w, session, r);
    }
    w.endArray();
    w.member("version", 1);
    if (extra)
        extra(w);
    w.endObject();
}

bool ComparisonExport::writeCsv(QIODevice *device, const Session &session, const Comparison &comparison)
{
    QByteArray out;
    out.reserve(64 * 1024 + 4096);
    auto flush = [&out, device](bool force) {
        if (!force && out.size() < 64 * 1024)
            return true;
        const bool ok = device->write(out) == out.size();
        out.clear();
        return ok;
    };
    out += "type,count,delta_previous,delta_baseline,delta_first,delta_percent,size,delta_size,suspect,score,reason";
    // Retained columns only when some row has them (the GUI with heap graphs).
    const bool retained = std::any_of(comparison.rows.begin(), comparison.rows.end(),
                                      [](const GrowthRow &r) { return r.retained >= 0 || r.baselineRetained >= 0; });
    if (retained)
        out += ",retained,delta_retained";
    for (int i = 0; i < session.snapshotCount(); ++i) {
        out += ",count_";
        appendNumber(out, i);
        if (!flush(false))
            return false;
    }
    out += "\r\n";
    for (const GrowthRow &r : comparison.rows) {
        appendCsvField(out, session.types().name(r.type));
        for (qint64 v : {r.count, r.deltaPrevious, r.deltaBaseline, r.deltaFirst}) {
            out += ',';
            appendNumber(out, v);
        }
        out += ',';
        if (std::isfinite(r.deltaPercent))
            out += QByteArray::number(r.deltaPercent, 'f', 2);
        out += ',';
        appendNumber(out, r.size);
        out += ',';
        appendNumber(out, r.deltaSize);
        out += r.verdict.suspect ? ",1," : ",0,";
        out += QByteArray::number(r.verdict.score);
        out += ',';
        appendCsvField(out, r.verdict.reason);
        if (retained) {
            out += ',';
            if (r.retained >= 0)
                appendNumber(out, r.retained);
            out += ',';
            if (r.retained >= 0 && r.baselineRetained >= 0)
                appendNumber(out, r.deltaRetained);
        }
        for (int i = 0; i < session.snapshotCount(); ++i) {
            out += ',';
            appendNumber(out, session.count(i, r.type));
            if (!flush(false))
                return false;
        }
        out += "\r\n";
        if (!flush(false))
            return false;
    }
    return flush(true);
}

QByteArray ComparisonExport::toJson(const Session &session, const Comparison &comparison)
{
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    {
        JsonWriter w(&buffer, JsonWriter::Indented);
        writeJson(w, session, comparison);
        w.finish();
    }
    return bytes;
}

QByteArray ComparisonExport::toCsv(const Session &session, const Comparison &comparison)
{
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    writeCsv(&buffer, session, comparison);
    return bytes;
}

} // namespace leakscope
