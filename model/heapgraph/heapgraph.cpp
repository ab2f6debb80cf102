#include "heapgraph/heapgraph.h"

#include <QCoreApplication>

#include <algorithm>
#include <utility>

namespace leakscope {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("leakscope::HeapGraph", text);
}

// Every error names the source (when given), says it is the heap graph, and
// then the array and position that failed.
Expected<HeapGraph> fail(const QString &what, const QString &reason)
{
    const QString prefix = what.isEmpty() ? tr("heap graph") : what + tr(": heap graph");
    return Expected<HeapGraph>::failure(prefix + QStringLiteral(": ") + reason);
}

QString num(quint64 v) { return QString::number(v); }
QString num(qint64 v) { return QString::number(v); }

// Checks an optional per-element array: empty or exactly `expected` long.
bool optionalLengthOk(size_t actual, size_t expected)
{
    return actual == 0 || actual == expected;
}

QString lengthMismatch(const char *array, size_t actual, size_t expected)
{
    return tr("array %1 has %2 entries, expected %3")
        .arg(QLatin1String(array), num(quint64(actual)), num(quint64(expected)));
}

// Checks label indices (-1 or a valid string index); returns the first bad
// position or -1.
qint64 firstBadLabel(const std::vector<qint32> &labels, size_t stringCount)
{
    const qint64 count = qint64(stringCount);
    for (size_t i = 0; i < labels.size(); ++i) {
        const qint32 l = labels[i];
        if (l < -1 || l >= count)
            return qint64(i);
    }
    return -1;
}

// Sorts (id, node) pairs by id, stable. Large inputs take an LSD radix sort
// over the 16-bit digits in which the ids differ at all (addresses share
// their top bits), several times faster than a comparison sort at 1M.
void sortById(std::vector<std::pair<quint64, quint32>> &pairs)
{
    const size_t n = pairs.size();
    if (n < 4096) {
        std::stable_sort(pairs.begin(), pairs.end(),
                         [](const auto &x, const auto &y) { return x.first < y.first; });
        return;
    }
    quint64 differing = 0;
    for (const auto &p : pairs)
        differing |= p.first ^ pairs[0].first;
    std::vector<std::pair<quint64, quint32>> scratch(n);
    std::vector<size_t> count(size_t(1) << 16);
    for (int shift = 0; shift < 64; shift += 16) {
        if (((differing >> shift) & 0xFFFF) == 0)
            continue;
        std::fill(count.begin(), count.end(), 0);
        for (const auto &p : pairs)
            ++count[(p.first >> shift) & 0xFFFF];
        size_t sum = 0;
        for (size_t &c : count) {
            const size_t here = c;
            c = sum;
            sum += here;
        }
        for (const auto &p : pairs)
            scratch[count[(p.first >> shift) & 0xFFFF]++] = p;
        pairs.swap(scratch);
    }
}

constexpr quint64 s_maxIndex = std::numeric_limits<quint32>::max() - 1; // max reserved for NoNode

} // namespace

Expected<HeapGraph> HeapGraph::fromArrays(HeapGraphArrays a, const QString &what, const TaskControl &control)
{
    const size_t n = a.ids.size();
    const size_t m = a.edgeTargets.size();

    if (n > s_maxIndex)
        return fail(what, tr("%1 nodes is more than this build handles (%2)").arg(num(quint64(n)), num(s_maxIndex)));
    if (m > s_maxIndex)
        return fail(what, tr("%1 edges is more than this build handles (%2)").arg(num(quint64(m)), num(s_maxIndex)));

    // Lengths first, so every later loop may index freely.
    if (a.types.size() != n)
        return fail(what, lengthMismatch("types", a.types.size(), n));
    if (!optionalLengthOk(a.sizes.size(), n))
        return fail(what, lengthMismatch("sizes", a.sizes.size(), n));
    if (!optionalLengthOk(a.flags.size(), n))
        return fail(what, lengthMismatch("flags", a.flags.size(), n));
    if (!optionalLengthOk(a.nodeLabels.size(), n))
        return fail(what, lengthMismatch("node_labels", a.nodeLabels.size(), n));
    if (a.edgeOffsets.size() != n + 1)
        return fail(what, lengthMismatch("edge_offsets", a.edgeOffsets.size(), n + 1));
    if (!optionalLengthOk(a.edgeLabels.size(), m))
        return fail(what, lengthMismatch("edge_labels", a.edgeLabels.size(), m));
    if (a.strings.size() > size_t(std::numeric_limits<qint32>::max()))
        return fail(what, tr("too many label strings"));
    if (a.typeNames.size() > size_t(std::numeric_limits<qint32>::max()))
        return fail(what, tr("too many types"));

    // Offsets: start at 0, never decrease, end at the edge count.
    if (a.edgeOffsets[0] != 0)
        return fail(what, tr("edge_offsets[0] is %1, expected 0").arg(num(a.edgeOffsets[0])));
    for (size_t i = 0; i < n; ++i) {
        if (a.edgeOffsets[i + 1] < a.edgeOffsets[i])
            return fail(what, tr("edge_offsets[%1] = %2 is below edge_offsets[%3] = %4 (offsets must not decrease)")
                                  .arg(num(quint64(i + 1)), num(a.edgeOffsets[i + 1]), num(quint64(i)),
                                       num(a.edgeOffsets[i])));
    }
    if (a.edgeOffsets[n] != m)
        return fail(what, tr("last edge offset is %1 but there are %2 edge targets")
                              .arg(num(a.edgeOffsets[n]), num(quint64(m))));
    if (control.cancelled())
        return fail(what, tr("loading cancelled"));

    for (size_t e = 0; e < m; ++e) {
        if (a.edgeTargets[e] >= n)
            return fail(what, tr("edge_targets[%1] = %2 is not a node (there are %3 nodes)")
                                  .arg(num(quint64(e)), num(quint64(a.edgeTargets[e])), num(quint64(n))));
    }
    const qint64 typeCount = qint64(a.typeNames.size());
    for (size_t i = 0; i < n; ++i) {
        if (a.types[i] < 0 || a.types[i] >= typeCount)
            return fail(what, tr("types[%1] = %2 is not a known type (there are %3 types)")
                                  .arg(num(quint64(i)), num(qint64(a.types[i])), num(typeCount)));
    }
    for (size_t i = 0; i < a.flags.size(); ++i) {
        if (a.flags[i] & ~quint8(KnownFlags))
            return fail(what, tr("flags[%1] = %2 has unknown bits").arg(num(quint64(i)), num(quint64(a.flags[i]))));
    }
    if (const qint64 bad = firstBadLabel(a.nodeLabels, a.strings.size()); bad >= 0)
        return fail(what, tr("node_labels[%1] = %2 is not a label string (there are %3)")
                              .arg(num(bad), num(qint64(a.nodeLabels[size_t(bad)])), num(quint64(a.strings.size()))));
    if (const qint64 bad = firstBadLabel(a.edgeLabels, a.strings.size()); bad >= 0)
        return fail(what, tr("edge_labels[%1] = %2 is not a label string (there are %3)")
                              .arg(num(bad), num(qint64(a.edgeLabels[size_t(bad)])), num(quint64(a.strings.size()))));
    if (control.cancelled())
        return fail(what, tr("loading cancelled"));
    control.report("validate", 1, 1);

    HeapGraph g;
    // Ids index: sort (id, node) pairs, which keeps the sort cache-friendly,
    // and detect duplicates on the way. Files usually list objects in gc
    // order, not id order, so the sorted shortcut rarely applies.
    g.m_byId.resize(n);
    if (std::is_sorted(a.ids.begin(), a.ids.end())) {
        for (size_t i = 0; i < n; ++i)
            g.m_byId[i] = quint32(i);
    } else {
        std::vector<std::pair<quint64, quint32>> pairs(n);
        for (size_t i = 0; i < n; ++i)
            pairs[i] = {a.ids[i], quint32(i)};
        sortById(pairs);
        for (size_t i = 0; i < n; ++i)
            g.m_byId[i] = pairs[i].second;
    }
    for (size_t i = 1; i < n; ++i) {
        if (a.ids[g.m_byId[i]] == a.ids[g.m_byId[i - 1]])
            return fail(what, tr("object id %1 appears twice (nodes %2 and %3)")
                                  .arg(num(a.ids[g.m_byId[i]]), num(quint64(g.m_byId[i - 1])),
                                       num(quint64(g.m_byId[i]))));
    }
    if (control.cancelled())
        return fail(what, tr("loading cancelled"));
    control.report("id index", 1, 1);

    g.m_outOffsets.resize(n + 1);
    for (size_t i = 0; i <= n; ++i)
        g.m_outOffsets[i] = quint32(a.edgeOffsets[i]);
    a.edgeOffsets = {};

    // In-edges by counting sort: count, prefix-sum into start positions, fill
    // (advancing each start to its end), then shift back by one slot.
    g.m_inOffsets.assign(n + 1, 0);
    for (size_t e = 0; e < m; ++e)
        ++g.m_inOffsets[a.edgeTargets[e] + 1];
    for (size_t i = 0; i < n; ++i)
        g.m_inOffsets[i + 1] += g.m_inOffsets[i];
    g.m_inSources.resize(m);
    g.m_inEdges.resize(m);
    const size_t step = std::max<size_t>(n / 64, 4096);
    for (size_t src = 0; src < n; ++src) {
        const quint32 end = g.m_outOffsets[src + 1];
        for (quint32 e = g.m_outOffsets[src]; e < end; ++e) {
            const quint32 pos = g.m_inOffsets[a.edgeTargets[e]]++;
            g.m_inSources[pos] = quint32(src);
            g.m_inEdges[pos] = e;
        }
        if (src % step == 0) {
            if (control.cancelled())
                return fail(what, tr("loading cancelled"));
            control.report("in-edges", qint64(src), qint64(n));
        }
    }
    for (size_t i = n; i > 0; --i)
        g.m_inOffsets[i] = g.m_inOffsets[i - 1];
    g.m_inOffsets[0] = 0;
    control.report("in-edges", qint64(n), qint64(n));

    g.m_ids = std::move(a.ids);
    g.m_types = std::move(a.types);
    if (!a.sizes.empty()) {
        g.m_sizes.resize(n);
        for (size_t i = 0; i < n; ++i) {
            if (a.sizes[i] >= s_bigSize) {
                g.m_sizes[i] = s_bigSize;
                g.m_bigSizes.emplace_back(quint32(i), a.sizes[i]);
            } else {
                g.m_sizes[i] = quint32(a.sizes[i]);
            }
        }
        a.sizes = {};
    }
    g.m_flags = std::move(a.flags);
    g.m_nodeLabels = std::move(a.nodeLabels);
    g.m_targets = std::move(a.edgeTargets);
    g.m_edgeLabels = std::move(a.edgeLabels);
    g.m_strings = std::move(a.strings);
    g.m_typeNames = std::move(a.typeNames);
    g.m_typeIds.reserve(qsizetype(g.m_typeNames.size()));
    for (size_t i = 0; i < g.m_typeNames.size(); ++i)
        if (!g.m_typeIds.contains(g.m_typeNames[i])) // the first of duplicate names wins
            g.m_typeIds.insert(g.m_typeNames[i], qint32(i));

    return g;
}

QString HeapGraph::label(quint32 node) const
{
    const qint32 l = labelIndex(node);
    return l < 0 ? QString() : m_strings[size_t(l)];
}

QString HeapGraph::namespaceLabel(const QString &dictLabel, const QString &moduleLabel)
{
    static const QString dictPrefix = QStringLiteral("dict (");
    static const QString modulePrefix = QStringLiteral("module ");
    if (!dictLabel.startsWith(dictPrefix) || !moduleLabel.startsWith(modulePrefix)
        || moduleLabel.size() == modulePrefix.size())
        return QString();
    return QStringLiteral("%1 globals %2").arg(moduleLabel.mid(modulePrefix.size()), dictLabel.mid(dictPrefix.size() - 1));
}

QString HeapGraph::describe(quint32 node) const
{
    const QString text = label(node);
    if (!text.startsWith(QLatin1String("dict (")))
        return text;
    const quint32 end = inEnd(node);
    for (quint32 j = inBegin(node); j < end; ++j) {
        const quint32 source = inSource(j);
        if (!(flags(source) & ModuleRoot) || edgeLabel(inEdge(j)) != QLatin1String("__dict__"))
            continue;
        const QString named = namespaceLabel(text, label(source));
        if (!named.isEmpty())
            return named;
    }
    return text;
}

QString HeapGraph::edgeLabel(quint32 edge) const
{
    const qint32 l = edgeLabelIndex(edge);
    return l < 0 ? QString() : m_strings[size_t(l)];
}

qint32 HeapGraph::findType(const QString &name) const
{
    return m_typeIds.value(name, -1);
}

quint32 HeapGraph::findNode(quint64 id) const
{
    const auto it = std::lower_bound(m_byId.begin(), m_byId.end(), id,
                                     [this](quint32 node, quint64 value) { return m_ids[node] < value; });
    if (it == m_byId.end() || m_ids[*it] != id)
        return NoNode;
    return *it;
}

std::vector<quint32> HeapGraph::nodesOfType(qint32 type) const
{
    std::vector<quint32> nodes;
    for (quint32 i = 0; i < nodeCount(); ++i) {
        if (m_types[i] == type)
            nodes.push_back(i);
    }
    return nodes;
}

quint64 HeapGraph::instanceCount(qint32 type) const
{
    return quint64(std::count(m_types.begin(), m_types.end(), type));
}

std::vector<quint32> HeapGraph::sampleInstances(qint32 type, int k, const HeapGraph *baseline) const
{
    std::vector<quint32> picked;
    if (k <= 0)
        return picked;
    std::vector<quint32> old;
    for (quint32 i = 0; i < nodeCount() && int(picked.size()) < k; ++i) {
        if (m_types[i] != type)
            continue;
        if (baseline && baseline->findNode(m_ids[i]) != NoNode) {
            if (int(old.size()) < k)
                old.push_back(i);
            continue;
        }
        picked.push_back(i);
    }
    for (size_t i = 0; i < old.size() && int(picked.size()) < k; ++i)
        picked.push_back(old[i]);
    return picked;
}

quint64 HeapGraph::bigSize(quint32 node) const
{
    const auto it = std::lower_bound(m_bigSizes.begin(), m_bigSizes.end(), node,
                                     [](const std::pair<quint32, quint64> &p, quint32 v) { return p.first < v; });
    return it != m_bigSizes.end() && it->first == node ? it->second : s_bigSize;
}

quint64 HeapGraph::arrayBytes() const
{
    auto bytes = [](const auto &v) { return quint64(v.capacity()) * sizeof(v[0]); };
    return bytes(m_ids) + bytes(m_types) + bytes(m_sizes) + bytes(m_bigSizes) + bytes(m_flags) + bytes(m_nodeLabels)
        + bytes(m_outOffsets) + bytes(m_targets) + bytes(m_edgeLabels) + bytes(m_inOffsets) + bytes(m_inSources)
        + bytes(m_inEdges) + bytes(m_byId);
}

quint64 HeapGraph::memoryBytes() const
{
    auto bytes = [](const auto &v) { return quint64(v.capacity()) * sizeof(v[0]); };
    quint64 total = arrayBytes() + bytes(m_strings) + bytes(m_typeNames);
    for (const QString &s : m_strings)
        total += quint64(s.capacity()) * sizeof(QChar);
    for (const QString &s : m_typeNames)
        total += quint64(s.capacity()) * sizeof(QChar);
    return total;
}

Expected<HeapGraph> HeapGraph::read(const HeapGraphArraysReader &reader, const QString &path, qint64 snapshotId,
                                     const TaskControl &control)
{
    Expected<HeapGraphArrays> arrays = reader(path, snapshotId, control);
    if (!arrays)
        return Expected<HeapGraph>::failure(arrays.error());
    return fromArrays(arrays.take(), tr("%1, snapshot %2").arg(path).arg(snapshotId), control);
}

HeapGraphArrays HeapGraph::toArrays() const
{
    HeapGraphArrays a;
    const quint32 n = nodeCount();
    const quint32 m = edgeCount();
    a.ids.resize(n);
    a.types.resize(n);
    a.sizes.resize(n);
    a.flags.resize(n);
    a.nodeLabels.resize(n);
    a.edgeOffsets.resize(size_t(n) + 1);
    a.edgeTargets.resize(m);
    a.edgeLabels.resize(m);
    for (quint32 i = 0; i < n; ++i) {
        a.ids[i] = id(i);
        a.types[i] = type(i);
        a.sizes[i] = shallowSize(i);
        a.flags[i] = flags(i);
        a.nodeLabels[i] = labelIndex(i);
        a.edgeOffsets[i] = outBegin(i);
    }
    a.edgeOffsets[n] = m;
    for (quint32 e = 0; e < m; ++e) {
        a.edgeTargets[e] = target(e);
        a.edgeLabels[e] = edgeLabelIndex(e);
    }
    a.strings.reserve(size_t(stringCount()));
    for (int i = 0; i < stringCount(); ++i)
        a.strings.push_back(string(i));
    a.typeNames = typeNames();
    return a;
}

} // namespace leakscope
