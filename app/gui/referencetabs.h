#pragma once

#include <QObject>
#include <QPointer>
#include <QVector>

namespace leakscope {

class HeapGraphCache;
class LiveController;
class MainWindow;
class ObjectInspector;
class ReferencesPanel;
class RetainersPanel;

// Adds the References and Retainers tabs next to the main window's Trend tab
// and feeds them the growth table's selection, the way LiveUi adds the live
// parts: the window itself stays unaware of heap graphs.
class ReferenceTabs : public QObject
{
    Q_OBJECT
public:
    explicit ReferenceTabs(MainWindow *window);
    ~ReferenceTabs() override;

    ReferencesPanel *references() const { return m_references; }
    RetainersPanel *retainers() const { return m_retainers; }
    HeapGraphCache *graphs() const { return m_graphs; }
    void setLiveController(LiveController *live);
    // Opens the object inspector (one window, reused) on an object of the
    // compared snapshot's heap graph.
    void inspect(quint64 objectId);
    ObjectInspector *inspector() const { return m_inspector; }

private:
    void onSelectedTypes(const QVector<int> &typeIds);
    void showInspected();

    MainWindow *m_window;
    HeapGraphCache *m_graphs;
    ReferencesPanel *m_references;
    RetainersPanel *m_retainers;
    QPointer<LiveController> m_live;
    qint64 m_objectRequest = -1; // the agent's `object` (or `chain`) op for the inspector
    qint64 m_chainRequest = -1;
    ObjectInspector *m_inspector = nullptr;
    quint64 m_inspectedId = 0;
    bool m_inspectWaiting = false; // for the graph to load
};

} // namespace leakscope
