#pragma once

#include <QString>

#include <vector>

namespace leakscope {

// The live agent's replies about the heap (docs/protocol.md: backrefs, chain,
// object) as plain values. live/protocol.h parses and checks them once; the
// heap-graph and layout code build on these values and never read the JSON.
namespace AgentReply {

// A node of a backrefs reply or a step of a chain reply.
struct RefNode
{
    qint64 id = 0;       // object id; -1, -2, ... for "+N more" nodes
    QString type;
    QString label;
    QString kind;        // target, module, class, function, frame, object, collapsed
    int depth = 0;       // backrefs only
    qint64 more = 0;     // collapsed nodes: referrers not shown
    qint64 offset = 0;   // collapsed nodes: where they start
    qint64 skipped = 0;  // skip_cycles: referrers left out
    QString edge;        // chain only: the reference from the step above
    bool hasEdge = false;
};

struct RefEdge
{
    qint64 from = 0;
    qint64 to = 0;
    QString label;
    bool hasLabel = false;
};

struct Backrefs
{
    bool truncated = false;
    qint64 skipped = 0;
    std::vector<RefNode> nodes;
    std::vector<RefEdge> edges; // each joins two nodes of `nodes`
};

struct Chain
{
    enum class End { Root, Unreferenced, None };
    bool found = false;
    End end = End::None;
    std::vector<RefNode> steps; // root first
};

// The `object` op: one object with its labelled fields and its referrers.
struct ObjectInfo
{
    struct Field
    {
        QString name;        // ".attr", "['key']", "[3]"; empty when unlabelled
        qint64 id = 0;
        QString type;
        QString value;       // a safe short value; empty when the agent gave none
        qint64 size = 0;
    };
    struct Referrer
    {
        qint64 id = 0;
        QString type;
        QString label;
        QString kind;
        QString edge;        // its reference to the object; empty when unknown
        qint64 ownerId = 0;  // the instance whose __dict__ it is, or 0
        QString ownerType;
        QString heldAs;      // "module.global" when a module global holds it
    };
    static constexpr int s_maxFields = 200;
    static constexpr int s_maxReferrers = 50;

    qint64 id = 0;
    QString type;
    QString label;
    QString kind;
    qint64 size = 0;
    bool root = false;
    qint64 referentsCount = 0;
    qint64 referrersCount = 0;
    std::vector<Field> fields;       // at most s_maxFields
    qint64 fieldsCount = 0;          // all of them
    bool fieldsTruncated = false;
    std::vector<Referrer> referrers; // at most s_maxReferrers
    bool referrersTruncated = false;
    bool listed = false;             // the reply had the lists (agents before them only counted)
};

} // namespace AgentReply

} // namespace leakscope
