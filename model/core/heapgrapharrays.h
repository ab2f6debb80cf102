#pragma once

#include "core/expected.h"
#include "core/taskcontrol.h"

#include <QString>
#include <QtGlobal>

#include <functional>
#include <vector>

namespace leakscope {

// Raw arrays of a heap graph as they come out of a file (packed little-endian
// BLOBs, see PackedArray) or out of a generator. Nothing here is trusted:
// HeapGraph::fromArrays checks every length, offset and index.
//
// This is the hand-over between the file side (lsnap reads and writes these)
// and the analysis side (heapgraph builds a HeapGraph from them), so neither
// library needs the other.
struct HeapGraphArrays
{
    // Bits of `flags` (HeapGraph::NodeFlag has the same values).
    enum NodeFlag : quint8 {
        ModuleRoot = 0x01,      // a module in sys.modules
        ClassRoot = 0x02,       // a class (type object)
        ThreadFrameRoot = 0x04, // the current frame of a thread
        OtherRoot = 0x08,       // anything else the dumper calls a root
        RootMask = 0x0F,
        KnownFlags = RootMask,
    };

    // One entry per node (n = ids.size()).
    std::vector<quint64> ids;        // object address / id(), unique
    std::vector<qint32> types;       // index into typeNames
    std::vector<quint64> sizes;      // shallow bytes; empty = all 0
    std::vector<quint8> flags;       // NodeFlag bits; empty = none
    std::vector<qint32> nodeLabels;  // index into strings or -1; empty = none

    // Out-edges in CSR form: the referents of node i are
    // edgeTargets[edgeOffsets[i] .. edgeOffsets[i+1]).
    std::vector<quint64> edgeOffsets; // n + 1 entries, [0] == 0, last == m
    std::vector<quint32> edgeTargets; // m node indices
    std::vector<qint32> edgeLabels;   // per edge: index into strings or -1; empty = none

    std::vector<QString> strings;     // label string table
    std::vector<QString> typeNames;   // type id -> qualified name

    // Sparse labels, as stored in the file's node_label / edge_label tables;
    // they fill nodeLabels / edgeLabels (sized on first use). False when the
    // index is out of range for the arrays set so far.
    bool addNodeLabel(quint64 node, const QString &text);
    bool addEdgeLabel(quint64 edge, const QString &text);
    // Marks nodes as roots (e.g. from the file's roots array); false when a
    // node is out of range.
    bool addFlags(const std::vector<quint32> &nodes, quint8 flag);
};

// Reads the arrays of the graph of snapshot `snapshotId` (the snapshot
// table's id) of the file `path`. The file side provides one
// (HeapGraphStore::readArrays); whoever loads graphs for analysis is handed
// one, so heapgraph never links SQLite.
using HeapGraphArraysReader =
    std::function<Expected<HeapGraphArrays>(const QString &path, qint64 snapshotId, const TaskControl &control)>;

} // namespace leakscope
