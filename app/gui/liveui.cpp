#include "gui/liveui.h"

#include "core/textutil.h"

#include "live/agentinstaller.h"
#include "gui/attachdialog.h"
#include "gui/consolepane.h"
#include "gui/livecontroller.h"
#include "gui/livedialogs.h"
#include "gui/mainwindow.h"
#include "gui/sessioncontroller.h"

#include <QAction>
#include <QCryptographicHash>
#include <QDir>
#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QLocale>
#include <QMainWindow>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QSaveFile>
#include <QStandardPaths>
#include <QStatusBar>
#include <QStyle>
#include <QTimer>
#include <QToolBar>

#include <algorithm>
#include <utility>

namespace leakscope {

namespace {
// Above this many objects, Snapshot with Heap Graph asks first.
constexpr qint64 s_confirmGraphObjects = 2000000;
} // namespace

LiveUi::LiveUi(QMainWindow *window, SessionController *sessions, QObject *parent)
    : QObject(parent ? parent : window), m_window(window), m_sessions(sessions),
      m_live(new LiveController(sessions, this))
{
    createActions();
    install();

    connect(m_live, &LiveController::consoleOutput, m_console, &ConsolePane::append);
    connect(m_live, &LiveController::statusTextChanged, this, [this](const QString &text) {
        m_stateLabel->setText(text);
        m_console->appendNote(text);
    });
    connect(m_live, &LiveController::stateChanged, this, &LiveUi::updateActions);
    connect(m_live, &LiveController::censusRunningChanged, this, &LiveUi::updateActions);
    connect(m_live, &LiveController::errorOccurred, this, &LiveUi::showError);
    connect(m_live, &LiveController::processExited, this, [this](int, const QString &description) {
        m_window->statusBar()->showMessage(
            tr("%1 — every snapshot stays in the session (autosaved to %2)")
                .arg(description, QDir::toNativeSeparators(m_live->autosavePath())),
            15000);
    });
    connect(m_sessions, &SessionController::sessionSaved, this, [this] {
        // A save that confirmNewSession started was of the session before.
        const QString savedOld = std::exchange(m_savingOldSession, QString());
        if (!savedOld.isEmpty() && savedOld != m_live->autosavePath())
            return;
        const int unsaved = unsavedLiveSnapshots();
        m_savedLiveSnapshots = (m_savedAutosave == m_live->autosavePath() ? m_savedLiveSnapshots : 0) + unsaved;
        m_savedAutosave = m_live->autosavePath();
    });
    connect(m_live, &LiveController::snapshotAdded, this, [this](const QString &label) {
        if (!m_graphLabel.isEmpty() && label == m_graphLabel) {
            showGraphSnapshot(label);
            return;
        }
        m_window->statusBar()->showMessage(tr("Snapshot “%1” taken").arg(label), 2000);
    });
    updateActions();
}

LiveUi::~LiveUi() = default;

void LiveUi::createActions()
{
    QStyle *style = m_window->style();
    m_run = new QAction(style->standardIcon(QStyle::SP_MediaPlay), tr("&Run Python Script…"), this);
    m_run->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    m_run->setStatusTip(tr("Start a Python script with the agent inside and watch it live"));
    connect(m_run, &QAction::triggered, this, &LiveUi::runDialog);

    m_connect = new QAction(style->standardIcon(QStyle::SP_DriveNetIcon), tr("&Connect to Process…"), this);
    m_connect->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_C));
    m_connect->setStatusTip(tr("Watch a running Python process whose agent serves"));
    connect(m_connect, &QAction::triggered, this, &LiveUi::connectDialog);

    m_attach = new QAction(style->standardIcon(QStyle::SP_DriveNetIcon), tr("&Attach to Process…"), this);
    m_attach->setStatusTip(tr("Load the agent into a running Python program started without Leakscope (gdb) and "
                              "watch it in a new session"));
    connect(m_attach, &QAction::triggered, this, [this] { attachToPid(0); });

    m_demo = new QAction(style->standardIcon(QStyle::SP_MediaPlay), tr("Watch the Live &Demo"), this);
    m_demo->setStatusTip(tr("Start a bundled leaking Python program and watch it live, a snapshot every second"));
    connect(m_demo, &QAction::triggered, this, &LiveUi::startDemo);

    m_snapshot = new QAction(style->standardIcon(QStyle::SP_DialogSaveButton), tr("&Snapshot Now"), this);
    m_snapshot->setShortcuts({QKeySequence(Qt::Key_F5), QKeySequence(Qt::CTRL | Qt::Key_T)});
    m_snapshot->setStatusTip(tr("Count the live objects of the watched process now (after gc.collect())"));
    connect(m_snapshot, &QAction::triggered, this, [this] { m_live->snapshotNow(); });

    m_graphSnapshot = new QAction(style->standardIcon(QStyle::SP_FileDialogDetailedView),
                                  tr("Snapshot with &Heap Graph"), this);
    m_graphSnapshot->setIconText(tr("Heap Graph"));
    m_graphSnapshot->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_G));
    m_graphSnapshot->setStatusTip(tr("Count the objects and record every reference between them: retained sizes and "
                                     "References for that snapshot (pauses the process for about 3 s per million "
                                     "objects)"));
    connect(m_graphSnapshot, &QAction::triggered, this, &LiveUi::takeGraphSnapshot);

    m_every = new QAction(style->standardIcon(QStyle::SP_BrowserReload), tr("Snapshot &Every"), this);
    m_every->setCheckable(true);
    m_every->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_T));
    m_every->setStatusTip(tr("Take a snapshot every few seconds (interval next to the button)"));
    connect(m_every, &QAction::toggled, this, [this](bool on) {
        m_live->setAutoSnapshot(on);
        updateActions();
    });

    m_intervalBox = new QDoubleSpinBox;
    m_intervalBox->setRange(0.2, 3600);
    m_intervalBox->setDecimals(1);
    m_intervalBox->setValue(2.0);
    m_intervalBox->setSuffix(tr(" s"));
    m_intervalBox->setToolTip(tr("Seconds between automatic snapshots"));
    connect(m_intervalBox, &QDoubleSpinBox::valueChanged, m_live, &LiveController::setInterval);
    m_live->setInterval(m_intervalBox->value());

    m_baseline = new QAction(style->standardIcon(QStyle::SP_DialogApplyButton), tr("Set &Baseline"), this);
    m_baseline->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_B));
    m_baseline->setStatusTip(tr("Compare later snapshots against the latest one (e.g. after warm-up)"));
    connect(m_baseline, &QAction::triggered, this, &LiveUi::setBaselineToLatest);

    m_pause = new QAction(style->standardIcon(QStyle::SP_MediaPause), tr("&Pause"), this);
    m_pause->setCheckable(true);
    m_pause->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_P));
    m_pause->setStatusTip(tr("Pause automatic snapshots"));
    connect(m_pause, &QAction::toggled, this, [this](bool paused) {
        m_live->setPaused(paused);
        updateActions();
    });

    m_stop = new QAction(style->standardIcon(QStyle::SP_MediaStop), tr("S&top"), this);
    m_stop->setStatusTip(tr("Stop the program Leakscope started (after an exit snapshot), or disconnect from a "
                            "process it did not start (which keeps running)"));
    connect(m_stop, &QAction::triggered, m_live, &LiveController::stop);
}

void LiveUi::install()
{
    // File menu: Run and Connect go after Open.
    QMenu *file = nullptr;
    QMenu *help = nullptr;
    for (QAction *a : m_window->menuBar()->actions()) {
        if (!a->menu())
            continue;
        const QString title = a->menu()->title().remove(QLatin1Char('&'));
        if (title == tr("File"))
            file = a->menu();
        else if (title == tr("Help"))
            help = a->menu();
    }
    if (file) {
        const QList<QAction *> actions = file->actions();
        QAction *before = actions.size() > 1 ? actions.at(1) : nullptr;
        file->insertAction(before, m_run);
        file->insertAction(before, m_connect);
        file->insertSeparator(before);
    }
    auto *liveMenu = new QMenu(tr("&Live"), m_window);
    liveMenu->addAction(m_run);
    liveMenu->addAction(m_connect);
    liveMenu->addAction(m_attach);
    liveMenu->addAction(m_demo);
    liveMenu->addSeparator();
    liveMenu->addAction(m_snapshot);
    liveMenu->addAction(m_graphSnapshot);
    liveMenu->addAction(m_every);
    liveMenu->addAction(m_pause);
    liveMenu->addAction(m_baseline);
    liveMenu->addSeparator();
    liveMenu->addAction(m_stop);
    m_window->menuBar()->insertMenu(help ? help->menuAction() : nullptr, liveMenu);

    QToolBar *bar = m_window->addToolBar(tr("Live"));
    bar->setObjectName(QStringLiteral("liveToolBar"));
    bar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    bar->addAction(m_run);
    bar->addAction(m_snapshot);
    bar->addAction(m_graphSnapshot);
    bar->addAction(m_every);
    bar->addWidget(m_intervalBox);
    bar->addAction(m_pause);
    bar->addAction(m_baseline);
    bar->addAction(m_stop);

    m_console = new ConsolePane;
    m_consoleDock = new QDockWidget(tr("Console"), m_window);
    m_consoleDock->setObjectName(QStringLiteral("consoleDock"));
    m_consoleDock->setWidget(m_console);
    m_window->addDockWidget(Qt::BottomDockWidgetArea, m_consoleDock);
    m_consoleDock->hide();
    liveMenu->addSeparator();
    liveMenu->addAction(m_consoleDock->toggleViewAction());

    if (auto *main = qobject_cast<MainWindow *>(m_window)) {
        main->addEmptyStateAction(m_run);
        main->addEmptyStateAction(m_demo);
    }

    m_stateLabel = new QLabel(m_window);
    m_stateLabel->setToolTip(tr("The live process Leakscope watches"));
    m_window->statusBar()->addPermanentWidget(m_stateLabel);
}

void LiveUi::updateActions()
{
    const bool connected = m_live->state() == LiveController::State::Connected;
    m_snapshot->setEnabled(connected && !m_live->isCensusRunning());
    m_graphSnapshot->setEnabled(connected && !m_live->isCensusRunning());
    m_every->setEnabled(m_live->isLive());
    m_pause->setEnabled(m_live->isLive() && m_live->autoSnapshot());
    m_stop->setEnabled(m_live->isLive());
    m_baseline->setEnabled(m_sessions->session() && m_sessions->session()->snapshotCount() > 0);
    m_run->setEnabled(!m_live->isLive());
    m_demo->setEnabled(!m_live->isLive());
    m_connect->setEnabled(!m_live->isLive());
    m_attach->setEnabled(!m_live->isLive());
    QString state = m_live->statusText();
    if (m_live->isLive() && m_live->isGraphDumpRunning())
        state += tr(" · heap graph running…");
    else if (m_live->isLive() && m_live->isCensusRunning())
        state += tr(" · snapshot running…");
    m_stateLabel->setText(state);
}

void LiveUi::takeGraphSnapshot()
{
    if (!m_live->isLive() || m_live->isCensusRunning())
        return;
    // A big heap pauses the program for a while and costs it memory while
    // the graph is recorded (bench/graph_bench.py: about 3 s per million
    // objects and 350 bytes per object): ask first when that is a lot.
    const auto session = m_sessions->session();
    qint64 objects = 0;
    for (int i = session ? session->snapshotCount() - 1 : -1; i >= 0; --i) {
        if (session->snapshot(i).info.pid == m_live->pid()) {
            objects = session->snapshot(i).totalObjects();
            break;
        }
    }
    if (objects >= s_confirmGraphObjects) {
        const QString text =
            tr("Process %1 has about %2 million objects. Recording its heap graph pauses it for roughly %3 s and "
               "needs about %4 more memory in it while it runs.")
                .arg(m_live->pid())
                .arg(QLocale().toString(double(objects) / 1e6, 'f', 1))
                .arg(std::max<qint64>(1, objects * 3 / 1000000))
                .arg(TextUtil::bytes(objects * 350));
        if (QMessageBox::question(m_window, tr("Record the heap graph?"), text,
                                  QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Yes)
            != QMessageBox::Yes)
            return;
    }
    m_live->snapshotWithGraph();
    if (m_live->isGraphDumpRunning()) {
        // The label the controller chose comes back with snapshotAdded.
        m_graphLabel = m_live->pendingGraphLabel();
        m_window->statusBar()->showMessage(tr("Recording the heap graph of process %1…").arg(m_live->pid()));
    }
    updateActions();
}

void LiveUi::showGraphSnapshot(const QString &label)
{
    m_graphLabel.clear();
    // Keep the graph snapshot compared (automatic snapshots would move on
    // from it at the next tick) until the user resumes.
    if (m_live->autoSnapshot() && !m_live->isPaused())
        m_pause->setChecked(true);
    const auto session = m_sessions->session();
    int index = -1;
    for (int i = session ? session->snapshotCount() - 1 : -1; i >= 0; --i) {
        const SnapshotInfo &info = session->snapshot(i).info;
        if (info.hasGraph && info.label == label) {
            index = i;
            break;
        }
    }
    if (index >= 0) {
        int baseline = m_sessions->baseline();
        if (baseline < 0 || baseline == index)
            baseline = 0;
        m_sessions->setComparedSnapshots(baseline, index);
    }
    m_window->statusBar()->showMessage(
        m_live->autoSnapshot()
            ? tr("Heap graph “%1” recorded; automatic snapshots paused so it stays compared (Pause resumes them)")
                  .arg(label)
            : tr("Heap graph “%1” recorded").arg(label),
        10000);
    updateActions();
}

void LiveUi::showError(const QString &message)
{
    m_window->statusBar()->showMessage(message, 10000);
    m_console->appendNote(message);
}

int LiveUi::unsavedLiveSnapshots() const
{
    const auto session = m_sessions->session();
    const QString autosave = m_live->autosavePath();
    if (!session || autosave.isEmpty())
        return 0;
    int live = 0;
    for (int i = 0; i < session->snapshotCount(); ++i)
        live += session->snapshot(i).info.sourceFile == autosave ? 1 : 0;
    const int saved = m_savedAutosave == autosave ? m_savedLiveSnapshots : 0;
    return std::max(0, live - saved);
}

bool LiveUi::confirmNewSession()
{
    const int unsaved = unsavedLiveSnapshots();
    if (unsaved == 0)
        return true;
    QMessageBox box(QMessageBox::Question, tr("Start a new session?"),
                    unsaved == 1 ? tr("The open session has 1 live snapshot you have not saved.")
                                 : tr("The open session has %1 live snapshots you have not saved.").arg(unsaved),
                    QMessageBox::NoButton, m_window);
    box.setInformativeText(
        tr("Another process opens in a new session in this window; its snapshots are never merged into this one. "
           "The snapshots shown now stay in the autosave file %1 (File > Open Recent lists it).")
            .arg(QDir::toNativeSeparators(m_live->autosavePath())));
    QAbstractButton *save = box.addButton(tr("Save Session As…"), QMessageBox::AcceptRole);
    QAbstractButton *fresh = box.addButton(tr("New Session"), QMessageBox::DestructiveRole);
    box.addButton(QMessageBox::Cancel);
    box.setDefaultButton(qobject_cast<QPushButton *>(save));
    box.exec();
    if (box.clickedButton() == fresh)
        return true;
    if (box.clickedButton() != save)
        return false;
    const QString path = QFileDialog::getSaveFileName(m_window, tr("Save Session As"),
                                                      QDir::home().filePath(QFileInfo(m_live->autosavePath()).fileName()),
                                                      tr("Leakscope snapshots (*.lsnap)"));
    if (path.isEmpty())
        return false;
    // The save works on the session as it is now, in the background.
    m_savingOldSession = m_live->autosavePath();
    m_sessions->saveSessionAs(path);
    return true;
}

bool LiveUi::runScript(const QString &python, const QString &script, const QStringList &arguments,
                       const QString &workDir, double interval)
{
    if (!confirmNewSession())
        return false;
    m_console->clear();
    m_consoleDock->show();
    // After the window has its size, or the dock takes half of it.
    QTimer::singleShot(0, m_consoleDock, [this] { m_window->resizeDocks({m_consoleDock}, {120}, Qt::Vertical); });
    if (interval > 0) {
        m_intervalBox->setValue(interval);
        m_live->setInterval(interval);
    }
    const Status started = m_live->runScript(python, script, arguments, workDir);
    if (!started) {
        showError(started.error());
        return false;
    }
    m_every->setChecked(interval > 0);
    m_live->setAutoSnapshot(interval > 0);
    updateActions();
    return true;
}

QString LiveUi::demoScriptPath(QString *error)
{
    QFile source(QStringLiteral(":/demo/leaky_cache.py"));
    if (!source.open(QIODevice::ReadOnly)) {
        if (error)
            *error = tr("The demo program is not part of this build");
        return QString();
    }
    const QByteArray content = source.readAll();
    const QString hash = QString::fromLatin1(QCryptographicHash::hash(content, QCryptographicHash::Sha256).toHex().left(12));
    const QString dir = AgentInstaller::defaultCacheRoot() + QStringLiteral("/demo-") + hash;
    const QString path = dir + QStringLiteral("/leaky_cache.py");
    if (QFileInfo::exists(path))
        return path;
    if (!QDir().mkpath(dir)) {
        if (error)
            *error = tr("%1: cannot create the directory").arg(dir);
        return QString();
    }
    QSaveFile out(path);
    if (!out.open(QIODevice::WriteOnly) || out.write(content) != content.size() || !out.commit()) {
        if (error)
            *error = tr("%1: cannot write the demo program").arg(path);
        return QString();
    }
    return path;
}

bool LiveUi::startDemo()
{
    QString error;
    const QString script = demoScriptPath(&error);
    if (script.isEmpty()) {
        showError(error);
        return false;
    }
    const QStringList pythons = RunScriptDialog::interpretersOnPath();
    // 50 requests a second: the leaking types overtake the start-up noise
    // (modules imported after the "start" snapshot) within a few seconds.
    return runScript(pythons.first(), script, {QStringLiteral("--interval"), QStringLiteral("0.02")},
                     QFileInfo(script).absolutePath(), 1.0);
}

bool LiveUi::connectToPid(qint64 pid)
{
    if (m_live->isLive()) {
        showError(tr("Already watching process %1; stop it first").arg(m_live->pid()));
        return false;
    }
    if (!confirmNewSession())
        return false;
    const Status connected = m_live->connectToPid(pid);
    if (!connected) {
        showError(connected.error());
        return false;
    }
    m_every->setChecked(true);
    updateActions();
    return true;
}

void LiveUi::runDialog()
{
    RunScriptDialog dialog(m_window);
    if (dialog.exec() != QDialog::Accepted)
        return;
    m_live->setTraceFrames(dialog.traceAllocations() ? 16 : 0);
    runScript(dialog.interpreter(), dialog.script(), dialog.arguments(), dialog.workingDirectory(), dialog.interval());
    m_live->setTraceFrames(0);
}

void LiveUi::connectDialog()
{
    ConnectDialog dialog(m_window);
    if (dialog.exec() != QDialog::Accepted || dialog.selectedPid() <= 0)
        return;
    connectToPid(dialog.selectedPid());
}

void LiveUi::attachToPid(qint64 pid)
{
    if (m_live->isLive()) {
        showError(tr("Already watching process %1; stop it first").arg(m_live->pid()));
        return;
    }
    if (m_attachDialog) {
        m_attachDialog->raise();
        return;
    }
    if (!confirmNewSession())
        return;
    auto *dialog = new AttachDialog(m_window);
    m_attachDialog = dialog;
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::finished, this, [this, dialog](int result) {
        m_attachDialog = nullptr;
        if (result == QDialog::Accepted)
            attached(dialog->attachedPid(), dialog->socketPath());
    });
    dialog->open();
    if (pid > 0)
        dialog->attachTo(pid);
}

void LiveUi::attached(qint64 pid, const QString &socketPath)
{
    if (m_live->isLive()) {
        showError(tr("Already watching process %1; stop it first").arg(m_live->pid()));
        return;
    }
    // A new session for the attached process (LiveController starts it),
    // never merged into the open one.
    const Status connected = m_live->connectToPid(pid, socketPath);
    if (!connected) {
        showError(connected.error());
        return;
    }
    m_every->setChecked(true);
    updateActions();
    m_window->statusBar()->showMessage(tr("Agent loaded into process %1; watching it").arg(pid), 5000);
}

void LiveUi::setBaselineToLatest()
{
    const auto session = m_sessions->session();
    if (!session || session->snapshotCount() == 0)
        return;
    const int last = session->snapshotCount() - 1;
    m_sessions->setComparedSnapshots(last, last);
    m_window->statusBar()->showMessage(tr("Baseline set to snapshot %1; later snapshots are compared against it").arg(last + 1),
                                       5000);
}

} // namespace leakscope
