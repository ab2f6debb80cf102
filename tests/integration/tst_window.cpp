// Issue 15, the window a newcomer opens: its first size fits the screen and
// the last geometry comes back, Open Recent lists live-session autosaves with
// their folders, Save Session is Ctrl+S and the export dialogs propose a name,
// the Help dialogs open with content, `leakscope --help`/`--version` run
// without a display, and the bundled example fills every tab (it carries heap
// graphs). The real window, offscreen; the real binary for --help.
#include "gui/examplesession.h"
#include "gui/helpdialogs.h"
#include "gui/mainwindow.h"
#include "gui/referencespanel.h"
#include "gui/referencetabs.h"
#include "gui/retainerspanel.h"
#include "gui/sessioncontroller.h"
#include "gui/windowsettings.h"
#include "views/containersview.h"
#include "views/growthtablemodel.h"
#include "views/growthtableview.h"
#include "views/referencegraphscene.h"
#include "views/referencegraphview.h"
#include "views/summaryview.h"

#include <QAction>
#include <QDir>
#include <QHeaderView>
#include <QPixmap>
#include <QRegularExpression>
#include <QScrollBar>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QListWidget>
#include <QMenu>
#include <QMenuBar>
#include <QProcess>
#include <QPushButton>
#include <QScreen>
#include <QSplitter>
#include <QSettings>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>
#include <QTreeView>

using namespace leakscope;

namespace {

QAction *findAction(QMenuBar *bar, const QString &text)
{
    const QList<QAction *> top = bar->actions();
    for (QAction *m : top) {
        if (!m->menu())
            continue;
        const QList<QAction *> actions = m->menu()->actions();
        for (QAction *a : actions)
            if (a->text().remove(QLatin1Char('&')).remove(QChar(0x2026)) == text)
                return a;
    }
    return nullptr;
}

QMenu *findMenu(QMenuBar *bar, const QString &title)
{
    const QList<QAction *> top = bar->actions();
    for (QAction *m : top) {
        if (!m->menu())
            continue;
        if (m->menu()->title().remove(QLatin1Char('&')) == title)
            return m->menu();
        const QList<QAction *> actions = m->menu()->actions();
        for (QAction *a : actions)
            if (a->menu() && a->menu()->title().remove(QLatin1Char('&')) == title)
                return a->menu();
    }
    return nullptr;
}

bool openExample(MainWindow &w)
{
    const Expected<QString> path = exampleSessionPath();
    if (!path)
        return false;
    w.openFiles({path.value()});
    return QTest::qWaitFor(
        [&w] {
            const auto c = w.controller()->comparison();
            return c && w.controller()->session()->snapshotCount() > 2 && !w.controller()->isBusy();
        },
        60000);
}

} // namespace

class TestWindow : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void firstSizeFitsTheScreenAndTheLastComesBack();
    void firstGeometryOnSmallAndLargeScreens();
    void recentFilesListAutosavesWithTheirFolders();
    void saveIsCtrlSAndExportsProposeAName();
    void helpDialogsOpenWithContent();
    void whatIsASuspectUsesTheSessionsNumbers();
    void helpAndVersionWithoutADisplay();
    void exampleFillsEveryTab();
    void tableReadsAt1280x720And1920x1080_data();
    void tableReadsAt1280x720And1920x1080();
    void columnChoicesComeBackAndReset();
    void welcomePageSaysHowToInstallTheAgent();

private:
    QTemporaryDir m_dir;
    QString m_autosaveDir;
};

void TestWindow::initTestCase()
{
    QVERIFY(m_dir.isValid());
    qputenv("XDG_CONFIG_HOME", QFile::encodeName(m_dir.filePath(QStringLiteral("config"))));
    qputenv("XDG_CACHE_HOME", QFile::encodeName(m_dir.filePath(QStringLiteral("cache"))));
    m_autosaveDir = m_dir.filePath(QStringLiteral("autosave"));
    qputenv("LEAKSCOPE_AUTOSAVE_DIR", QFile::encodeName(m_autosaveDir));
    QSettings::setDefaultFormat(QSettings::IniFormat);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_dir.filePath(QStringLiteral("settings")));
    QCoreApplication::setOrganizationName(QStringLiteral("LeakscopeTest"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_window"));
}

void TestWindow::init()
{
    QSettings().clear();
}

void TestWindow::firstSizeFitsTheScreenAndTheLastComesBack()
{
    QRect available;
    {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        available = w.screen()->availableGeometry();
        // The offscreen screen (800x600) is smaller than the preferred size.
        QVERIFY(available.width() < WindowSettings::s_preferredSize.width());
        QVERIFY2(available.contains(w.frameGeometry()),
                 qPrintable(QStringLiteral("%1x%2+%3+%4 outside %5x%6")
                                .arg(w.frameGeometry().width())
                                .arg(w.frameGeometry().height())
                                .arg(w.frameGeometry().x())
                                .arg(w.frameGeometry().y())
                                .arg(available.width())
                                .arg(available.height())));
        w.resize(740, 500);
        w.move(available.topLeft() + QPoint(10, 20));
        QTRY_COMPARE(w.size(), QSize(740, 500));
        w.close();
    }
    {
        // The last geometry comes back.
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QCOMPARE(w.size(), QSize(740, 500));
        // Saved on a bigger screen: it still fits this one.
        w.resize(1900, 1200);
        QTRY_COMPARE(w.size(), QSize(1900, 1200));
        w.close();
    }
    MainWindow again;
    again.show();
    QVERIFY(QTest::qWaitForWindowExposed(&again));
    QVERIFY(available.contains(again.frameGeometry()));
}

void TestWindow::firstGeometryOnSmallAndLargeScreens()
{
    // A 1280x720 laptop: within it, centred.
    const QRect laptop(0, 0, 1280, 720);
    const QRect first = WindowSettings::firstGeometry(laptop, QSize(720, 480));
    QVERIFY(laptop.contains(first));
    QVERIFY(first.width() <= 1280 - WindowSettings::s_frameAllowance.width());
    QVERIFY(first.height() <= 720 - WindowSettings::s_frameAllowance.height());
    QCOMPARE(first.center(), laptop.center());
    // A big screen: the preferred size, on that screen (second monitor).
    const QRect big(1920, 0, 2560, 1440);
    const QRect onBig = WindowSettings::firstGeometry(big, QSize(720, 480));
    QCOMPARE(onBig.size(), WindowSettings::s_preferredSize);
    QVERIFY(big.contains(onBig));
}

void TestWindow::recentFilesListAutosavesWithTheirFolders()
{
    // An autosave left by a live session (a real recording).
    QVERIFY(QDir().mkpath(m_autosaveDir));
    const Expected<QString> example = exampleSessionPath();
    QVERIFY2(example.ok(), qPrintable(example.error()));
    const QString autosave = QDir(m_autosaveDir).filePath(QStringLiteral("leaky_cache-20261204-101500.lsnap"));
    QFile::remove(autosave);
    QVERIFY(QFile::copy(example.value(), autosave));

    MainWindow w;
    w.resize(780, 560);
    w.show();
    QMenu *recent = findMenu(w.menuBar(), QStringLiteral("Open Recent"));
    QVERIFY(recent);
    QVERIFY(recent->isEnabled());
    QAction *entry = nullptr;
    const QList<QAction *> actions = recent->actions();
    for (QAction *a : actions)
        if (a->text().contains(QStringLiteral("leaky_cache-20261204-101500.lsnap")))
            entry = a;
    QVERIFY(entry);
    // With its folder, in the entry and its tip.
    QVERIFY2(entry->text().contains(QStringLiteral("autosave")), qPrintable(entry->text()));
    QCOMPARE(entry->toolTip(), QDir::toNativeSeparators(autosave));
    // The empty state links to it too.
    QVERIFY(w.isShowingEmptyState());
    QPushButton *link = nullptr;
    const QList<QPushButton *> buttons = w.findChildren<QPushButton *>();
    for (QPushButton *b : buttons)
        if (b->text().contains(QStringLiteral("leaky_cache-20261204-101500.lsnap")))
            link = b;
    QVERIFY(link);
    QVERIFY(link->text().contains(QStringLiteral("autosave")));
    link->click();
    QTRY_VERIFY_WITH_TIMEOUT(!w.isShowingEmptyState(), 30000);
    QTRY_VERIFY(!w.controller()->isBusy());
    QCOMPARE(w.controller()->files(), QStringList{autosave});
    QVERIFY(w.recentFiles().contains(autosave));
    QFile::remove(autosave);
}

void TestWindow::saveIsCtrlSAndExportsProposeAName()
{
    MainWindow w;
    w.resize(780, 560);
    w.show();
    QAction *save = findAction(w.menuBar(), QStringLiteral("Save Session"));
    QVERIFY(save);
    QCOMPARE(save->shortcut(), QKeySequence(QKeySequence::Save));
    QVERIFY(!save->isEnabled()); // nothing to save yet
    QVERIFY(openExample(w));
    QVERIFY(save->isEnabled());

    const QString example = w.controller()->files().front();
    const QString dir = QFileInfo(example).absolutePath();
    const QString session = w.proposedFileName(MainWindow::FileKind::Session);
    QCOMPARE(QFileInfo(session).absolutePath(), dir);
    QVERIFY2(session.endsWith(QLatin1String(".lsnap")) && session != example, qPrintable(session));
    const QString csv = w.proposedFileName(MainWindow::FileKind::Csv);
    const QString json = w.proposedFileName(MainWindow::FileKind::Json);
    QVERIFY2(QFileInfo(csv).fileName().startsWith(QLatin1String("demo-session")), qPrintable(csv));
    QVERIFY(csv.endsWith(QLatin1String(".csv")));
    QVERIFY(json.endsWith(QLatin1String(".json")));
    // Names the compared snapshots as the timeline numbers them (from 1).
    const auto c = w.controller()->comparison();
    QVERIFY2(csv.contains(QStringLiteral("%1-%2").arg(c->baseline + 1).arg(c->current + 1)), qPrintable(csv));
}

void TestWindow::helpDialogsOpenWithContent()
{
    MainWindow w;
    w.resize(780, 560);
    w.show();

    QAction *guide = findAction(w.menuBar(), QStringLiteral("User Guide"));
    QVERIFY(guide);
    guide->trigger();
    auto *dialog = w.findChild<UserGuideDialog *>();
    QVERIFY(dialog);
    QTRY_VERIFY(dialog->isVisible());
    QVERIFY(UserGuideDialog::pages().size() >= 5);
    QCOMPARE(dialog->pageList()->count(), UserGuideDialog::pages().size());
    QVERIFY2(dialog->browser()->toPlainText().contains(QStringLiteral("A short tour")),
             qPrintable(dialog->browser()->toPlainText().left(300)));
    // Markdown, not its source: headings are formatted, no '#' left.
    QVERIFY(!dialog->browser()->toPlainText().contains(QStringLiteral("## A short tour")));
    int cli = -1;
    for (int i = 0; i < dialog->pageList()->count(); ++i)
        if (dialog->pageList()->item(i)->data(Qt::UserRole).toString().endsWith(QLatin1String("cli.md")))
            cli = i;
    QVERIFY(cli >= 0);
    dialog->pageList()->setCurrentRow(cli);
    QVERIFY(dialog->browser()->toPlainText().contains(QStringLiteral("leakscope-cli compare")));
    dialog->close();

    QAction *keys = findAction(w.menuBar(), QStringLiteral("Keyboard Shortcuts"));
    QVERIFY(keys);
    keys->trigger();
    auto *shortcuts = w.findChild<ShortcutsDialog *>();
    QVERIFY(shortcuts);
    QTRY_VERIFY(shortcuts->isVisible());
    QTableWidget *table = shortcuts->table();
    QStringList rows;
    for (int r = 0; r < table->rowCount(); ++r)
        rows << table->item(r, 0)->text() + QLatin1Char('=') + table->item(r, 1)->text();
    const QString save = QKeySequence(QKeySequence::Save).toString(QKeySequence::NativeText);
    QVERIFY2(rows.contains(save + QStringLiteral("=Save Session")), qPrintable(rows.join(QLatin1Char('\n'))));
    QVERIFY(rows.contains(QKeySequence(QKeySequence::Open).toString(QKeySequence::NativeText) + QStringLiteral("=Open")));
    // The live actions are part of every window.
    QVERIFY(rows.contains(QStringLiteral("Ctrl+R=Run Python Script")));
    shortcuts->close();
}

void TestWindow::whatIsASuspectUsesTheSessionsNumbers()
{
    MainWindow w;
    w.resize(1000, 700);
    w.show();
    QAction *what = findAction(w.menuBar(), QStringLiteral("What is a Suspect?"));
    QVERIFY(what);
    // No session: the rule alone.
    what->trigger();
    auto *plain = w.findChild<SuspectHelpDialog *>();
    QVERIFY(plain);
    QVERIFY(plain->browser()->toPlainText().contains(QStringLiteral("at least 60% of the intervals")));
    QVERIFY(plain->browser()->toPlainText().contains(QStringLiteral("Select a type")));
    plain->close();
    delete plain;

    QVERIFY(openExample(w));
    w.selectTypes({QStringLiteral("__main__.Session")});
    QCOMPARE(w.selectedTypes().size(), 1);
    what->trigger();
    auto *dialog = w.findChild<SuspectHelpDialog *>();
    QVERIFY(dialog);
    const QString text = dialog->browser()->toPlainText();
    QVERIFY2(text.contains(QStringLiteral("__main__.Session in this session")), qPrintable(text));
    // The verdict's own numbers.
    const auto comparison = w.controller()->comparison();
    const int type = w.controller()->session()->types().find(QStringLiteral("__main__.Session"));
    const GrowthRow *row = nullptr;
    for (const GrowthRow &r : comparison->rows)
        if (r.type == type)
            row = &r;
    QVERIFY(row);
    QVERIFY(row->verdict.suspect);
    QVERIFY2(text.contains(QStringLiteral("suspect: ") + row->verdict.reason), qPrintable(text));
    QVERIFY(text.contains(QStringLiteral("grew in %1 of %2 intervals").arg(row->verdict.grewIntervals).arg(row->verdict.intervals)));
    QVERIFY(text.contains(QStringLiteral("R\u00b2 %1").arg(QString::number(row->verdict.r2, 'f', 2))));

    // The bounded cache is explained as not a suspect.
    w.selectTypes({QStringLiteral("__main__.CacheEntry")});
    const QString bounded = SuspectHelpDialog::explanation(w.controller()->session().get(), [&] {
        const int t = w.controller()->session()->types().find(QStringLiteral("__main__.CacheEntry"));
        for (const GrowthRow &r : comparison->rows)
            if (r.type == t)
                return &r;
        return static_cast<const GrowthRow *>(nullptr);
    }());
    QVERIFY2(bounded.contains(QStringLiteral("not a suspect")), qPrintable(bounded));
}

void TestWindow::helpAndVersionWithoutADisplay()
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const char *name : {"QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORMTHEME"})
        env.remove(QString::fromLatin1(name));
    for (const QString &option : {QStringLiteral("--help"), QStringLiteral("--version"), QStringLiteral("-h")}) {
        QProcess p;
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(LEAKSCOPE_BIN_DIR "/leakscope"), {option});
        QVERIFY2(p.waitForFinished(30000), qPrintable(option));
        const QString out = QString::fromUtf8(p.readAllStandardOutput());
        const QString err = QString::fromUtf8(p.readAllStandardError());
        QVERIFY2(p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0,
                 qPrintable(option + QStringLiteral(": ") + err));
        if (option == QLatin1String("--version")) {
            QVERIFY2(out.startsWith(QLatin1String("leakscope ")), qPrintable(out));
            QVERIFY(out.contains(QRegularExpression(QStringLiteral("\\d+\\.\\d+"))));
        } else {
            QVERIFY2(out.contains(QStringLiteral("--example")) && out.contains(QStringLiteral("--connect")),
                     qPrintable(out));
        }
    }
}

void TestWindow::exampleFillsEveryTab()
{
    MainWindow w;
    w.resize(1280, 720);
    w.show();
    QVERIFY(openExample(w));
    // The example carries heap graphs: the Retained columns show (at
    // 1280x720 Retained gives way to the Reason column, Δ retained stays).
    QTRY_VERIFY_WITH_TIMEOUT(w.growthModel()->hasRetained(), 60000);
    QVERIFY(!w.growthView()->header()->isSectionHidden(GrowthTableModel::DeltaRetainedColumn));
    QVERIFY(!w.growthView()->header()->isSectionHidden(GrowthTableModel::RetainedColumn)
            || w.growthView()->isAutoHidden(GrowthTableModel::RetainedColumn));

    // Summary: the leak, with its chain from a root (graph analysis).
    auto *summary = w.findChild<SummaryView *>();
    QVERIFY(summary);
    QTRY_VERIFY_WITH_TIMEOUT(summary->hasReport() && summary->report().hasGraph, 60000);
    QVERIFY(!summary->report().entries.empty());

    // References: the graph of sample Sessions.
    w.selectTypes({QStringLiteral("__main__.Session")});
    ReferencesPanel *refs = w.referenceTabs()->references();
    w.detailTabs()->setCurrentWidget(refs);
    QTRY_VERIFY_WITH_TIMEOUT(refs->view()->layoutsShown() > 0 && !refs->view()->isLayoutRunning(), 60000);
    QVERIFY(refs->view()->graphScene()->nodeCount() > 1);

    // Retainers: the objects that keep the most memory alive.
    RetainersPanel *retainers = w.referenceTabs()->retainers();
    w.detailTabs()->setCurrentWidget(retainers);
    QTRY_VERIFY_WITH_TIMEOUT(!retainers->isShowingEmptyState() && retainers->table()->model()->rowCount() > 0, 60000);

    // Containers: the growing _CACHE.
    auto *containers = w.findChild<ContainersView *>();
    QVERIFY(containers);
    QTRY_VERIFY_WITH_TIMEOUT(containers->model()->rowCount() > 0, 30000);

    // docs/ screenshots at 1280x720 when asked for.
    const QString shots = qEnvironmentVariable("LEAKSCOPE_SCREENSHOT_DIR");
    w.detailTabs()->setCurrentWidget(refs);
    QTest::qWait(300);
    const QPixmap pixmap = w.grab();
    QCOMPARE(pixmap.size() / pixmap.devicePixelRatio(), QSize(1280, 720));
    if (!shots.isEmpty()) {
        QVERIFY(pixmap.save(QDir(shots).filePath(QStringLiteral("screenshot-example-references.png"))));
        w.detailTabs()->setCurrentWidget(summary);
        QTest::qWait(300);
        QVERIFY(w.grab().save(QDir(shots).filePath(QStringLiteral("screenshot-example-summary.png"))));
    }
}

void TestWindow::tableReadsAt1280x720And1920x1080_data()
{
    QTest::addColumn<QSize>("size");
    QTest::newRow("1280x720") << QSize(1280, 720);
    QTest::newRow("1920x1080") << QSize(1920, 1080);
}

void TestWindow::tableReadsAt1280x720And1920x1080()
{
    // The window on a first start with the example (heap graphs, so the
    // Retained columns show): the Reason column within the table without
    // scrolling, the user types' names whole.
    QFETCH(QSize, size);
    MainWindow w;
    w.resize(size);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QVERIFY(openExample(w));
    QTRY_VERIFY_WITH_TIMEOUT(w.growthModel()->hasRetained(), 60000);
    GrowthTableView *view = w.growthView();
    QHeaderView *header = view->header();
    QVERIFY(!header->isSectionHidden(GrowthTableModel::DeltaRetainedColumn));
    QVERIFY(!header->isSectionHidden(GrowthTableModel::ReasonColumn));
    // The snapshot pane leaves the table the room: 27% of the window at most.
    auto *splitter = w.findChild<QSplitter *>(QStringLiteral("mainSplitter"));
    QVERIFY(splitter);
    QVERIFY2(splitter->sizes().value(0) <= size.width() * 27 / 100,
             qPrintable(QString::number(splitter->sizes().value(0))));
    const int viewport = view->viewport()->width();
    const int reasonLeft = header->sectionViewportPosition(GrowthTableModel::ReasonColumn);
    const int reasonWidth = header->sectionSize(GrowthTableModel::ReasonColumn);
    QVERIFY2(reasonLeft >= 0 && reasonLeft + reasonWidth <= viewport && reasonWidth >= GrowthTableView::s_minimumReasonWidth,
             qPrintable(QStringLiteral("Reason at %1 + %2 in %3").arg(reasonLeft).arg(reasonWidth).arg(viewport)));
    QCOMPARE(view->horizontalScrollBar()->maximum(), 0);
    // The reason text is elided there, whole in the tooltip.
    const QModelIndex firstReason = view->model()->index(0, GrowthTableModel::ReasonColumn);
    QVERIFY(firstReason.data(Qt::ToolTipRole).toString().contains(firstReason.data().toString()));
    // Every user type's name whole in the Type column (bold, with the suspect icon).
    QFont bold = view->font();
    bold.setBold(true);
    const int typeWidth = header->sectionSize(GrowthTableModel::TypeColumn);
    int userTypes = 0;
    for (int r = 0; r < view->model()->rowCount(); ++r) {
        const QModelIndex i = view->model()->index(r, GrowthTableModel::TypeColumn);
        if (i.data(GrowthTableModel::BuiltinRole).toBool())
            continue;
        const QString name = i.data(GrowthTableModel::TypeNameRole).toString();
        if (!name.startsWith(QLatin1String("__main__.")))
            continue;
        ++userTypes;
        const int needed = QFontMetrics(bold).horizontalAdvance(name) + view->iconSize().width();
        QVERIFY2(typeWidth >= needed, qPrintable(QStringLiteral("%1: %2 < %3").arg(name).arg(typeWidth).arg(needed)));
    }
    QVERIFY(userTypes >= 2);
    // At 1920x1080 nothing needs to give way.
    if (size.width() >= 1920) {
        for (int c = 0; c < GrowthTableModel::ColumnCount; ++c)
            QVERIFY2(!header->isSectionHidden(c), qPrintable(QString::number(c)));
    }

    // docs/screenshot-table.png when asked for: the two leaks charted.
    const QString shots = qEnvironmentVariable("LEAKSCOPE_SCREENSHOT_DIR");
    if (!shots.isEmpty() && size.width() == 1280) {
        w.selectTypes({QStringLiteral("__main__.Request"), QStringLiteral("__main__.Session")});
        QTabWidget *tabs = w.detailTabs();
        for (int i = 0; i < tabs->count(); ++i)
            if (tabs->tabText(i).remove(QLatin1Char('&')) == QLatin1String("Trend"))
                tabs->setCurrentIndex(i);
        QTest::qWait(500);
        QVERIFY(w.grab().save(QDir(shots).filePath(QStringLiteral("screenshot-example-table.png"))));
    }
}

void TestWindow::columnChoicesComeBackAndReset()
{
    // Hidden through the header menu in one window, hidden in the next one
    // (QSettings); Reset Columns there brings it back.
    {
        MainWindow w;
        w.resize(1920, 1000);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(openExample(w));
        std::unique_ptr<QMenu> menu(w.growthView()->createHeaderMenu(nullptr));
        QAction *trend = nullptr;
        for (QAction *a : menu->actions())
            if (a->objectName() == QLatin1String("trend"))
                trend = a;
        QVERIFY(trend && trend->isChecked());
        trend->trigger();
        QVERIFY(w.growthView()->header()->isSectionHidden(GrowthTableModel::TrendColumn));
        w.close();
    }
    MainWindow w;
    w.resize(1920, 1000);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QCOMPARE(w.growthView()->columnChoice(GrowthTableModel::TrendColumn), GrowthTableView::Choice::Hidden);
    QVERIFY(openExample(w));
    QVERIFY(w.growthView()->header()->isSectionHidden(GrowthTableModel::TrendColumn));
    w.growthView()->resetColumns();
    QVERIFY(!w.growthView()->header()->isSectionHidden(GrowthTableModel::TrendColumn));
    w.close();
    QVERIFY(QSettings().value(QStringLiteral("window/growthColumns")).toMap().isEmpty());
}

void TestWindow::welcomePageSaysHowToInstallTheAgent()
{
    MainWindow w;
    w.resize(900, 700);
    w.show();
    QVERIFY(w.isShowingEmptyState());
    QLabel *install = w.findChild<QLabel *>(QStringLiteral("agentInstallHint"));
    QVERIFY(install);
    QVERIFY(install->isVisible());
    QVERIFY2(install->text().contains(QStringLiteral("import leakscope_agent")), qPrintable(install->text()));
    QVERIFY(install->text().contains(QStringLiteral("pip install")));
    QVERIFY(install->text().contains(QStringLiteral("offline")));
    // Offline: the agent this build carries, unpacked, with the PYTHONPATH to use.
    auto *unpack = w.findChild<QPushButton *>(QStringLiteral("unpackAgentButton"));
    QVERIFY(unpack);
    unpack->click();
    QLabel *path = w.findChild<QLabel *>(QStringLiteral("agentPathLabel"));
    QVERIFY(path);
    QTRY_VERIFY(path->text().contains(QStringLiteral("PYTHONPATH=")));
    const QString dir = path->property("agentDir").toString();
    QVERIFY2(QFileInfo::exists(dir + QStringLiteral("/leakscope_agent/__init__.py")), qPrintable(dir));
    // And the real interpreter imports it from there.
    QProcess python;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("PYTHONPATH"), dir);
    python.setProcessEnvironment(env);
    python.start(QStringLiteral(LEAKSCOPE_PYTHON),
                 {QStringLiteral("-c"), QStringLiteral("import leakscope_agent, sys; print(leakscope_agent.__file__)")});
    QVERIFY(python.waitForFinished(30000));
    QCOMPARE(python.exitCode(), 0);
    QVERIFY(QString::fromUtf8(python.readAllStandardOutput()).startsWith(dir));
}

QTEST_MAIN(TestWindow)
#include "tst_window.moc"
