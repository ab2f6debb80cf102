// The window's Live > Attach to Process… end to end, offscreen: the dialog
// lists a running plain Python program (from /proc), the filter finds it,
// choosing it attaches with gdb and opens a new live session whose growth
// table shows the program's growing type.
#include "live/agentattacher.h"
#include "gui/attachdialog.h"
#include "views/growthtablemodel.h"
#include "testutil/guitestdata.h"
#include "gui/livecontroller.h"
#include "gui/liveui.h"
#include "gui/mainwindow.h"
#include "gui/sessioncontroller.h"

#include "testutil/liveenv.h"

#include <QAction>
#include <QApplication>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QStandardItemModel>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace leakscope;

namespace {

const char s_script[] = R"PY(
import time

class Leak:
    pass

_KEPT = []
print("ready", flush=True)
while True:
    _KEPT.extend(Leak() for _ in range(50))
    time.sleep(0.05)
)PY";

int typeRow(const GrowthTableModel *model, const QString &name)
{
    for (int r = 0; r < model->rowCount(); ++r)
        if (model->index(r, GrowthTableModel::TypeColumn).data(GrowthTableModel::TypeNameRole).toString() == name)
            return r;
    return -1;
}

} // namespace

class TestAttachGui : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void dialogListsProgramAndAttachOpensNewLiveSession();
    void cancelWhileWaitingLeavesProcessAsItWas();

private:
    QTemporaryDir m_dir;
};

void TestAttachGui::initTestCase()
{
    if (QStandardPaths::findExecutable(QStringLiteral("gdb")).isEmpty())
        QSKIP("gdb is not installed (Debian package gdb): attach cannot be tested");
    QVERIFY(m_dir.isValid());
    QVERIFY(testutil::isolateLiveEnvironment(m_dir.path()));
}

void TestAttachGui::dialogListsProgramAndAttachOpensNewLiveSession()
{
    const QString script = m_dir.filePath(QStringLiteral("grows_for_attach.py"));
    QFile f(script);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(s_script);
    f.close();
    QProcess target;
    const QString python = QStringLiteral(LEAKSCOPE_SYSTEM_PYTHON).isEmpty() ? QStringLiteral(LEAKSCOPE_PYTHON)
                                                                              : QStringLiteral(LEAKSCOPE_SYSTEM_PYTHON);
    target.start(python, {script});
    QVERIFY(target.waitForStarted());
    QVERIFY(target.waitForReadyRead(20000));
    QVERIFY(target.readLine().startsWith("ready"));
    const qint64 pid = target.processId();

    MainWindow window;
    LiveUi &live = *window.liveUi();
    window.show();
    // Something is open already: the attach must not merge into it.
    window.controller()->addLoadedFiles(
        {testdata::makeFile(QStringLiteral("old.lsnap"), {QStringLiteral("old.Type")}, {{5, 9}})});
    QTRY_VERIFY(typeRow(window.growthModel(), QStringLiteral("old.Type")) >= 0);

    QVERIFY(live.attachAction()->isEnabled());
    live.attachAction()->trigger();
    AttachDialog *dialog = live.attachDialog();
    QVERIFY(dialog);
    QSignalSpy listed(dialog, &AttachDialog::listRefreshed);
    QTRY_VERIFY_WITH_TIMEOUT(listed.count() >= 1, 20000);

    // Listed with its command line and version, no agent yet.
    int row = -1;
    for (int r = 0; r < dialog->processModel()->rowCount(); ++r)
        if (dialog->processModel()->item(r, AttachDialog::PidColumn)->data(AttachDialog::SortRole).toLongLong() == pid)
            row = r;
    QVERIFY2(row >= 0, "the dialog does not list the running program");
    QVERIFY(dialog->processModel()->item(row, AttachDialog::CommandColumn)->text().contains(QStringLiteral("grows_for_attach.py")));
    QVERIFY(dialog->processModel()->item(row, AttachDialog::PythonColumn)->text().startsWith(QStringLiteral("3.")));
    QVERIFY(dialog->processModel()->item(row, AttachDialog::AgentColumn)->text().isEmpty());
    QVERIFY(dialog->processModel()->item(row, AttachDialog::RssColumn)->data(AttachDialog::SortRole).toLongLong() > 0);

    // The filter narrows the list to it.
    dialog->filterBox()->setText(QStringLiteral("grows_for_attach"));
    QCOMPARE(dialog->filterModel()->rowCount(), 1);
    QVERIFY(dialog->selectPid(pid));
    QCOMPARE(dialog->selectedPid(), pid);

    QSignalSpy finished(dialog, &QDialog::finished);
    QTest::mouseClick(dialog->attachButton(), Qt::LeftButton);
    QVERIFY(dialog->isAttaching());
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
    QCOMPARE(finished.first().first().toInt(), int(QDialog::Accepted));

    QTRY_VERIFY_WITH_TIMEOUT(live.live()->state() == LiveController::State::Connected, 20000);
    QCOMPARE(live.live()->pid(), pid);
    QTRY_VERIFY_WITH_TIMEOUT(typeRow(window.growthModel(), QStringLiteral("__main__.Leak")) >= 0, 30000);
    QCOMPARE(typeRow(window.growthModel(), QStringLiteral("old.Type")), -1);
    QVERIFY(!live.attachAction()->isEnabled());

    live.live()->stop();
    QVERIFY(AgentAttacher::detach(pid));
    QCOMPARE(target.state(), QProcess::Running); // the program keeps running
    target.kill();
    target.waitForFinished();
}

// `leakscope --attach PID` on a program asleep in time.sleep(): the dialog
// shows the wait; Cancel stops it, the dialog stays open with the reason and
// the program is left as it was (no thread, no tracer, no socket).
void TestAttachGui::cancelWhileWaitingLeavesProcessAsItWas()
{
    const QString script = m_dir.filePath(QStringLiteral("sleeps.py"));
    QFile f(script);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("import time\nprint('ready', flush=True)\ntime.sleep(60)\n");
    f.close();
    QProcess target;
    target.start(QStringLiteral(LEAKSCOPE_PYTHON), {script});
    QVERIFY(target.waitForStarted());
    QVERIFY(target.waitForReadyRead(20000));
    const qint64 pid = target.processId();

    MainWindow window;
    LiveUi &live = *window.liveUi();
    window.show();
    live.attachToPid(pid);
    AttachDialog *dialog = live.attachDialog();
    QVERIFY(dialog);
    QSignalSpy finished(dialog, &QDialog::finished);
    QSignalSpy failed(dialog, &AttachDialog::attachFailed);
    QTRY_VERIFY_WITH_TIMEOUT(dialog->statusLabel()->text().contains(QStringLiteral("safe point")), 30000);
    QVERIFY(dialog->isAttaching());
    QVERIFY(dialog->cancelButton()->isEnabled());
    QTest::mouseClick(dialog->cancelButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 30000);
    QVERIFY2(failed.first().first().toString().contains(QStringLiteral("cancelled")), qPrintable(failed.first().first().toString()));
    QVERIFY(!dialog->isAttaching());
    QCOMPARE(finished.count(), 0); // still open, for another choice
    QCOMPARE(live.live()->state(), LiveController::State::Idle);
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    QVERIFY(status.open(QIODevice::ReadOnly));
    QVERIFY(status.readAll().contains("TracerPid:\t0\n"));
    QCOMPARE(QDir(QStringLiteral("/proc/%1/task").arg(pid)).entryList(QDir::Dirs | QDir::NoDotAndDotDot).size(), 1);
    QCOMPARE(QDir(qEnvironmentVariable("LEAKSCOPE_SOCKET_DIR")).entryList(QDir::System | QDir::Files), QStringList());
    QCOMPARE(target.state(), QProcess::Running);
    dialog->reject();
    QTRY_COMPARE(finished.count(), 1);
    target.kill();
    target.waitForFinished();
}

QTEST_MAIN(TestAttachGui)
#include "tst_attachgui.moc"
