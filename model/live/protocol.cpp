#include "live/protocol.h"

#include "core/textutil.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonValue>
#include <QSet>

#include <algorithm>
#include <cmath>

namespace leakscope {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("Protocol", text);
}

// A JSON number that is a whole number a double holds exactly.
bool isWholeNumber(const QJsonValue &v)
{
    if (!v.isDouble())
        return false;
    const double d = v.toDouble();
    return std::isfinite(d) && d == std::floor(d) && std::fabs(d) <= 9007199254740992.0;
}

bool absentOrNull(const QJsonValue &v)
{
    return v.isUndefined() || v.isNull();
}

// The agent records the containers of at least 1,000 items and the 200
// longest; a reply listing far more is not one to believe.
constexpr int s_maxContainerRows = 100000;

QJsonArray idArray(const QList<qint64> &ids)
{
    QJsonArray out;
    for (qint64 id : ids)
        out.append(double(id));
    return out;
}

// Reads the fields of one reply object, remembering the first problem:
// required(...) fails when the key is missing, optional(...) only when it is
// present with another type. Strings and numbers may also be null where the
// protocol says so (optionalText).
class Fields
{
public:
    Fields(const QJsonObject &o, QString *error) : m_o(o), m_error(error) {}

    bool ok() const { return m_error->isEmpty(); }

    qint64 wholeNumber(const char *key, qint64 fallback, bool required, qint64 minimum = -(qint64(1) << 53))
    {
        const QJsonValue v = m_o.value(QLatin1String(key));
        if (v.isUndefined() && !required)
            return fallback;
        if (!isWholeNumber(v) || v.toDouble() < double(minimum)) {
            fail(v.isUndefined() ? tr("has no '%1'").arg(QLatin1String(key))
                                 : tr("has a '%1' that is not a whole number%2")
                                       .arg(QLatin1String(key),
                                            minimum > -(qint64(1) << 53) ? tr(" of at least %1").arg(minimum)
                                                                         : QString()));
            return fallback;
        }
        return qint64(v.toDouble());
    }

    double number(const char *key, double fallback)
    {
        const QJsonValue v = m_o.value(QLatin1String(key));
        if (absentOrNull(v))
            return fallback;
        if (!v.isDouble() || !std::isfinite(v.toDouble())) {
            fail(tr("has a '%1' that is not a number").arg(QLatin1String(key)));
            return fallback;
        }
        return v.toDouble();
    }

    // A string, or null/absent (then *present is false).
    QString text(const char *key, bool required = false, bool *present = nullptr)
    {
        const QJsonValue v = m_o.value(QLatin1String(key));
        if (present)
            *present = v.isString();
        if (absentOrNull(v)) {
            if (required)
                fail(tr("has no '%1'").arg(QLatin1String(key)));
            return QString();
        }
        if (!v.isString()) {
            fail(tr("has a '%1' that is not a string").arg(QLatin1String(key)));
            return QString();
        }
        return v.toString();
    }

    bool boolean(const char *key, bool fallback)
    {
        const QJsonValue v = m_o.value(QLatin1String(key));
        if (absentOrNull(v))
            return fallback;
        if (!v.isBool()) {
            fail(tr("has a '%1' that is not true or false").arg(QLatin1String(key)));
            return fallback;
        }
        return v.toBool();
    }

    QStringList strings(const char *key)
    {
        const QJsonValue v = m_o.value(QLatin1String(key));
        QStringList out;
        if (absentOrNull(v))
            return out;
        if (!v.isArray()) {
            fail(tr("has a '%1' that is not a list").arg(QLatin1String(key)));
            return out;
        }
        for (const QJsonValue &s : v.toArray()) {
            if (!s.isString()) {
                fail(tr("has a '%1' that holds something other than strings").arg(QLatin1String(key)));
                return {};
            }
            out << s.toString();
        }
        return out;
    }

    // A list that must be present.
    QJsonArray array(const char *key)
    {
        const QJsonValue v = m_o.value(QLatin1String(key));
        if (!v.isArray()) {
            fail(v.isUndefined() ? tr("has no '%1'").arg(QLatin1String(key))
                                 : tr("has a '%1' that is not a list").arg(QLatin1String(key)));
            return {};
        }
        return v.toArray();
    }

    void fail(const QString &what)
    {
        if (m_error->isEmpty())
            *m_error = what;
    }

private:
    const QJsonObject &m_o;
    QString *m_error;
};

template <typename T>
Expected<T> refuse(const QString &source, const char *op, const QString &what)
{
    return Expected<T>::failure(tr("%1: the agent's %2 reply %3").arg(source, QLatin1String(op), what));
}

// A node of a backrefs reply, or a step of a chain reply.
bool readRefNode(const QJsonValue &value, bool chainStep, Protocol::RefNode *node, QString *error)
{
    if (!value.isObject()) {
        *error = chainStep ? tr("has a step that is not an object") : tr("has a node that is not an object");
        return false;
    }
    const QJsonObject o = value.toObject();
    QString why;
    Fields f(o, &why);
    node->id = f.wholeNumber("id", 0, true);
    node->type = f.text("type");
    node->label = f.text("label");
    node->kind = f.text("kind");
    if (chainStep) {
        node->edge = f.text("edge", false, &node->hasEdge);
    } else {
        node->depth = int(std::clamp<qint64>(f.wholeNumber("depth", 0, false, 0), 0, 1 << 20));
        node->more = f.wholeNumber("more", 0, false, 0);
        node->offset = f.wholeNumber("offset", 0, false, 0);
        node->skipped = f.wholeNumber("skipped", 0, false, 0);
    }
    if (!why.isEmpty()) {
        *error = (chainStep ? tr("has a step that ") : tr("has a node that ")) + why;
        return false;
    }
    if (node->kind == QLatin1String("collapsed") ? node->id >= 0 : node->id <= 0) {
        *error = chainStep || node->kind != QLatin1String("collapsed")
                     ? tr("has a node whose id %1 is not a positive object id").arg(node->id)
                     : tr("has a \"+N more\" node whose id %1 is not negative").arg(node->id);
        return false;
    }
    return true;
}

} // namespace

namespace Protocol {

// ------------------------------------------------------------------ requests

AgentRequest hello()
{
    return {QStringLiteral("hello"), {}};
}

AgentRequest ping()
{
    return {QStringLiteral("ping"), {}};
}

AgentRequest census(bool collect, bool rememberIds, bool containers)
{
    QJsonObject p{{QStringLiteral("collect"), collect}};
    if (rememberIds)
        p.insert(QStringLiteral("remember_ids"), true);
    if (containers)
        p.insert(QStringLiteral("containers"), true);
    return {QStringLiteral("census"), p};
}

AgentRequest backrefs(const BackrefsQuery &q)
{
    QJsonObject p;
    if (!q.ids.isEmpty())
        p.insert(QStringLiteral("ids"), idArray(q.ids));
    else
        p.insert(QStringLiteral("type"), q.type);
    p.insert(QStringLiteral("k"), q.k);
    p.insert(QStringLiteral("depth"), q.depth);
    p.insert(QStringLiteral("max_nodes"), q.maxNodes);
    if (q.fanIn)
        p.insert(QStringLiteral("fan_in"), *q.fanIn);
    if (q.baseline)
        p.insert(QStringLiteral("baseline"), *q.baseline);
    if (q.baselineIds)
        p.insert(QStringLiteral("baseline_ids"), idArray(*q.baselineIds));
    if (q.offset > 0)
        p.insert(QStringLiteral("offset"), double(q.offset));
    p.insert(QStringLiteral("skip_cycles"), q.skipCycles);
    return {QStringLiteral("backrefs"), p};
}

AgentRequest chainOfType(const QString &type, std::optional<bool> baseline)
{
    QJsonObject p{{QStringLiteral("type"), type}};
    if (baseline)
        p.insert(QStringLiteral("baseline"), *baseline);
    return {QStringLiteral("chain"), p};
}

AgentRequest chainOfObject(qint64 objectId)
{
    return {QStringLiteral("chain"), QJsonObject{{QStringLiteral("object_id"), double(objectId)}}};
}

AgentRequest instances(const QString &type, qint64 offset, qint64 limit)
{
    return {QStringLiteral("instances"), QJsonObject{{QStringLiteral("type"), type},
                                                     {QStringLiteral("offset"), double(offset)},
                                                     {QStringLiteral("limit"), double(limit)}}};
}

AgentRequest object(qint64 objectId)
{
    return {QStringLiteral("object"), QJsonObject{{QStringLiteral("object_id"), double(objectId)}}};
}

AgentRequest graphDump(const QString &absolutePath, const QString &label, bool collect)
{
    QJsonObject p{{QStringLiteral("path"), absolutePath}, {QStringLiteral("collect"), collect}};
    if (!label.isEmpty())
        p.insert(QStringLiteral("label"), label);
    return {QStringLiteral("graph_dump"), p};
}

AgentRequest stopServer()
{
    return {QStringLiteral("stop_server"), {}};
}

// ------------------------------------------------------------------- replies

Expected<Hello> parseHello(const QJsonObject &result, const QString &source)
{
    QString why;
    Fields f(result, &why);
    Hello h;
    h.protocol = int(std::clamp<qint64>(f.wholeNumber("protocol", 0, false, 1), 0, 1 << 30));
    h.agent = f.text("agent");
    h.pid = f.wholeNumber("pid", 0, false, 0);
    h.python = f.text("python");
    h.implementation = f.text("implementation");
    h.argv = f.strings("argv");
    h.executable = f.text("executable");
    h.startedAt = f.number("started_at", -1);
    h.uptime = f.number("uptime", -1);
    h.ops = f.strings("ops");
    if (!why.isEmpty())
        return refuse<Hello>(source, "hello", why);
    return h;
}

Expected<double> parsePing(const QJsonObject &result, const QString &source)
{
    QString why;
    Fields f(result, &why);
    if (!f.boolean("pong", false) && why.isEmpty())
        why = tr("has no 'pong'");
    const double time = f.number("time", 0);
    if (!why.isEmpty())
        return refuse<double>(source, "ping", why);
    return time;
}

Expected<LiveSnapshot> parseCensus(const QJsonObject &result, const QString &source)
{
    using R = Expected<LiveSnapshot>;
    auto bad = [&](const QString &what) { return R::failure(QStringLiteral("%1: %2").arg(source, what)); };
    const QJsonValue typesValue = result.value(QStringLiteral("types"));
    if (!typesValue.isArray())
        return bad(tr("census reply without a type list"));
    // Optional fields, when present, must have their documented types
    // (docs/protocol.md, "census"); null stands for "unknown".
    auto optionalNumber = [&](const char *key, bool whole) {
        const QJsonValue v = result.value(QLatin1String(key));
        return absentOrNull(v) || (whole ? isWholeNumber(v) : (v.isDouble() && std::isfinite(v.toDouble())));
    };
    for (const char *key : {"pid", "rss", "gc_objects", "gc_garbage"})
        if (!optionalNumber(key, true))
            return bad(tr("census field '%1' is not a whole number").arg(QLatin1String(key)));
    if (!optionalNumber("taken_at", false))
        return bad(tr("census field 'taken_at' is not a number"));
    const QJsonValue metaValue = result.value(QStringLiteral("meta"));
    if (!absentOrNull(metaValue) && !metaValue.isObject())
        return bad(tr("census field 'meta' is not an object"));
    const QJsonObject meta = metaValue.toObject();
    const QJsonValue argvValue = meta.value(QStringLiteral("argv"));
    if (!absentOrNull(argvValue)) {
        if (!argvValue.isArray())
            return bad(tr("census field 'meta.argv' is not a list"));
        for (const QJsonValue &a : argvValue.toArray())
            if (!a.isString())
                return bad(tr("census field 'meta.argv' holds something other than strings"));
    }
    const QJsonValue pythonValue = meta.value(QStringLiteral("python"));
    if (!absentOrNull(pythonValue) && !pythonValue.isString())
        return bad(tr("census field 'meta.python' is not a string"));

    LiveSnapshot live;
    Snapshot &s = live.snapshot;
    const double takenAt = result.value(QStringLiteral("taken_at")).toDouble(std::nan(""));
    if (std::isfinite(takenAt) && std::fabs(takenAt) < 1e11)
        s.info.takenAt = QDateTime::fromMSecsSinceEpoch(qint64(std::llround(takenAt * 1000.0)), Qt::UTC);
    s.info.pid = result.value(QStringLiteral("pid")).toInteger(0);
    s.info.rss = result.value(QStringLiteral("rss")).toInteger(-1);
    s.info.gcObjects = result.value(QStringLiteral("gc_objects")).toInteger(-1);
    s.info.gcGarbage = result.value(QStringLiteral("gc_garbage")).toInteger(-1);
    s.info.meta = meta;
    s.info.meta.insert(QStringLiteral("origin"), QStringLiteral("live"));
    s.info.pythonVersion = pythonValue.toString();
    for (const QJsonValue &a : argvValue.toArray())
        s.info.argv << a.toString();
    s.info.origin = SnapshotOrigin::Live;
    s.info.sourceFile = source;

    const QJsonArray types = typesValue.toArray();
    s.stats.reserve(size_t(types.size()));
    for (const QJsonValue &v : types) {
        if (!v.isArray())
            return bad(tr("malformed census row"));
        const QJsonArray row = v.toArray();
        if (row.size() < 2 || row.size() > 3 || !row.at(0).isString() || !isWholeNumber(row.at(1))
            || (row.size() > 2 && !isWholeNumber(row.at(2))))
            return bad(tr("malformed census row"));
        const qint64 count = row.at(1).toInteger(-1);
        const qint64 size = row.size() > 2 ? row.at(2).toInteger(-1) : 0;
        if (count < 0 || size < 0)
            return bad(tr("negative count in census"));
        s.stats.push_back(TypeStat{live.types.intern(row.at(0).toString()), count, size});
    }
    std::sort(s.stats.begin(), s.stats.end(), [](const TypeStat &a, const TypeStat &b) { return a.type < b.type; });
    const auto dup = std::adjacent_find(s.stats.begin(), s.stats.end(),
                                        [](const TypeStat &a, const TypeStat &b) { return a.type == b.type; });
    if (dup != s.stats.end())
        return bad(tr("census lists a type twice"));

    // The container pass (census with "containers": true): one row per
    // container, in the shape of the file's container table.
    const QJsonValue containersValue = result.value(QStringLiteral("containers"));
    if (!absentOrNull(containersValue)) {
        if (!containersValue.isArray())
            return bad(tr("census field 'containers' is not a list"));
        const QJsonArray rows = containersValue.toArray();
        if (rows.size() > s_maxContainerRows)
            return bad(tr("census lists %1 containers (at most %2)").arg(rows.size()).arg(s_maxContainerRows));
        auto optionalText = [](const QJsonValue &v) { return absentOrNull(v) || v.isString(); };
        auto text = [](const QJsonValue &v) {
            QString line = TextUtil::oneLine(v.toString());
            return line.size() > 300 ? line.left(299) + QChar(0x2026) : line;
        };
        s.containers.reserve(size_t(rows.size()));
        for (const QJsonValue &v : rows) {
            const QJsonArray row = v.toArray();
            if (!v.isArray() || row.size() != 11 || !isWholeNumber(row.at(0)) || !row.at(1).isString()
                || !row.at(2).isString() || !isWholeNumber(row.at(3)) || !isWholeNumber(row.at(4))
                || !(absentOrNull(row.at(5)) || isWholeNumber(row.at(5))) || !row.at(6).isBool()
                || !(absentOrNull(row.at(7)) || isWholeNumber(row.at(7))) || !optionalText(row.at(8))
                || !optionalText(row.at(9)) || !optionalText(row.at(10)))
                return bad(tr("malformed container row"));
            const QString kind = row.at(2).toString();
            if (kind != QLatin1String("container") && kind != QLatin1String("value"))
                return bad(tr("container row of unknown kind '%1'").arg(text(row.at(2))));
            ContainerStat c;
            c.objectId = row.at(0).toInteger();
            c.type = live.types.intern(row.at(1).toString());
            c.value = kind == QLatin1String("value");
            c.items = row.at(3).toInteger(-1);
            c.size = row.at(4).toInteger(-1);
            c.payloadBytes = absentOrNull(row.at(5)) ? -1 : row.at(5).toInteger(-1);
            c.payloadEstimated = row.at(6).toBool();
            c.previousItems = absentOrNull(row.at(7)) ? -1 : row.at(7).toInteger(-1);
            if (c.items < 0 || c.size < 0 || (!absentOrNull(row.at(5)) && c.payloadBytes < 0)
                || (!absentOrNull(row.at(7)) && c.previousItems < 0))
                return bad(tr("container row with a negative count or size"));
            c.heldBy = text(row.at(8));
            c.holderKind = text(row.at(9));
            c.holderType = text(row.at(10));
            s.containers.push_back(std::move(c));
        }
        s.info.hasContainerPass = true;
    }
    return live;
}

Expected<Backrefs> parseBackrefs(const QJsonObject &result, const QString &source)
{
    QString why;
    Fields f(result, &why);
    Backrefs b;
    b.truncated = f.boolean("truncated", false);
    b.skipped = f.wholeNumber("skipped", 0, false, 0);
    const QJsonArray nodes = f.array("nodes");
    const QJsonArray edges = f.array("edges");
    if (!why.isEmpty())
        return refuse<Backrefs>(source, "backrefs", why);
    b.nodes.reserve(size_t(nodes.size()));
    QSet<qint64> ids;
    for (const QJsonValue &v : nodes) {
        RefNode n;
        if (!readRefNode(v, false, &n, &why))
            return refuse<Backrefs>(source, "backrefs", why);
        ids.insert(n.id);
        b.nodes.push_back(std::move(n));
    }
    b.edges.reserve(size_t(edges.size()));
    for (const QJsonValue &v : edges) {
        if (!v.isObject())
            return refuse<Backrefs>(source, "backrefs", tr("has an edge that is not an object"));
        const QJsonObject o = v.toObject();
        Fields e(o, &why);
        RefEdge edge;
        edge.from = e.wholeNumber("from", 0, true);
        edge.to = e.wholeNumber("to", 0, true);
        edge.label = e.text("label", false, &edge.hasLabel);
        if (!why.isEmpty())
            return refuse<Backrefs>(source, "backrefs", tr("has an edge that ") + why);
        if (!ids.contains(edge.from) || !ids.contains(edge.to))
            return refuse<Backrefs>(source, "backrefs", tr("has an edge between unknown nodes"));
        b.edges.push_back(std::move(edge));
    }
    return b;
}

Expected<Chain> parseChain(const QJsonObject &result, const QString &source)
{
    QString why;
    Fields f(result, &why);
    Chain c;
    c.found = f.boolean("found", false);
    const QString end = f.text("end");
    const QJsonArray steps = f.array("chain");
    if (!why.isEmpty())
        return refuse<Chain>(source, "chain", why);
    if (end == QLatin1String("root"))
        c.end = Chain::End::Root;
    else if (end == QLatin1String("unreferenced"))
        c.end = Chain::End::Unreferenced;
    else if (end == QLatin1String("none") || (end.isEmpty() && steps.isEmpty()))
        c.end = Chain::End::None;
    else if (end.isEmpty())
        c.end = c.found ? Chain::End::Root : Chain::End::Unreferenced; // an agent before 'end'
    else
        return refuse<Chain>(source, "chain", tr("has an unknown 'end' '%1'").arg(end));
    if (c.end == Chain::End::None && !steps.isEmpty())
        return refuse<Chain>(source, "chain", tr("ends nowhere but lists steps"));
    if (c.end != Chain::End::None && steps.isEmpty())
        return refuse<Chain>(source, "chain", tr("has no steps"));
    c.steps.reserve(size_t(steps.size()));
    for (const QJsonValue &v : steps) {
        RefNode n;
        if (!readRefNode(v, true, &n, &why))
            return refuse<Chain>(source, "chain", why);
        c.steps.push_back(std::move(n));
    }
    return c;
}

Expected<Instances> parseInstances(const QJsonObject &result, const QString &source)
{
    QString why;
    Fields f(result, &why);
    Instances out;
    out.total = f.wholeNumber("total", 0, true, 0);
    out.offset = f.wholeNumber("offset", 0, false, 0);
    const QJsonArray items = f.array("items");
    if (!why.isEmpty())
        return refuse<Instances>(source, "instances", why);
    out.items.reserve(size_t(items.size()));
    for (const QJsonValue &v : items) {
        if (!v.isObject())
            return refuse<Instances>(source, "instances", tr("has an item that is not an object"));
        const QJsonObject o = v.toObject();
        Fields item(o, &why);
        Instances::Item i;
        i.id = item.wholeNumber("id", 0, true, 1);
        i.label = item.text("label");
        if (!why.isEmpty())
            return refuse<Instances>(source, "instances", tr("has an item that ") + why);
        out.items.push_back(std::move(i));
    }
    return out;
}

namespace {

// Texts from the agent are shown in one line, and never at any length.
constexpr int s_maxText = 300;

QString shown(const QString &text)
{
    QString line = TextUtil::oneLine(text);
    if (line.size() > s_maxText)
        line = line.left(s_maxText - 1) + QChar(0x2026);
    return line;
}

} // namespace

Expected<ObjectInfo> parseObject(const QJsonObject &result, const QString &source)
{
    QString why;
    Fields f(result, &why);
    ObjectInfo o;
    o.id = f.wholeNumber("id", 0, true, 1);
    o.type = shown(f.text("type", true));
    o.label = shown(f.text("label"));
    o.kind = shown(f.text("kind"));
    o.size = f.wholeNumber("size", 0, false, 0);
    o.root = f.boolean("root", false);
    o.referentsCount = f.wholeNumber("referents_count", 0, false, 0);
    o.referrersCount = f.wholeNumber("referrers_count", 0, false, 0);
    const QJsonValue fieldsValue = result.value(QStringLiteral("fields"));
    const QJsonValue referrersValue = result.value(QStringLiteral("referrers"));
    o.listed = !absentOrNull(fieldsValue) || !absentOrNull(referrersValue);
    o.fieldsCount = f.wholeNumber("fields_count", 0, false, 0);
    o.fieldsTruncated = f.boolean("fields_truncated", false);
    o.referrersTruncated = f.boolean("referrers_truncated", false);
    const QJsonArray fields = o.listed ? f.array("fields") : QJsonArray();
    const QJsonArray referrers = o.listed ? f.array("referrers") : QJsonArray();
    if (!why.isEmpty())
        return refuse<ObjectInfo>(source, "object", why);
    if (fields.size() > ObjectInfo::s_maxFields)
        return refuse<ObjectInfo>(source, "object",
                                  tr("lists %1 fields (at most %2)").arg(fields.size()).arg(ObjectInfo::s_maxFields));
    if (referrers.size() > ObjectInfo::s_maxReferrers)
        return refuse<ObjectInfo>(
            source, "object",
            tr("lists %1 referrers (at most %2)").arg(referrers.size()).arg(ObjectInfo::s_maxReferrers));
    o.fields.reserve(size_t(fields.size()));
    for (const QJsonValue &v : fields) {
        if (!v.isObject())
            return refuse<ObjectInfo>(source, "object", tr("has a field that is not an object"));
        const QJsonObject field = v.toObject();
        Fields r(field, &why);
        ObjectInfo::Field out;
        out.name = shown(r.text("name"));
        out.id = r.wholeNumber("id", 0, true, 1);
        out.type = shown(r.text("type", true));
        out.value = shown(r.text("value"));
        out.size = r.wholeNumber("size", 0, false, 0);
        if (!why.isEmpty())
            return refuse<ObjectInfo>(source, "object", tr("has a field that ") + why);
        o.fields.push_back(std::move(out));
    }
    o.referrers.reserve(size_t(referrers.size()));
    for (const QJsonValue &v : referrers) {
        if (!v.isObject())
            return refuse<ObjectInfo>(source, "object", tr("has a referrer that is not an object"));
        const QJsonObject referrer = v.toObject();
        Fields r(referrer, &why);
        ObjectInfo::Referrer out;
        out.id = r.wholeNumber("id", 0, true, 1);
        out.type = shown(r.text("type", true));
        out.label = shown(r.text("label"));
        out.kind = shown(r.text("kind"));
        out.edge = shown(r.text("edge"));
        out.heldAs = shown(r.text("held_as"));
        const QJsonValue ownerValue = referrer.value(QStringLiteral("owner"));
        if (!absentOrNull(ownerValue)) {
            if (!ownerValue.isObject()) {
                r.fail(tr("has an 'owner' that is not an object"));
            } else {
                const QJsonObject owner = ownerValue.toObject();
                Fields w(owner, &why);
                out.ownerId = w.wholeNumber("id", 0, true, 1);
                out.ownerType = shown(w.text("type", true));
            }
        }
        if (!why.isEmpty())
            return refuse<ObjectInfo>(source, "object", tr("has a referrer that ") + why);
        o.referrers.push_back(std::move(out));
    }
    // Counts never say less than the lists show.
    o.fieldsCount = std::max(o.fieldsCount, qint64(o.fields.size()));
    o.referrersCount = std::max(o.referrersCount, qint64(o.referrers.size()));
    return o;
}

Expected<qint64> parseGraphDump(const QJsonObject &result, const QString &path, const QString &source)
{
    using R = Expected<qint64>;
    const QJsonValue idValue = result.value(QStringLiteral("snapshot_id"));
    if (!isWholeNumber(idValue) || idValue.toDouble() < 1)
        return R::failure(tr("%1: the reply to graph_dump has no valid snapshot_id; nothing is known to "
                             "be written to %2")
                              .arg(source, path));
    const QJsonValue pathValue = result.value(QStringLiteral("path"));
    if (!pathValue.isUndefined() && (!pathValue.isString() || pathValue.toString() != path))
        return R::failure(tr("%1: the reply to graph_dump names another file than %2").arg(source, path));
    return qint64(idValue.toDouble());
}

Expected<StopServer> parseStopServer(const QJsonObject &result, const QString &source)
{
    QString why;
    Fields f(result, &why);
    StopServer s;
    s.stopping = f.boolean("stopping", false);
    s.path = f.text("path");
    if (why.isEmpty() && !s.stopping)
        why = tr("does not say it is stopping");
    if (!why.isEmpty())
        return refuse<StopServer>(source, "stop_server", why);
    return s;
}

} // namespace Protocol

} // namespace leakscope
