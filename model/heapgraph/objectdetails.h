#pragma once

#include "core/expected.h"
#include "heapgraph/heapgraph.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <vector>

namespace leakscope {

class DominatorTree;

// Everything the object inspector shows about one object of a heap graph:
// type, sizes, root kind, its fields (labelled referents: attributes, keys,
// items) with their values, and its referrers. Values are the graph's own
// labels (short, safe reprs the agent wrote without running the program's
// code) or "<type object at 0x…>". A plain value, built on any thread.
struct ObjectDetails
{
    struct Field
    {
        QString name;   // ".count", "['key']", "[3]", "__dict__"; empty when unlabelled
        quint64 id = 0;
        QString type;
        QString value;  // the referent's label, or "<type object at 0x…>"
        quint64 size = 0;
    };
    struct Referrer
    {
        quint64 id = 0;
        QString type;
        QString label;  // the referrer's label
        QString via;    // how it refers: ".attr", "['key']", "[3]"; for an
                        // instance's __dict__, "Owner.attr" of the instance
        quint64 ownerId = 0; // the instance whose __dict__ it is, or 0
    };

    quint64 id = 0;
    QString type;
    QString label;       // HeapGraph::describe
    quint64 size = 0;    // shallow, sys.getsizeof
    qint64 retained = -1; // -1 without a dominator tree
    QString rootKind;    // "module", "class", "thread frame", "root" or empty
    std::vector<Field> fields; // attributes of its __dict__ first, then its other referents
    quint32 fieldCount = 0;    // all of them (fields holds at most `limit`)
    std::vector<Referrer> referrers;
    quint32 referrerCount = 0;

    // The object with id `objectId` of `graph`; `dominators` (may be null)
    // gives its retained size. At most `limit` fields and referrers each.
    static Expected<ObjectDetails> fromGraph(const HeapGraph &graph, const DominatorTree *dominators,
                                             quint64 objectId, int limit = 500);
    // "__main__ globals → _REQUEST_LOG (dict) → ['r42'] → HttpRequest": the
    // shortest chain of references from a root (ReferenceChain,
    // LeakReportGraph::describeChain), or why there is none.
    static QString chainToRoot(const HeapGraph &graph, quint64 objectId);

    // From a live process without a heap graph: the agent's `object` reply
    // (docs/protocol.md): type, label, size and how many referents and
    // referrers, without the lists (they need a heap graph).
    static ObjectDetails fromAgentObject(const QJsonObject &result);
    // The agent's `chain` reply in the same words as chainToRoot.
    static QString fromAgentChain(const QJsonObject &result);
};

} // namespace leakscope
