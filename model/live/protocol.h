#pragma once

#include "core/agentreplies.h"
#include "core/expected.h"
#include "core/snapshot.h"
#include "core/typeregistry.h"

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>
#include <vector>

namespace leakscope {

// Every message of the agent's live protocol (docs/protocol.md), built and
// parsed in one place. Builders return the request (op and parameters) for
// AgentClient::request/call; parsers turn a reply's `result` object into a
// typed value and trust nothing in it: a field of the wrong type, a missing
// key the caller relies on, or a value out of range fails with a sentence that
// names `source` (the process or socket) and what is wrong.
struct AgentRequest
{
    QString op;
    QJsonObject params;
};

// A census reply (op "census") turned into a snapshot with its own registry.
struct LiveSnapshot
{
    TypeRegistry types;
    Snapshot snapshot;
};

namespace Protocol {

// ------------------------------------------------------------------ requests

AgentRequest hello();
AgentRequest ping();
// census; rememberIds: the agent remembers the ids it saw (the baseline of
// backrefs/chain sampling).
// containers: the container pass of a snapshot too (the reply's
// "containers" rows; docs/protocol.md).
AgentRequest census(bool collect = true, bool rememberIds = false, bool containers = false);

// backrefs: either a type (a sample of k instances) or explicit object ids.
struct BackrefsQuery
{
    QString type;             // sample instances of this type, or:
    QList<qint64> ids;        // these objects
    int k = 3;
    int depth = 4;
    int maxNodes = 200;
    std::optional<int> fanIn; // the agent's default when unset
    std::optional<bool> baseline;
    std::optional<QList<qint64>> baselineIds;
    qint64 offset = 0;
    bool skipCycles = false;
};
AgentRequest backrefs(const BackrefsQuery &query);

AgentRequest chainOfType(const QString &type, std::optional<bool> baseline = std::nullopt);
AgentRequest chainOfObject(qint64 objectId);
AgentRequest instances(const QString &type, qint64 offset = 0, qint64 limit = 50);
AgentRequest object(qint64 objectId);
// graph_dump: `absolutePath` must be absolute (the agent refuses relative ones).
AgentRequest graphDump(const QString &absolutePath, const QString &label = QString(), bool collect = true);
AgentRequest stopServer();

// ------------------------------------------------------------------- replies

struct Hello
{
    int protocol = 0;
    QString agent;
    qint64 pid = 0;
    QString python;
    QString implementation;
    QStringList argv;
    QString executable;
    double startedAt = -1;
    double uptime = -1;
    QStringList ops;
};
Expected<Hello> parseHello(const QJsonObject &result, const QString &source);

// The agent's clock, seconds since the epoch.
Expected<double> parsePing(const QJsonObject &result, const QString &source);

// A census reply turned into a snapshot with its own registry (LiveSnapshot,
// above); every field is checked for its documented type.
Expected<LiveSnapshot> parseCensus(const QJsonObject &result, const QString &source);

// The heap replies' values live in core (AgentReply) so that heap-graph and
// layout code can use them without this library.
using RefNode = AgentReply::RefNode;
using RefEdge = AgentReply::RefEdge;
using Backrefs = AgentReply::Backrefs;
using Chain = AgentReply::Chain;
using ObjectInfo = AgentReply::ObjectInfo;

// Every edge must join nodes of the reply.
Expected<Backrefs> parseBackrefs(const QJsonObject &result, const QString &source);

Expected<Chain> parseChain(const QJsonObject &result, const QString &source);

struct Instances
{
    struct Item
    {
        qint64 id = 0;
        QString label;
    };
    qint64 total = 0;
    qint64 offset = 0;
    std::vector<Item> items;
};
Expected<Instances> parseInstances(const QJsonObject &result, const QString &source);

// Fields and referrers are checked (types, ids, at most ObjectInfo::s_maxFields
// and s_maxReferrers) and their texts made one line and cut; a reply without
// them (an older agent) gives counts only (listed false).
Expected<ObjectInfo> parseObject(const QJsonObject &result, const QString &source);

// The snapshot id of a graph_dump reply ({"snapshot_id": N, "path": P}) for a
// request that named `path`: N must be a whole number >= 1 and P, when
// present, the same path.
Expected<qint64> parseGraphDump(const QJsonObject &result, const QString &path, const QString &source);

struct StopServer
{
    bool stopping = false;
    QString path;
};
Expected<StopServer> parseStopServer(const QJsonObject &result, const QString &source);

} // namespace Protocol

} // namespace leakscope
