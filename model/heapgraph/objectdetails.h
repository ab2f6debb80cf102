#pragma once

#include "core/agentreplies.h"
#include "core/expected.h"
#include "heapgraph/heapgraph.h"

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
    bool fromAgent = false; // asked of a live process: fields include str, int and other untracked values
    bool listed = true;     // false: an agent that gave counts only

    // The object with id `objectId` of `graph`; `dominators` (may be null)
    // gives its retained size. At most `limit` fields and referrers each.
    static Expected<ObjectDetails> fromGraph(const HeapGraph &graph, const DominatorTree *dominators,
                                             quint64 objectId, int limit = 500);
    // "__main__ globals → _REQUEST_LOG (dict) → ['r42'] → HttpRequest": the
    // shortest chain of references from a root (ReferenceChain,
    // LeakReportGraph::describeChain), or why there is none.
    static QString chainToRoot(const HeapGraph &graph, quint64 objectId);

    // From a live process without a heap graph: the agent's checked `object`
    // reply (Protocol::parseObject): type, label, size, its labelled fields
    // with safe values and its referrers. At most `limit` of each.
    static ObjectDetails fromAgentObject(const AgentReply::ObjectInfo &info, int limit = 500);
    // The agent's checked `chain` reply in the same words as chainToRoot.
    static QString fromAgentChain(const AgentReply::Chain &chain);
};

} // namespace leakscope
