#pragma once

#include <QObject>
#include <QVector>

namespace leakscope {

class LiveController;
class MainWindow;
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

private:
    void onSelectedTypes(const QVector<int> &typeIds);

    MainWindow *m_window;
    ReferencesPanel *m_references;
    RetainersPanel *m_retainers;
};

} // namespace leakscope
