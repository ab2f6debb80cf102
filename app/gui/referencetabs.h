#pragma once

#include <QObject>
#include <QPointer>
#include <QVector>

namespace leakscope {

class HeapGraphRequest;
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
    void setLiveController(LiveController *live);
    // Opens the object inspector (one window, reused) on an object of the
    // compared snapshot's heap graph, or asks the live agent about it.
    void inspect(quint64 objectId);
    ObjectInspector *inspector() const { return m_inspector; }

private:
    void onSelectedTypes(const QVector<int> &typeIds);
    void showInspected();
    void showChain(quint64 objectId);

    MainWindow *m_window;
    ReferencesPanel *m_references;
    RetainersPanel *m_retainers;
    HeapGraphRequest *m_graphs; // the inspector's graphs (from the session's HeapGraphService)
    QPointer<LiveController> m_live;
    qint64 m_objectRequest = -1; // the agent's `object` op for the inspector
    qint64 m_chainRequest = -1;  // and its `chain` op
    ObjectInspector *m_inspector = nullptr;
    quint64 m_inspectedId = 0;
};

} // namespace leakscope
