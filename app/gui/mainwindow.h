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
class QMenu;
class QProgressBar;
class QPushButton;
class QSplitter;
class QStackedWidget;
class QTabWidget;
class QTableView;
class QTreeView;
class QToolButton;
class QHBoxLayout;
class QVBoxLayout;

namespace leakscope {

class GrowthFilterProxyModel;
class GrowthTableModel;
class JobRunner;
class MessageBar;
class SessionController;
class SnapshotTimelineModel;
class SummaryTab;
class TestTimelineModel;
class TrendChart;
class ContainersView;
class AllocationsView;

// The window a Python developer opens first: the snapshot timeline on the
// left, the growth table in the centre, the trend chart below it. All data
// comes from the SessionController; the window only shows and forwards.
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    SessionController *controller() const { return m_controller; }
    void openFiles(const QStringList &paths);

    // Parts the tests and the screenshot tool look at.
    GrowthTableModel *growthModel() const { return m_growthModel; }
    GrowthFilterProxyModel *growthProxy() const { return m_proxy; }
    SnapshotTimelineModel *timelineModel() const { return m_timelineModel; }
    GrowthTableView *growthView() const { return m_growthView; }
    QTableView *timelineView() const { return m_timelineView; }
    // pytest --leakscope files: the snapshots grouped by test, leaking tests first.
    TestTimelineModel *testsModel() const { return m_testsModel; }
    QTreeView *testsView() const { return m_testsView; }
    QTabWidget *timelineTabs() const { return m_timelineTabs; }
    TrendChart *trendChart() const { return m_trend; }
    MessageBar *messageBar() const { return m_messageBar; }
    QLineEdit *filterEdit() const { return m_filterEdit; }
    QCheckBox *hideBuiltinsBox() const { return m_hideBuiltins; }
    QCheckBox *suspectsOnlyBox() const { return m_suspectsOnly; }
    QCheckBox *changedOnlyBox() const { return m_changedOnly; }
    QComboBox *baselineBox() const { return m_baselineBox; }
    QComboBox *currentBox() const { return m_currentBox; }
    bool isShowingEmptyState() const;
    // The tabs below the table (Trend first); other panels add theirs here.
    QTabWidget *detailTabs() const { return m_tabs; }
    SummaryTab *summaryTab() const { return m_summaryTab; }
    // Type ids (session registry) of the selected rows, in table order.
    QVector<int> selectedTypes() const { return m_selectedTypes; }
    QStringList recentFiles() const { return m_recentFiles; }
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
    QWidget *createTimelinePanel();
    QWidget *createGrowthPanel();
    void readSettings();
    void writeSettings() const;

    void onSessionChanged();
    void onComparisonChanged();
    void onSelectionChanged();
    void updateSummary();
    void updateFilterCount();
    void updateTitle();
    void updateRecentMenu();
    void addRecentFile(const QString &path);
    void showJobProgress(JobRunner *runner);
    void setComparedFromBoxes();
    // The Retained columns only when a compared snapshot has a heap graph.
    void showRetainedColumns();
    void showTimelineMenu(const QPoint &pos);
    // The Snapshots and Tests tabs of the timeline panel (Tests only for
    // sessions with pytest snapshots).
    QWidget *createTimelineTabs(QWidget *panel);
    void showTests();

    void openDialog();
    void importDialog();
    void saveSessionDialog();
    void exportDialog(bool json);

    SessionController *m_controller = nullptr;
    GrowthTableModel *m_growthModel = nullptr;
    GrowthFilterProxyModel *m_proxy = nullptr;
    SnapshotTimelineModel *m_timelineModel = nullptr;

    QStackedWidget *m_stack = nullptr;
    QWidget *m_emptyPage = nullptr;
    QSplitter *m_mainSplitter = nullptr;
    QSplitter *m_rightSplitter = nullptr;
    MessageBar *m_messageBar = nullptr;
    QTableView *m_timelineView = nullptr;
    QTabWidget *m_timelineTabs = nullptr;
    TestTimelineModel *m_testsModel = nullptr;
    QTreeView *m_testsView = nullptr;
    QComboBox *m_baselineBox = nullptr;
    QComboBox *m_currentBox = nullptr;
    GrowthTableView *m_growthView = nullptr;
    QLineEdit *m_filterEdit = nullptr;
    QCheckBox *m_hideBuiltins = nullptr;
    QCheckBox *m_suspectsOnly = nullptr;
    QCheckBox *m_changedOnly = nullptr;
    QLabel *m_filterCount = nullptr;
    QTabWidget *m_tabs = nullptr;
    SummaryTab *m_summaryTab = nullptr;
    TrendChart *m_trend = nullptr;
    // Issue 14: the Containers view beside the growth table (tabs "Types" and
    // "Containers") and the Allocations tab beside Trend.
    QTabWidget *m_tableTabs = nullptr;
    ContainersView *m_containers = nullptr;
    AllocationsView *m_allocations = nullptr;
    void updateContainers();
    void showAllocations(bool container, const QString &subject, const QString &title);
    QVBoxLayout *m_recentLayout = nullptr;
    QHBoxLayout *m_emptyButtons = nullptr;

    QLabel *m_summary = nullptr;
    QLabel *m_progressLabel = nullptr;
    QProgressBar *m_progressBar = nullptr;
    QToolButton *m_cancelButton = nullptr;

    QAction *m_openAction = nullptr;
    QAction *m_importAction = nullptr;
    QAction *m_saveAsAction = nullptr;
    QAction *m_exportCsvAction = nullptr;
    QAction *m_exportJsonAction = nullptr;
    QAction *m_closeAction = nullptr;
    QAction *m_quitAction = nullptr;
    QAction *m_copyAction = nullptr;
    QAction *m_findAction = nullptr;
    QAction *m_exampleAction = nullptr;
    QMenu *m_recentMenu = nullptr;

    QStringList m_recentFiles;
    std::vector<int> m_selectionToRestore; // type ids across a model reset
    QVector<int> m_selectedTypes;
    bool m_restoringSelection = false;
    bool m_splitterSized = false; // restored from the settings or sized once
};

} // namespace leakscope
