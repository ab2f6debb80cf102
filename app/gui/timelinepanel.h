#pragma once

#include <QWidget>

class QComboBox;
class QLabel;
class QTabWidget;
class QTableView;
class QTreeView;

namespace leakscope {

class SessionController;
class SnapshotTimelineModel;
class TestTimelineModel;

// The left pane of the main window: the compared snapshots (B against A),
// the snapshot timeline and, for pytest --leakscope files, the snapshots
// grouped by test. Choosing snapshots here asks the SessionController for the
// comparison; the window calls showSession()/showComparison() when the
// controller publishes.
class TimelinePanel : public QWidget
{
    Q_OBJECT
public:
    explicit TimelinePanel(SessionController *controller, QWidget *parent = nullptr);
    ~TimelinePanel() override;

    SnapshotTimelineModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    TestTimelineModel *testsModel() const { return m_testsModel; }
    QTreeView *testsView() const { return m_testsView; }
    // Snapshots and Tests (Tests only for sessions with pytest snapshots).
    QTabWidget *tabs() const { return m_tabs; }
    QComboBox *baselineBox() const { return m_baselineBox; }
    QComboBox *currentBox() const { return m_currentBox; }

    // The controller's session: rows, tests and the snapshot boxes.
    void showSession();
    // The controller's compared snapshots (A and B).
    void showComparison();
    // The width that shows the numbers whole and the labels mostly: what
    // the window gives the pane on a first start, when it has the room.
    int preferredWidth() const;
    // Snapshots from several files: each row names its file (Source column).
    bool showsSources() const;

private:
    QWidget *createTabs();
    void showTests();
    void showMenu(const QPoint &pos);
    void setComparedFromBoxes();
    void onModelReset();

    SessionController *m_controller;
    SnapshotTimelineModel *m_model;
    QLabel *m_heading = nullptr;
    QTableView *m_view = nullptr;
    QTabWidget *m_tabs = nullptr;
    TestTimelineModel *m_testsModel = nullptr;
    QTreeView *m_testsView = nullptr;
    QComboBox *m_baselineBox = nullptr;
    QComboBox *m_currentBox = nullptr;
};

} // namespace leakscope
