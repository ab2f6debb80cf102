#pragma once

#include "graphlayout/referencelayout.h"
#include "gui/referencesource.h"
#include "views/referencegraphview.h"

#include <QPointer>
#include <QWidget>

class QCheckBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QSpinBox;
class QToolButton;

namespace leakscope {

class LiveController;
class SessionController;

// The References tab: who keeps sample instances of the selected type alive.
// One widget over a ReferenceSource: the compared snapshot's heap graph
// (FileReferenceSource, through the window's HeapGraphService) or, when that
// snapshot has no graph and a process is connected, the process itself
// (LiveReferenceSource). Double-click expands a node; the context menu
// highlights the chain to a root, hides a node, copies its repr or lists the
// instances of its type. Ctrl+F finds a node by type or label.
class ReferencesPanel : public QWidget
{
    Q_OBJECT
public:
    enum class Source { None, File, Live };

    ReferencesPanel(SessionController *sessions, QWidget *parent = nullptr);
    ~ReferencesPanel() override;

    // The type to show (as the census names it); empty clears the graph.
    void setTypeName(const QString &typeName);
    QString typeName() const { return m_typeName; }
    // Who refers to one object (a top retainer, say), until the next type is selected.
    void showObject(quint64 objectId);
    quint64 shownObject() const { return m_objectId; }
    // With a connected process, graphs come from its agent.
    void setLiveController(LiveController *live);

    ReferenceGraphView *view() const { return m_view; }
    Source source() const { return m_source; }
    ReferenceSource *activeSource() const;
    FileReferenceSource *fileSource() const { return m_file; }
    LiveReferenceSource *liveSource() const { return m_liveSource; }
    // The file source's graphs (the compared snapshot's with dominators and
    // root paths, the baseline's).
    HeapGraphRequest *graphs() const { return m_file->graphs(); }
    QString infoText() const;
    // The note next to the graph ("No more referrers of ..."); empty when none.
    QString noteText() const;
    QSpinBox *depthBox() const { return m_depth; }
    QSpinBox *maxNodesBox() const { return m_maxNodes; }
    QCheckBox *skipCyclesBox() const { return m_skipKeptAlive; }
    QLineEdit *findBox() const { return m_find; }
    // Writes the graph on screen; the error names the file.
    Status exportTo(const QString &path, ReferenceGraphView::ExportFormat format);

    // What the view's signals do (public for keyboard and tests).
    void expandNode(int viewNode);
    void chainToRoot(int viewNode);
    void hideNode(int viewNode);
    void copyRepr(int viewNode);
    void showInstances(int viewNode);
    // Emits inspectRequested() with the node's object ("+N more": nothing).
    void inspectNode(int viewNode);
    // The instance list showInstances() puts in its dialog (file or live).
    QStringList lastInstances() const { return m_lastInstances; }

    // Find in graph: the view nodes whose type or label contains `text`
    // (case-insensitive), in the order of the graph on screen.
    std::vector<int> findMatches(const QString &text) const;
    // Selects and centres the next match of the find box's text after the
    // current one (wrapping); returns the view node, -1 when none matches.
    int findNext();
    int currentFindMatch() const { return m_findCurrent; }
    void openFind();

    static QString noGraphText();

signals:
    // Every time a graph (or an empty state) was handed to the view.
    void graphUpdated();
    void message(const QString &text); // an error
    void notice(const QString &text);  // information for the window
    // An object of the graph to inspect (context menu "Inspect").
    void inspectRequested(quint64 objectId);

protected:
    void resizeEvent(QResizeEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void refresh();
    void showLayout(const QString &anchorId);
    void setEmpty(const QString &text);
    void showNote(const QString &text, const QString &anchorId);
    void placeNote();
    void updateInfo();
    void exportDialog(ReferenceGraphView::ExportFormat format);
    int sourceIndex(int viewNode) const;
    void showInstanceDialog(const QString &title, const QStringList &items);
    bool wantsLive() const;
    ReferenceSource::Query query() const;
    bool currentKey(FileReferenceSource::Key *key, FileReferenceSource::Key *baseline, bool *hasBaseline) const;
    // The census count of the type in the compared snapshot; -1 when unknown.
    qint64 censusCount() const;
    void connectSource(ReferenceSource *source);

    SessionController *m_sessions;
    QPointer<LiveController> m_live;
    FileReferenceSource *m_file;
    LiveReferenceSource *m_liveSource;
    ReferenceGraphView *m_view;
    QLabel *m_info;
    QLabel *m_note;
    QString m_noteAnchor;
    QWidget *m_findBar;
    QLineEdit *m_find;
    QLabel *m_findStatus;
    QToolButton *m_closeFind;
    int m_findCurrent = -1;
    QSpinBox *m_depth;
    QSpinBox *m_maxNodes;
    QCheckBox *m_skipKeptAlive;
    QProgressBar *m_progress;
    QToolButton *m_cancel;

    QString m_typeName;
    quint64 m_objectId = 0; // showObject(); 0 when showing samples of m_typeName
    Source m_source = Source::None;
    QStringList m_lastInstances;
};

} // namespace leakscope
