#pragma once

#include "views/growthtableview.h"

#include <QMainWindow>
#include <QStringList>
#include <QVector>

#include <memory>
#include <vector>

class QAction;
class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QSplitter;
class QStackedWidget;
class QTabWidget;
class QTableView;
class QMenu;
class QTreeView;
class QToolButton;
class QHBoxLayout;

namespace leakscope {

class AllocationsView;
class ContainersView;
class GrowthFilterProxyModel;
class GrowthTableView;
class GrowthPanel;
class GrowthTableModel;
class JobRunner;
class LiveUi;
class MessageBar;
class RecentFiles;
class ReferenceTabs;
class SessionController;
class SnapshotTimelineModel;
class SummaryTab;
class TestTimelineModel;
class TimelinePanel;
class TrendChart;
class WindowSettings;

// The window a Python developer opens first: the snapshot timeline on the
// left (TimelinePanel), the growth table in the centre (GrowthPanel), the
// detail tabs below it (Summary, Trend, References, Retainers, Allocations),
// the live parts (LiveUi). The window assembles every part itself, holds the
// actions and menus and switches between the empty state and the session;
// all data comes from the SessionController.
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    SessionController *controller() const { return m_controller; }
    void openFiles(const QStringList &paths);

    // Parts the tests and the screenshot tool look at.
    TimelinePanel *timelinePanel() const { return m_timeline; }
    GrowthPanel *growthPanel() const { return m_growth; }
    GrowthTableModel *growthModel() const;
    GrowthFilterProxyModel *growthProxy() const;
    SnapshotTimelineModel *timelineModel() const;
    GrowthTableView *growthView() const;
    QTableView *timelineView() const;
    // pytest --leakscope files: the snapshots grouped by test, leaking tests first.
    TestTimelineModel *testsModel() const;
    QTreeView *testsView() const;
    QTabWidget *timelineTabs() const;
    TrendChart *trendChart() const { return m_trend; }
    MessageBar *messageBar() const { return m_messageBar; }
    QLineEdit *filterEdit() const;
    QCheckBox *hideBuiltinsBox() const;
    QCheckBox *suspectsOnlyBox() const;
    QCheckBox *changedOnlyBox() const;
    QComboBox *baselineBox() const;
    QComboBox *currentBox() const;
    bool isShowingEmptyState() const;
    // The tabs below the table: Summary, Trend, References, Retainers, Allocations.
    QTabWidget *detailTabs() const { return m_tabs; }
    SummaryTab *summaryTab() const { return m_summaryTab; }
    // The References and Retainers tabs and the live parts (actions, Live
    // menu and toolbar, console), part of every window.
    ReferenceTabs *referenceTabs() const { return m_referenceTabs; }
    LiveUi *liveUi() const { return m_liveUi; }
    // Type ids (session registry) of the selected rows, in table order.
    QVector<int> selectedTypes() const { return m_selectedTypes; }
    QStringList recentFiles() const;
    QString summaryText() const;
    // Adds a button for the action to the empty state's row (e.g. the live actions).
    void addEmptyStateAction(QAction *action);

    // Selects the rows of these type names in the table (tests, restore).
    void selectTypes(const QStringList &names);
    void selectTopRows(int count);
    QString selectedRowsAsText() const;
    void copySelectedRows();
    // Writes the rows as shown (filtered, in table order).
    bool exportTable(const QString &path, bool json);

    // The name the Save and Export dialogs propose: next to the session's
    // first file, after it, the table's with the compared snapshots (as the
    // timeline numbers them, from 1), never an existing file.
    enum class FileKind { Session, Csv, Json };
    QString proposedFileName(FileKind kind) const;

signals:
    // The selection of the growth table changed (ids in the session's registry).
    void selectedTypesChanged(const QVector<int> &typeIds);

protected:
    void closeEvent(QCloseEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    void createActions();
    void createWidgets();
    QWidget *createEmptyState();
    void readSettings();

    void onSessionChanged();
    void onComparisonChanged();
    void onSelectionChanged(const QVector<int> &types);
    void updateSummary();
    void updateTitle();
    void addRecentFile(const QString &path);
    void showJobProgress(JobRunner *runner);
    // Issue 14: the Containers view and the Allocations tab.
    void updateContainers();
    void showAllocations(bool container, const QString &subject, const QString &title);

    void openDialog();
    void importDialog();
    void saveSession();
    void saveSessionDialog();
    void showUserGuide();
    void showShortcuts();
    void showSuspectHelp();
    void unpackAgent();
    void exportDialog(bool json);

    SessionController *m_controller = nullptr;
    RecentFiles *m_recent = nullptr;
    std::unique_ptr<WindowSettings> m_settings;

    QStackedWidget *m_stack = nullptr;
    QWidget *m_emptyPage = nullptr;
    QSplitter *m_mainSplitter = nullptr;
    QSplitter *m_rightSplitter = nullptr;
    MessageBar *m_messageBar = nullptr;
    TimelinePanel *m_timeline = nullptr;
    GrowthPanel *m_growth = nullptr;
    QTabWidget *m_tabs = nullptr;
    SummaryTab *m_summaryTab = nullptr;
    TrendChart *m_trend = nullptr;
    // Issue 14: the Containers view beside the growth table (tabs "Types" and
    // "Containers") and the Allocations tab beside Trend.
    QTabWidget *m_tableTabs = nullptr;
    ContainersView *m_containers = nullptr;
    AllocationsView *m_allocations = nullptr;
    ReferenceTabs *m_referenceTabs = nullptr;
    LiveUi *m_liveUi = nullptr;
    QHBoxLayout *m_emptyButtons = nullptr;

    QLabel *m_summary = nullptr;
    QLabel *m_progressLabel = nullptr;
    QProgressBar *m_progressBar = nullptr;
    QToolButton *m_cancelButton = nullptr;

    QAction *m_openAction = nullptr;
    QAction *m_importAction = nullptr;
    QAction *m_saveAction = nullptr;
    QAction *m_saveAsAction = nullptr;
    QAction *m_exportCsvAction = nullptr;
    QAction *m_exportJsonAction = nullptr;
    QAction *m_closeAction = nullptr;
    QAction *m_quitAction = nullptr;
    QAction *m_copyAction = nullptr;
    QAction *m_findAction = nullptr;
    QAction *m_exampleAction = nullptr;
    QMenu *m_recentMenu = nullptr;

    QVector<int> m_selectedTypes;
    QString m_savedPath; // where Save Session writes without asking
    QLabel *m_agentPath = nullptr;
    bool m_splitterSized = false; // restored from the settings or sized once
};

} // namespace leakscope
