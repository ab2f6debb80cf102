#pragma once

#include <QObject>
#include <QString>
#include <QStringList>

class QAction;
class QDockWidget;
class QDoubleSpinBox;
class QLabel;
class QMainWindow;
class QMenu;
class QToolBar;

namespace leakscope {

class AttachDialog;
class ConsolePane;
class LiveController;
class SessionController;

// The live half of the main window: the actions (Run Python Script…, Connect
// to Process…, Snapshot now, Snapshot with heap graph, Snapshot every N s, Set
// baseline, Pause, Stop),
// the Live toolbar and menu, the console pane and the process state in the
// status bar, all driving one LiveController.
class LiveUi : public QObject
{
    Q_OBJECT
public:
    LiveUi(QMainWindow *window, SessionController *sessions, QObject *parent = nullptr);
    ~LiveUi() override;

    LiveController *live() const { return m_live; }
    ConsolePane *console() const { return m_console; }
    QAction *runAction() const { return m_run; }
    QAction *connectAction() const { return m_connect; }
    QAction *attachAction() const { return m_attach; }
    QAction *snapshotAction() const { return m_snapshot; }
    QAction *graphSnapshotAction() const { return m_graphSnapshot; }
    QAction *everyAction() const { return m_every; }
    QAction *baselineAction() const { return m_baseline; }
    QAction *pauseAction() const { return m_pause; }
    QAction *stopAction() const { return m_stop; }
    QLabel *stateLabel() const { return m_stateLabel; }

    // Starts python with the script; interval > 0 turns on automatic snapshots.
    bool runScript(const QString &python, const QString &script, const QStringList &arguments,
                   const QString &workDir, double interval);
    // The bundled leaking program, watched live with a snapshot every second.
    bool startDemo();
    bool connectToPid(qint64 pid);
    // Live > Attach to Process… with pid chosen: loads the agent into a
    // process started without it (AttachDialog, progress and cancel), then
    // watches it in a new session. 0 just opens the dialog.
    void attachToPid(qint64 pid);
    // The attach dialog while it is open (tests).
    AttachDialog *attachDialog() const { return m_attachDialog; }
    // Live snapshots of the open session that were not saved with Save
    // Session (they are in the autosave file only).
    int unsavedLiveSnapshots() const;
    // Before a run or a connection replaces the open session: asks when it
    // has unsaved live snapshots (Save Session As…, New Session, Cancel).
    // False: the user cancelled.
    bool confirmNewSession();
    // Unpacks the bundled demo program to the cache directory; empty on failure.
    static QString demoScriptPath(QString *error = nullptr);

private:
    void createActions();
    void install();
    void updateActions();
    void showError(const QString &message);
    void runDialog();
    void connectDialog();
    void attached(qint64 pid, const QString &socketPath);
    void setBaselineToLatest();
    void takeGraphSnapshot();
    void showGraphSnapshot(const QString &label);

    QMainWindow *m_window;
    SessionController *m_sessions;
    LiveController *m_live;
    ConsolePane *m_console = nullptr;
    QDockWidget *m_consoleDock = nullptr;
    QLabel *m_stateLabel = nullptr;
    QDoubleSpinBox *m_intervalBox = nullptr;
    QAction *m_run = nullptr;
    QAction *m_connect = nullptr;
    QAction *m_attach = nullptr;
    AttachDialog *m_attachDialog = nullptr;
    QAction *m_demo = nullptr;
    QAction *m_snapshot = nullptr;
    QAction *m_graphSnapshot = nullptr;
    QString m_graphLabel; // the heap-graph snapshot on its way, if any
    QAction *m_every = nullptr;
    QAction *m_baseline = nullptr;
    QAction *m_pause = nullptr;
    QAction *m_stop = nullptr;
    // Live snapshots of autosave m_savedAutosave already in a saved session.
    QString m_savedAutosave;
    int m_savedLiveSnapshots = 0;
    QString m_savingOldSession; // autosave of the session confirmNewSession saves
};

} // namespace leakscope
