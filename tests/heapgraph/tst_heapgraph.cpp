// HeapGraph: building from raw arrays, the in-edge index, id lookup, and the
// rejection of every kind of corrupt array a file could hold.

#include "heapgraph/heapgraph.h"
#include "testutil/heapgraphtestutil.h"
#include "core/packedarray.h"

#include <QtTest>

#include <random>

using namespace leakscope;
using leakscope::test::GraphSpec;

class TestHeapGraph : public QObject
{
    Q_OBJECT

private:
    // module(0) -> dict(1) -> list(2) -> a(3), b(4); b -> a; a -> a (self loop)
    static GraphSpec small()
    {
        GraphSpec s;
        s.nodes = 5;
        s.typeNames = {QStringLiteral("module"), QStringLiteral("dict"), QStringLiteral("list"),
                       QStringLiteral("__main__.Item")};
        s.types = {0, 1, 2, 3, 3};
        s.sizes = {72, 232, 56, 48, 48};
        s.edge(0, 1, QStringLiteral("__dict__"));
        s.edge(1, 2, QStringLiteral("_CACHE"));
        s.edge(2, 3, QStringLiteral("[0]"));
        s.edge(2, 4, QStringLiteral("[1]"));
        s.edge(4, 3, QStringLiteral("peer"));
        s.edge(3, 3, QStringLiteral("me"));
        s.flags = {{0, HeapGraph::ModuleRoot}};
        s.labels = {{0, QStringLiteral("__main__")}, {3, QStringLiteral("<Item a>")}};
        return s;
    }

    enum Corruption {
        OffsetsDecrease,
        FirstOffsetNotZero,
        LastOffsetBelowEdgeCount,
        LastOffsetAboveEdgeCount,
        OffsetsOneShort,
        OffsetsOneTooMany,
        HugeOffsetInMiddle,
        TargetEqualsNodeCount,
        TargetMaxUint,
        TypeNegative,
        TypeTooLarge,
        NoTypeNames,
        NodeLabelTooLarge,
        NodeLabelBelowMinusOne,
        EdgeLabelTooLarge,
        TypesTooShort,
        SizesTooLong,
        FlagsTooShort,
        NodeLabelsTooShort,
        EdgeLabelsTooLong,
        UnknownFlagBits,
        DuplicateIds,
    };

private slots:
    void buildsInEdgesAndIndices()
    {
        auto built = HeapGraph::fromArrays(small().arrays());
        QVERIFY2(built.ok(), qPrintable(built.error()));
        const HeapGraph &g = built.value();
        QCOMPARE(g.nodeCount(), 5u);
        QCOMPARE(g.edgeCount(), 6u);
        QVERIFY(g.isRoot(0));
        QVERIFY(!g.isRoot(1));
        QCOMPARE(g.label(0), QStringLiteral("__main__"));
        QCOMPARE(g.label(1), QString());
        QCOMPARE(g.shallowSize(1), 232u);
        QCOMPARE(g.typeName(g.type(4)), QStringLiteral("__main__.Item"));

        // Node 3 is referred to by the list, by b and by itself, in source order.
        QCOMPARE(g.inDegree(3), 3u);
        QCOMPARE(g.inSource(g.inBegin(3)), 2u);
        QCOMPARE(g.inSource(g.inBegin(3) + 1), 3u);
        QCOMPARE(g.inSource(g.inBegin(3) + 2), 4u);
        QCOMPARE(g.edgeLabel(g.inEdge(g.inBegin(3))), QStringLiteral("[0]"));
        QCOMPARE(g.edgeLabel(g.inEdge(g.inBegin(3) + 1)), QStringLiteral("me"));
        QCOMPARE(g.edgeLabel(g.inEdge(g.inBegin(3) + 2)), QStringLiteral("peer"));
        QCOMPARE(g.inDegree(0), 0u);
        // Every in-edge mirrors an out-edge that points back at the node.
        quint64 inTotal = 0;
        for (quint32 v = 0; v < g.nodeCount(); ++v) {
            for (quint32 j = g.inBegin(v); j < g.inEnd(v); ++j) {
                QCOMPARE(g.target(g.inEdge(j)), v);
                const quint32 s = g.inSource(j);
                QVERIFY(g.inEdge(j) >= g.outBegin(s) && g.inEdge(j) < g.outEnd(s));
            }
            inTotal += g.inDegree(v);
        }
        QCOMPARE(inTotal, quint64(g.edgeCount()));

        QCOMPARE(g.findNode(g.id(4)), 4u);
        QCOMPARE(g.findNode(g.id(4) + 1), HeapGraph::NoNode);
        QCOMPARE(g.findType(QStringLiteral("list")), 2);
        QCOMPARE(g.findType(QStringLiteral("tuple")), -1);
        QCOMPARE(g.nodesOfType(3), (std::vector<quint32>{3, 4}));
        QCOMPARE(g.instanceCount(3), 2u);
        QVERIFY(g.memoryBytes() > 0);
    }

    void findsNodesByIdInAnyOrder()
    {
        GraphSpec s = small();
        HeapGraphArrays a = s.arrays();
        std::reverse(a.ids.begin(), a.ids.end()); // ids now descending
        auto built = HeapGraph::fromArrays(std::move(a));
        QVERIFY2(built.ok(), qPrintable(built.error()));
        for (quint32 v = 0; v < built.value().nodeCount(); ++v)
            QCOMPARE(built.value().findNode(built.value().id(v)), v);
    }

    // Large graphs take the radix sort path for the id index.
    void findsNodesByIdInLargeGraphs()
    {
        const quint32 n = 50000;
        HeapGraphArrays a;
        a.typeNames = {QStringLiteral("object")};
        a.types.assign(n, 0);
        a.edgeOffsets.assign(n + 1, 0);
        std::mt19937_64 rng(3);
        for (quint32 i = 0; i < n; ++i) // scrambled, differing in every 16-bit digit
            a.ids.push_back((rng() & ~quint64(0xF)) | i % 16);
        HeapGraphArrays duplicate = a;
        auto built = HeapGraph::fromArrays(std::move(a));
        QVERIFY2(built.ok(), qPrintable(built.error()));
        for (quint32 v = 0; v < n; ++v)
            QCOMPARE(built.value().findNode(built.value().id(v)), v);
        QCOMPARE(built.value().findNode(built.value().id(17) ^ 0x10), HeapGraph::NoNode);

        duplicate.ids[40000] = duplicate.ids[123];
        auto rejected = HeapGraph::fromArrays(std::move(duplicate));
        QVERIFY(!rejected.ok());
        QVERIFY2(rejected.error().contains(QStringLiteral("appears twice (nodes 123 and 40000)")),
                 qPrintable(rejected.error()));
    }

    void samplesNewInstancesFirst()
    {
        GraphSpec s = small();
        auto now = HeapGraph::fromArrays(s.arrays());
        QVERIFY(now.ok());
        // The baseline has only the first Item (same id as node 3 now).
        GraphSpec b;
        b.nodes = 1;
        auto base = b.arrays();
        base.ids[0] = now.value().id(3);
        auto baseline = HeapGraph::fromArrays(std::move(base));
        QVERIFY(baseline.ok());
        QCOMPARE(now.value().sampleInstances(3, 1, &baseline.value()), (std::vector<quint32>{4}));
        QCOMPARE(now.value().sampleInstances(3, 3, &baseline.value()), (std::vector<quint32>{4, 3}));
        QCOMPARE(now.value().sampleInstances(3, 1), (std::vector<quint32>{3}));
        QCOMPARE(now.value().sampleInstances(3, 0), std::vector<quint32>{});
    }

    void keepsSizesOf4GiBAndMore()
    {
        HeapGraphArrays a = small().arrays();
        a.sizes[1] = 0xffffffffull;      // exactly the uint32 marker value
        a.sizes[2] = 5ull << 30;         // a list of 5 GiB
        a.sizes[4] = 0xfffffffeull;
        auto built = HeapGraph::fromArrays(std::move(a));
        QVERIFY2(built.ok(), qPrintable(built.error()));
        QCOMPARE(built.value().shallowSize(1), 0xffffffffull);
        QCOMPARE(built.value().shallowSize(2), 5ull << 30);
        QCOMPARE(built.value().shallowSize(3), 48u);
        QCOMPARE(built.value().shallowSize(4), 0xfffffffeull);
    }

    void acceptsEmptyGraph()
    {
        HeapGraphArrays a;
        a.edgeOffsets = {0};
        auto built = HeapGraph::fromArrays(std::move(a));
        QVERIFY2(built.ok(), qPrintable(built.error()));
        QCOMPARE(built.value().nodeCount(), 0u);
        QCOMPARE(built.value().findNode(42), HeapGraph::NoNode);
    }

    void rejectsCorruptArrays_data()
    {
        QTest::addColumn<int>("corruption");
        QTest::addColumn<QString>("message");
        QTest::newRow("offsets decrease") << int(OffsetsDecrease) << QStringLiteral("must not decrease");
        QTest::newRow("first offset not zero") << int(FirstOffsetNotZero) << QStringLiteral("edge_offsets[0] is 1");
        QTest::newRow("last offset below edge count") << int(LastOffsetBelowEdgeCount)
                                                      << QStringLiteral("last edge offset is 5 but there are 6");
        QTest::newRow("last offset above edge count") << int(LastOffsetAboveEdgeCount)
                                                      << QStringLiteral("last edge offset is 7 but there are 6");
        QTest::newRow("offsets one entry short") << int(OffsetsOneShort)
                                                 << QStringLiteral("edge_offsets has 5 entries, expected 6");
        QTest::newRow("offsets one entry too many") << int(OffsetsOneTooMany)
                                                    << QStringLiteral("edge_offsets has 7 entries, expected 6");
        QTest::newRow("huge offset in the middle") << int(HugeOffsetInMiddle) << QStringLiteral("must not decrease");
        QTest::newRow("target equals node count") << int(TargetEqualsNodeCount)
                                                  << QStringLiteral("edge_targets[2] = 5 is not a node");
        QTest::newRow("target 0xffffffff") << int(TargetMaxUint)
                                           << QStringLiteral("edge_targets[0] = 4294967295 is not a node");
        QTest::newRow("type id negative") << int(TypeNegative) << QStringLiteral("types[1] = -1 is not a known type");
        QTest::newRow("type id past the type table") << int(TypeTooLarge)
                                                     << QStringLiteral("types[4] = 4 is not a known type");
        QTest::newRow("no type names at all") << int(NoTypeNames) << QStringLiteral("types[0] = 0 is not a known type");
        QTest::newRow("node label index past the strings") << int(NodeLabelTooLarge)
                                                           << QStringLiteral("node_labels[2] = 99 is not a label");
        QTest::newRow("node label index below -1") << int(NodeLabelBelowMinusOne)
                                                   << QStringLiteral("node_labels[1] = -2 is not a label");
        QTest::newRow("edge label index past the strings") << int(EdgeLabelTooLarge)
                                                           << QStringLiteral("edge_labels[5] = 8 is not a label");
        QTest::newRow("types array too short") << int(TypesTooShort)
                                               << QStringLiteral("types has 4 entries, expected 5");
        QTest::newRow("sizes array too long") << int(SizesTooLong) << QStringLiteral("sizes has 6 entries, expected 5");
        QTest::newRow("flags array too short") << int(FlagsTooShort)
                                               << QStringLiteral("flags has 4 entries, expected 5");
        QTest::newRow("node labels array too short") << int(NodeLabelsTooShort)
                                                     << QStringLiteral("node_labels has 4 entries, expected 5");
        QTest::newRow("edge labels array too long") << int(EdgeLabelsTooLong)
                                                    << QStringLiteral("edge_labels has 7 entries, expected 6");
        QTest::newRow("unknown flag bits") << int(UnknownFlagBits) << QStringLiteral("flags[2] = 128 has unknown bits");
        QTest::newRow("duplicate object ids") << int(DuplicateIds) << QStringLiteral("appears twice (nodes 1 and 3)");
    }

    void rejectsCorruptArrays()
    {
        QFETCH(int, corruption);
        QFETCH(QString, message);
        HeapGraphArrays a = small().arrays();
        QCOMPARE(a.edgeOffsets, (std::vector<quint64>{0, 1, 2, 4, 5, 6}));
        switch (Corruption(corruption)) {
        case OffsetsDecrease: a.edgeOffsets[3] = 1; break;
        case FirstOffsetNotZero: a.edgeOffsets[0] = 1; break;
        case LastOffsetBelowEdgeCount: a.edgeOffsets[5] = 5; break;
        case LastOffsetAboveEdgeCount: a.edgeOffsets[5] = 7; break;
        case OffsetsOneShort: a.edgeOffsets.pop_back(); break;
        case OffsetsOneTooMany: a.edgeOffsets.push_back(6); break;
        case HugeOffsetInMiddle: a.edgeOffsets[2] = quint64(1) << 40; break;
        case TargetEqualsNodeCount: a.edgeTargets[2] = 5; break;
        case TargetMaxUint: a.edgeTargets[0] = 0xffffffffu; break;
        case TypeNegative: a.types[1] = -1; break;
        case TypeTooLarge: a.types[4] = 4; break;
        case NoTypeNames: a.typeNames.clear(); break;
        case NodeLabelTooLarge: a.nodeLabels[2] = 99; break;
        case NodeLabelBelowMinusOne: a.nodeLabels[1] = -2; break;
        case EdgeLabelTooLarge: a.edgeLabels[5] = qint32(a.strings.size()); break;
        case TypesTooShort: a.types.pop_back(); break;
        case SizesTooLong: a.sizes.push_back(1); break;
        case FlagsTooShort: a.flags.pop_back(); break;
        case NodeLabelsTooShort: a.nodeLabels.pop_back(); break;
        case EdgeLabelsTooLong: a.edgeLabels.push_back(-1); break;
        case UnknownFlagBits: a.flags[2] = 0x80; break;
        case DuplicateIds: a.ids[3] = a.ids[1]; break;
        }
        auto built = HeapGraph::fromArrays(std::move(a), QStringLiteral("bad.lsnap, snapshot 2"));
        QVERIFY(!built.ok());
        QVERIFY2(built.error().startsWith(QStringLiteral("bad.lsnap, snapshot 2: heap graph: ")),
                 qPrintable(built.error()));
        QVERIFY2(built.error().contains(message), qPrintable(built.error()));
    }

    // Random corruption of every array, many times: each result is either a
    // clear error or a graph whose indices are all in range (asan watches).
    void randomCorruptionIsRejectedOrConsistent()
    {
        std::mt19937 rng(7);
        int rejected = 0;
        for (int round = 0; round < 400; ++round) {
            GraphSpec s;
            s.nodes = 30;
            s.typeNames = {QStringLiteral("a"), QStringLiteral("b")};
            for (quint32 i = 0; i < s.nodes; ++i)
                s.types.push_back(qint32(i % 2));
            for (int e = 0; e < 70; ++e)
                s.edge(rng() % s.nodes, rng() % s.nodes, e % 3 ? QString() : QStringLiteral("x"));
            s.labels = {{1, QStringLiteral("one")}};
            HeapGraphArrays a = s.arrays();
            const int hits = 1 + int(rng() % 3);
            for (int h = 0; h < hits; ++h) {
                switch (rng() % 5) {
                case 0: a.edgeOffsets[rng() % a.edgeOffsets.size()] = rng() % 90; break;
                case 1: a.edgeTargets[rng() % a.edgeTargets.size()] = rng() % 40; break;
                case 2: a.edgeLabels[rng() % a.edgeLabels.size()] = qint32(rng() % 40) - 2; break;
                case 3: a.types[rng() % a.types.size()] = qint32(rng() % 4) - 1; break;
                case 4: a.nodeLabels[rng() % a.nodeLabels.size()] = qint32(rng() % 5) - 2; break;
                }
            }
            auto built = HeapGraph::fromArrays(std::move(a));
            if (!built.ok()) {
                QVERIFY(built.error().startsWith(QStringLiteral("heap graph: ")));
                ++rejected;
                continue;
            }
            const HeapGraph &g = built.value();
            for (quint32 v = 0; v < g.nodeCount(); ++v) {
                for (quint32 e = g.outBegin(v); e < g.outEnd(v); ++e) {
                    QVERIFY(g.target(e) < g.nodeCount());
                    g.edgeLabel(e);
                }
                for (quint32 j = g.inBegin(v); j < g.inEnd(v); ++j)
                    QCOMPARE(g.target(g.inEdge(j)), v);
                g.label(v);
                g.typeName(g.type(v));
            }
        }
        QVERIFY(rejected > 100); // most random hits break something
    }

    void decodesPackedArrays_data()
    {
        QTest::addColumn<QByteArray>("blob");
        QTest::addColumn<int>("width");
        QTest::addColumn<qint64>("expected");
        QTest::addColumn<bool>("ok");
        QTest::addColumn<QString>("message");
        QTest::newRow("uint32 little-endian") << QByteArray::fromHex("0100000002000000") << 4 << qint64(2) << true
                                              << QString();
        QTest::newRow("uint64 little-endian") << QByteArray::fromHex("ffffffffffffff7f") << 8 << qint64(1) << true
                                              << QString();
        QTest::newRow("empty blob, no entries expected") << QByteArray() << 4 << qint64(0) << true << QString();
        QTest::newRow("any count accepted") << QByteArray(12, '\0') << 4 << qint64(-1) << true << QString();
        QTest::newRow("ragged length") << QByteArray(5, '\0') << 4 << qint64(-1) << false
                                       << QStringLiteral("5 bytes is not a whole number of 4-byte entries");
        QTest::newRow("count mismatch") << QByteArray(16, '\0') << 8 << qint64(3) << false
                                        << QStringLiteral("has 2 entries, expected 3");
        QTest::newRow("truncated uint64") << QByteArray(7, '\0') << 8 << qint64(1) << false
                                          << QStringLiteral("7 bytes is not a whole number of 8-byte entries");
    }

    void decodesPackedArrays()
    {
        QFETCH(QByteArray, blob);
        QFETCH(int, width);
        QFETCH(qint64, expected);
        QFETCH(bool, ok);
        QFETCH(QString, message);
        QString error;
        if (width == 4) {
            auto r = PackedArray::decode<quint32>(blob, QStringLiteral("edge_targets"), expected);
            QCOMPARE(r.ok(), ok);
            if (ok) {
                QCOMPARE(PackedArray::encode(r.value()), blob);
                if (blob.size() == 8)
                    QCOMPARE(r.value(), (std::vector<quint32>{1, 2}));
            }
            error = r.ok() ? QString() : r.error();
        } else {
            auto r = PackedArray::decode<quint64>(blob, QStringLiteral("ids"), expected);
            QCOMPARE(r.ok(), ok);
            if (ok) {
                QCOMPARE(PackedArray::encode(r.value()), blob);
                QCOMPARE(r.value().front(), quint64(0x7fffffffffffffffull));
            }
            error = r.ok() ? QString() : r.error();
        }
        if (!ok) {
            QVERIFY2(error.contains(message), qPrintable(error));
            QVERIFY2(error.contains(width == 4 ? QStringLiteral("edge_targets") : QStringLiteral("ids")),
                     qPrintable(error));
        }
    }

    void decodesOffsetsOfEitherWidth_data()
    {
        QTest::addColumn<QByteArray>("blob");
        QTest::addColumn<quint64>("count");
        QTest::addColumn<bool>("ok");
        const std::vector<quint64> wide = {0, 2, 5};
        const std::vector<quint32> narrow = {0, 2, 5};
        QTest::newRow("uint32 offsets") << PackedArray::encode(narrow) << quint64(3) << true;
        QTest::newRow("uint64 offsets") << PackedArray::encode(wide) << quint64(3) << true;
        QTest::newRow("neither width") << QByteArray(20, '\0') << quint64(3) << false;
        QTest::newRow("count so large that count*8 overflows") << PackedArray::encode(wide)
                                                                << (quint64(1) << 62) << false;
        QTest::newRow("zero count, empty blob") << QByteArray() << quint64(0) << true;
    }

    void decodesOffsetsOfEitherWidth()
    {
        QFETCH(QByteArray, blob);
        QFETCH(quint64, count);
        QFETCH(bool, ok);
        auto r = PackedArray::decodeOffsets(blob, QStringLiteral("edge_offsets"), count);
        QCOMPARE(r.ok(), ok);
        if (ok && count == 3)
            QCOMPARE(r.value(), (std::vector<quint64>{0, 2, 5}));
        if (!ok)
            QVERIFY2(r.error().contains(QStringLiteral("edge_offsets")), qPrintable(r.error()));
    }

    // The path a reader takes: BLOBs -> arrays -> graph.
    void roundTripsThroughBlobs()
    {
        const HeapGraphArrays a = small().arrays();
        const QByteArray ids = PackedArray::encode(a.ids);
        const QByteArray offsets = PackedArray::encode(std::vector<quint32>(a.edgeOffsets.begin(), a.edgeOffsets.end()));
        const QByteArray targets = PackedArray::encode(a.edgeTargets);
        HeapGraphArrays b = a;
        b.ids = PackedArray::decode<quint64>(ids, QStringLiteral("ids"), 5).take();
        b.edgeOffsets = PackedArray::decodeOffsets(offsets, QStringLiteral("edge_offsets"), 6).take();
        b.edgeTargets = PackedArray::decode<quint32>(targets, QStringLiteral("edge_targets")).take();
        auto g = HeapGraph::fromArrays(std::move(b));
        QVERIFY2(g.ok(), qPrintable(g.error()));
        QCOMPARE(g.value().edgeCount(), 6u);
        QCOMPARE(g.value().id(2), a.ids[2]);
    }

    void honoursCancel()
    {
        std::atomic_bool cancel{true};
        TaskControl control;
        control.cancel = &cancel;
        auto built = HeapGraph::fromArrays(small().arrays(), QString(), control);
        QVERIFY(!built.ok());
        QVERIFY2(built.error().contains(QStringLiteral("cancelled")), qPrintable(built.error()));
    }

    void sparseLabelHelpersCheckRanges()
    {
        HeapGraphArrays a = small().arrays();
        QVERIFY(!a.addNodeLabel(5, QStringLiteral("x")));
        QVERIFY(!a.addEdgeLabel(6, QStringLiteral("x")));
        QVERIFY(!a.addFlags({7}, HeapGraph::OtherRoot));
        QVERIFY(a.addFlags({4}, HeapGraph::OtherRoot));
        QCOMPARE(a.flags[4], quint8(HeapGraph::OtherRoot));
    }
};

QTEST_GUILESS_MAIN(TestHeapGraph)
#include "tst_heapgraph.moc"
