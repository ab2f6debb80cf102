#pragma once

#include "core/expected.h"
#include "core/heapgrapharrays.h"
#include "core/taskcontrol.h"

#include <QHash>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <limits>
#include <memory>
#include <utility>
#include <vector>

namespace leakscope {

// An immutable heap graph: objects with id, type, shallow size, root flags and
// label; referents as out-edges (CSR) and referrers as in-edges (CSR built in
// one counting-sort pass on load). Node and edge indices are uint32. Shared
// between threads as std::shared_ptr<const HeapGraph>.
class HeapGraph
{
public:
    enum NodeFlag : quint8 {
        ModuleRoot = HeapGraphArrays::ModuleRoot,           // a module in sys.modules
        ClassRoot = HeapGraphArrays::ClassRoot,             // a class (type object)
        ThreadFrameRoot = HeapGraphArrays::ThreadFrameRoot, // the current frame of a thread
        OtherRoot = HeapGraphArrays::OtherRoot,             // anything else the dumper calls a root
        RootMask = HeapGraphArrays::RootMask,
        KnownFlags = HeapGraphArrays::KnownFlags,
    };

    static constexpr quint32 NoNode = std::numeric_limits<quint32>::max();
    static constexpr quint32 NoEdge = std::numeric_limits<quint32>::max();

    HeapGraph() = default;
    // Move-only: a million-object graph is tens of megabytes; share it as
    // HeapGraphPtr instead of copying.
    HeapGraph(HeapGraph &&) = default;
    HeapGraph &operator=(HeapGraph &&) = default;
    HeapGraph(const HeapGraph &) = delete;
    HeapGraph &operator=(const HeapGraph &) = delete;

    // Validates every array (lengths, monotonic offsets, last offset == edge
    // count, targets < n, type and label indices in range, unique ids) and
    // builds the in-edges and the id index. The error names the array and the
    // first bad position; `what` (e.g. "run.lsnap, snapshot 3") prefixes it.
    static Expected<HeapGraph> fromArrays(HeapGraphArrays arrays, const QString &what = QString(),
                                          const TaskControl &control = {});
    // The graph of snapshot `snapshotId` of the file `path`: the arrays from
    // `reader` (for .lsnap files HeapGraphStore::readArrays), then
    // fromArrays() with "<path>, snapshot <id>" as `what`.
    static Expected<HeapGraph> read(const HeapGraphArraysReader &reader, const QString &path, qint64 snapshotId,
                                    const TaskControl &control = {});
    // The arrays this graph was built from (labels as indices into the
    // graph's string table, sizes widened back to 64 bits), e.g. to write it.
    HeapGraphArrays toArrays() const;

    quint32 nodeCount() const { return quint32(m_ids.size()); }
    quint32 edgeCount() const { return quint32(m_targets.size()); }

    quint64 id(quint32 node) const { return m_ids[node]; }
    qint32 type(quint32 node) const { return m_types[node]; }
    quint64 shallowSize(quint32 node) const
    {
        if (m_sizes.empty())
            return 0;
        const quint32 s = m_sizes[node];
        return s == s_bigSize ? bigSize(node) : s;
    }
    quint8 flags(quint32 node) const { return m_flags.empty() ? 0 : m_flags[node]; }
    bool isRoot(quint32 node) const { return flags(node) & RootMask; }
    QString label(quint32 node) const; // empty when none
    // The label as a person wants to read it: a module's namespace dict
    // ("dict (21 items)" in the file) says whose globals it holds:
    // "__main__ globals (21 items)".
    QString describe(quint32 node) const;
    // "__main__ globals (21 items)" for the dict labelled dictLabel that the
    // module labelled moduleLabel ("module __main__") holds as its __dict__;
    // empty when the labels do not have those shapes.
    static QString namespaceLabel(const QString &dictLabel, const QString &moduleLabel);
    qint32 labelIndex(quint32 node) const { return m_nodeLabels.empty() ? -1 : m_nodeLabels[node]; }

    // Referents: out-edge e in [outBegin, outEnd) points to target(e).
    quint32 outBegin(quint32 node) const { return m_outOffsets[node]; }
    quint32 outEnd(quint32 node) const { return m_outOffsets[node + 1]; }
    quint32 target(quint32 edge) const { return m_targets[edge]; }
    QString edgeLabel(quint32 edge) const; // empty when none
    qint32 edgeLabelIndex(quint32 edge) const { return m_edgeLabels.empty() ? -1 : m_edgeLabels[edge]; }

    // Referrers: in-edge i in [inBegin, inEnd) comes from inSource(i) along
    // out-edge inEdge(i). Sorted by source index, then by out-edge.
    quint32 inBegin(quint32 node) const { return m_inOffsets[node]; }
    quint32 inEnd(quint32 node) const { return m_inOffsets[node + 1]; }
    quint32 inSource(quint32 i) const { return m_inSources[i]; }
    quint32 inEdge(quint32 i) const { return m_inEdges[i]; }
    quint32 inDegree(quint32 node) const { return inEnd(node) - inBegin(node); }
    quint32 outDegree(quint32 node) const { return outEnd(node) - outBegin(node); }

    const QString &string(qint32 index) const { return m_strings[size_t(index)]; }
    int stringCount() const { return int(m_strings.size()); }

    int typeCount() const { return int(m_typeNames.size()); }
    const QString &typeName(qint32 type) const { return m_typeNames[size_t(type)]; }
    qint32 findType(const QString &name) const; // -1 when unknown; O(1)
    const std::vector<QString> &typeNames() const { return m_typeNames; }

    quint32 findNode(quint64 id) const; // NoNode when absent; O(log n)
    std::vector<quint32> nodesOfType(qint32 type) const;
    quint64 instanceCount(qint32 type) const;

    // Up to k instances of the type, preferring those whose id is not in
    // `baseline` (objects new since the baseline snapshot, like objgraph's
    // get_new_ids), then in node order. Deterministic.
    std::vector<quint32> sampleInstances(qint32 type, int k, const HeapGraph *baseline = nullptr) const;

    // Bytes held by the arrays and strings (capacity, not size).
    quint64 memoryBytes() const;
    // The same without the label and type name strings.
    quint64 arrayBytes() const;

private:
    // Sizes are kept as uint32; the rare object of 4 GiB or more is marked
    // and looked up in a side table.
    static constexpr quint32 s_bigSize = std::numeric_limits<quint32>::max();
    quint64 bigSize(quint32 node) const;

    std::vector<quint64> m_ids;
    std::vector<qint32> m_types;
    std::vector<quint32> m_sizes;
    std::vector<std::pair<quint32, quint64>> m_bigSizes; // node -> size, sorted
    std::vector<quint8> m_flags;
    std::vector<qint32> m_nodeLabels;
    std::vector<quint32> m_outOffsets; // n + 1
    std::vector<quint32> m_targets;    // m
    std::vector<qint32> m_edgeLabels;  // m or empty
    std::vector<quint32> m_inOffsets;  // n + 1
    std::vector<quint32> m_inSources;  // m
    std::vector<quint32> m_inEdges;    // m: the out-edge each in-edge mirrors
    std::vector<quint32> m_byId;       // node indices sorted by id
    std::vector<QString> m_strings;
    std::vector<QString> m_typeNames;
    QHash<QString, qint32> m_typeIds;
};

using HeapGraphPtr = std::shared_ptr<const HeapGraph>;

} // namespace leakscope
