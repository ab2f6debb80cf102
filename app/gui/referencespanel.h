#pragma once

#include "gui/heapgraphcache.h"
#include "graphlayout/referencelayout.h"
#include "views/referencegraphview.h"
#include "heapgraph/referencesubgraph.h"

#include <QHash>
#include <QJsonObject>
#include <QPointer>
#include <QWidget>

#include <vector>

class QCheckBox;
class QLabel;
class QProgressBar;
class QSpinBox;
class QToolButton;

namespace leakscope {

class LiveController;
class SessionController;

// The References tab: who keeps sample instances of the selected type alive.
// From a file, the back-reference subgraph of the compared snapshot's heap
// graph (loaded and analysed off the UI thread through HeapGraphCache); from a
// live process, the agent's backrefs/chain/instances ops (unless the compared
// snapshot has a heap graph of its own). Double-click expands
// a node, the context menu highlights the chain to a root, hides a node,
// copies its repr or lists the instances of its type.
class ReferencesPanel : public QWidget
{
    Q_OBJECT
public:
    enum class Source { None, File, Live };

    ReferencesPanel(SessionController *sessions, HeapGraphCache *graphs, QWidget *parent = nullptr);
    ~ReferencesPanel() override;

    // The type to show (as the census names it); empty clears the graph.
    void setTypeName(const QString &typeName);
    QString typeName() const { return m_typeName; }
    // Who refers to one object of the compared snapshot's heap graph (a top
    // retainer, say), until the next type is selected.
    void showObject(quint64 objectId);
    quint64 shownObject() const { return m_objectId; }
    // With a connected process, graphs come from its agent.
    void setLiveController(LiveController *live);

    ReferenceGraphView *view() const { return m_view; }
    Source source() const { return m_source; }
    QString infoText() const;
    QSpinBox *depthBox() const { return m_depth; }
    QSpinBox *maxNodesBox() const { return m_maxNodes; }
    QCheckBox *skipCyclesBox() const { return m_skipKeptAlive; }
    // Writes the graph on screen; the error names the file.
    Status exportTo(const QString &path, ReferenceGraphView::ExportFormat format);

    // What the view's signals do (public for keyboard and tests).
    void expandNode(int viewNode);
    void chainToRoot(int viewNode);
    void hideNode(int viewNode);
    void copyRepr(int viewNode);
    void showInstances(int viewNode);
    // The instance list showInstances() puts in its dialog (file or live).
    QStringList lastInstances() const { return m_lastInstances; }

    static QString noGraphText();

signals:
    // Every time a graph (or an empty state) was handed to the view.
    void graphUpdated();
    void message(const QString &text); // an error
    void notice(const QString &text);  // information
    // Inspect one object (a graph node's, a Show Instances row's).
    void inspectRequested(quint64 objectId);

private:
    void refresh();
    void rebuildFromFile();
    void requestLive();
    void showLayout(const ReferenceLayout &layout, const QString &anchorId = QString());
    void relayoutFile(const QString &anchorId = QString());
    void relayoutLive(const QString &anchorId = QString());
    void setEmpty(const QString &text);
    void updateInfo();
    void exportDialog(ReferenceGraphView::ExportFormat format);
    void onLiveReply(qint64 id, const QJsonObject &result);
    void onLiveFailed(qint64 id, const QString &error);
    qint64 liveRequest(const QString &op, const QJsonObject &params, const QString &purpose);
    // Index into the subgraph (file) or the live graph for a node on screen.
    int sourceIndex(int viewNode) const;
    void showInstanceDialog(const QString &title, const QStringList &items);
    bool isLive() const;
    bool wantsLive() const;
    BackrefOptions options() const;
    HeapGraphCache::Key currentKey(bool *has, HeapGraphCache::Key *baseline, bool *hasBaseline) const;

    SessionController *m_sessions;
    HeapGraphCache *m_graphs;
    QPointer<LiveController> m_live;
    ReferenceGraphView *m_view;
    QLabel *m_info;
    QSpinBox *m_depth;
    QSpinBox *m_maxNodes;
    QCheckBox *m_skipKeptAlive;
    QProgressBar *m_progress;
    QToolButton *m_cancel;

    QString m_typeName;
    quint64 m_objectId = 0; // showObject(); 0 when showing samples of m_typeName
    Source m_source = Source::None;
    // File source.
    HeapGraphCache::Key m_key;
    HeapGraphCache::Key m_baselineKey;
    bool m_hasBaseline = false;
    bool m_waiting = false; // for the cache to load the graphs
    HeapGraphPtr m_graph;
    std::shared_ptr<const DominatorTree> m_dominators;
    ReferenceSubgraph m_sub;
    int m_sampleCount = 0;
    quint64 m_instanceCount = 0;
    bool m_samplesNew = false;
    QStringList m_sampleIds;
    // Live source.
    LiveReferenceGraph m_liveGraph;
    quint64 m_liveSkipped = 0; // referrers the agent left out (skip_cycles)
    QHash<qint64, QString> m_pending; // request id -> purpose
    QHash<qint64, qint64> m_expanding; // request id -> object id
    QHash<qint64, int> m_expandingMore; // request id -> live "+N more" node paged through
    // Both.
    std::vector<int> m_chain; // source indices, root first
    QString m_chainText;
    QStringList m_lastInstances;
};

} // namespace leakscope
