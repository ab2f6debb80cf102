#pragma once

#include "core/expected.h"
#include "graphlayout/referencelayout.h"
#include "heapgraph/heapgraphrequest.h"
#include "heapgraph/referencesubgraph.h"
#include "live/protocol.h"

#include <QHash>
#include <QObject>
#include <QPointer>
#include <QStringList>

#include <vector>

namespace leakscope {

class LiveController;
class SessionController;

// Where the References tab's graph comes from: the compared snapshot's heap
// graph (FileReferenceSource) or a connected process (LiveReferenceSource).
// The panel asks a source for a graph and for the five actions on its nodes
// and draws what the source says; it never branches on the kind of source.
// Node indices are the source's own (ReferenceLayout node ids map to them
// through indexOf()).
class ReferenceSource : public QObject
{
    Q_OBJECT
public:
    struct Query
    {
        QString typeName;  // samples of this type, or:
        quint64 objectId = 0; // one object
        int depth = 4;
        int maxNodes = 200;
        bool skipCycles = true;
    };

    using QObject::QObject;

    // Starts drawing the graph of `query` from scratch; the result comes as
    // changed() or empty().
    virtual void load(const Query &query) = 0;
    virtual void cancel() {}
    // The graph to draw now; `layout().input.nodes` empty when there is none.
    virtual ReferenceLayout layout() const = 0;
    // The source's node index for a layout node id; -1 when it is not one of
    // its nodes (or stands for nothing any more).
    virtual int indexOf(const QString &layoutId) const = 0;
    // The info line's parts (HTML), in reading order.
    virtual QStringList infoParts() const = 0;
    // Instances of the queried type in the graph; -1 when the source cannot tell.
    virtual qint64 instanceCount() const { return -1; }

    // The actions on a node. Each answers by changed(anchor), notice(),
    // message() or instancesListed().
    virtual void expand(int index, const QString &anchorId) = 0;
    virtual void chainToRoot(int index, const QString &anchorId) = 0;
    virtual void hide(int index) = 0;
    virtual QString repr(int index) const = 0;
    virtual void listInstances(int index) = 0;
    // The object id of a node; 0 for "+N more" nodes.
    virtual quint64 objectId(int index) const = 0;

    static constexpr int s_samples = 3;
    static constexpr int s_maxListedInstances = 1000;

signals:
    // Draw layout() again, keeping `anchorId` where it was on screen.
    void changed(const QString &anchorId);
    // Nothing to draw; `text` says why (or what is being waited for).
    void empty(const QString &text);
    void instancesListed(const QString &title, const QStringList &items);
    void message(const QString &text); // an error
    // Information about one node; `anchorId` is the node it concerns (the
    // panel shows it next to the graph).
    void notice(const QString &text, const QString &anchorId = QString());
};

// The compared snapshot's heap graph, from the window's HeapGraphService:
// loaded with dominators and root paths (off the UI thread), drawn once.
class FileReferenceSource : public ReferenceSource
{
    Q_OBJECT
public:
    using Key = HeapGraphRequest::Key;

    FileReferenceSource(std::shared_ptr<HeapGraphService> graphs, QObject *parent = nullptr);

    // The snapshot to read from, and the baseline whose graph tells which
    // instances are new (hasBaseline false: none). Call before load().
    void setKeys(const Key &key, bool hasBaseline, const Key &baseline);
    const Key &key() const { return m_key; }
    bool isShowing(const Key &key, bool hasBaseline, const Key &baseline) const;

    void load(const Query &query) override;
    void cancel() override;
    // Draws the current subgraph again with new options (skip cycles).
    void rebuild(const Query &query);
    ReferenceLayout layout() const override;
    int indexOf(const QString &layoutId) const override;
    QStringList infoParts() const override;
    qint64 instanceCount() const override;
    void expand(int index, const QString &anchorId) override;
    void chainToRoot(int index, const QString &anchorId) override;
    void hide(int index) override;
    QString repr(int index) const override;
    void listInstances(int index) override;
    quint64 objectId(int index) const override;

    HeapGraphRequest *graphs() const { return m_graphs; }
    HeapGraphPtr graph() const { return m_analysed ? m_analysed->graph : nullptr; }
    const ReferenceSubgraph &subgraph() const { return m_sub; }

private:
    void build();
    BackrefOptions options() const;

    HeapGraphRequest *m_graphs;
    Key m_key;
    Key m_baselineKey;
    bool m_hasBaseline = false;
    Query m_query;
    bool m_waiting = false;
    AnalysedGraphPtr m_analysed; // the graph drawn, with its analyses
    AnalysedGraphPtr m_baseline;
    ReferenceSubgraph m_sub;
    int m_sampleCount = 0;
    quint64 m_instanceCount = 0;
    bool m_samplesNew = false;
    QStringList m_sampleIds;
    std::vector<int> m_chain;
    QString m_chainText;
};

// A connected process: the agent's backrefs, chain and instances ops (built
// and parsed by Protocol, model/live).
class LiveReferenceSource : public ReferenceSource
{
    Q_OBJECT
public:
    explicit LiveReferenceSource(QObject *parent = nullptr);

    void setLiveController(LiveController *live);
    bool isConnected() const;

    void load(const Query &query) override;
    void cancel() override;
    ReferenceLayout layout() const override;
    int indexOf(const QString &layoutId) const override;
    QStringList infoParts() const override;
    void expand(int index, const QString &anchorId) override;
    void chainToRoot(int index, const QString &anchorId) override;
    void hide(int index) override;
    QString repr(int index) const override;
    void listInstances(int index) override;
    quint64 objectId(int index) const override;

    const LiveReferenceGraph &liveGraph() const { return m_graph; }

private:
    enum class Purpose { Backrefs, Expand, Chain, Instances };
    struct Pending
    {
        Purpose purpose = Purpose::Backrefs;
        qint64 expanded = 0;  // Expand: the object whose referrers come
        int pagedMore = -1;   // Expand: the "+N more" node paged through
        QString type;         // Instances
        QString anchor;
    };
    qint64 send(const AgentRequest &request, const Pending &pending);
    void onReply(qint64 id, const QJsonObject &result);
    void onFailed(qint64 id, const QString &error);
    QString source() const;

    QPointer<LiveController> m_live;
    Query m_query;
    LiveReferenceGraph m_graph;
    quint64 m_skipped = 0; // referrers the agent left out (skip_cycles)
    QHash<qint64, Pending> m_pending;
    std::vector<int> m_chain;
    QString m_chainText;
};

} // namespace leakscope
