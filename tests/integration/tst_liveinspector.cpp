// The object inspector and the References of containers in a live session
// whose compared snapshot has no heap graph (issues 15 and 14): the agent's
// `object` op gives the fields and referrers, double-click follows them, the
// buttons work live, and a container of the Containers view opens its
// References through the agent while it lives (and says so when it does not).
// A real Python process with the real agent, driven offscreen.
#include "gui/liveui.h"
#include "gui/livecontroller.h"
#include "gui/mainwindow.h"
#include "gui/referencespanel.h"
#include "gui/referencetabs.h"
#include "gui/sessioncontroller.h"
#include "core/session.h"
#include "core/textutil.h"
#include "views/containersview.h"
#include "views/objectinspector.h"
#include "views/referencegraphview.h"

#include "testutil/liveenv.h"

#include <QAction>
#include <QApplication>
#include <QDir>
#include <QFile>
#include <QPushButton>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

using namespace leakscope;

namespace {

// Requests kept in a module-level dict (the leak), a payload list that grows,
// and a list that the test has freed by creating "<ids>.drop".
const char s_script[] = R"PY(
import os, sys, time

class Session:
    def hold(self, request):
        self.current = request

class Request:
    def __init__(self, i, session):
        self.path = "/api/items/%d" % i
        self.status = 200
        self.session = session

SESSION = Session()
_REQUEST_LOG = {}
_PAYLOADS = []
_DOOMED = ["doomed %d" % i for i in range(3000)]
ids = sys.argv[1]
_REQUEST_LOG["r0"] = Request(0, SESSION)
SESSION.hold(_REQUEST_LOG["r0"])
with open(ids + ".tmp", "w") as f:
    f.write("%d %d %d %d\n" % (id(_REQUEST_LOG["r0"]), id(SESSION), id(_PAYLOADS), id(_DOOMED)))
os.rename(ids + ".tmp", ids)
i = 1
while True:
    _REQUEST_LOG["r%d" % i] = Request(i, SESSION)
    _PAYLOADS.extend("payload %d" % (i * 100 + k) for k in range(100))
    i += 1
    if _DOOMED is not None and os.path.exists(ids + ".drop"):
        _DOOMED = None
        open(ids + ".dropped", "w").close()
    time.sleep(0.05)
)PY";

QTreeWidgetItem *itemWithText(QTreeWidget *list, int column, const QString &text)
{
    for (int i = 0; i < list->topLevelItemCount(); ++i)
        if (list->topLevelItem(i)->text(column) == text)
            return list->topLevelItem(i);
    return nullptr;
}

bool graphHasObject(const ReferencesPanel *references, qint64 objectId)
{
    for (const LayoutNode &n : references->view()->graph().nodes)
        if (n.id == QStringLiteral("o%1").arg(objectId))
            return true;
    return false;
}

// LEAKSCOPE_SCREENSHOT_DIR=docs refreshes docs/screenshot-inspector-live.png.
void saveScreenshot(QWidget &widget, const QString &name)
{
    if (!qEnvironmentVariableIsSet("LEAKSCOPE_SCREENSHOT_DIR"))
        return;
    QCoreApplication::processEvents();
    QVERIFY(widget.grab().save(qEnvironmentVariable("LEAKSCOPE_SCREENSHOT_DIR") + QLatin1Char('/') + name));
}

} // namespace

class TestLiveInspector : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void inspectorAndContainerReferencesAskTheAgent();

private:
    QTemporaryDir m_dir;
};

void TestLiveInspector::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY(testutil::isolateLiveEnvironment(m_dir.path()));
}

void TestLiveInspector::inspectorAndContainerReferencesAskTheAgent()
{
    const QString script = m_dir.filePath(QStringLiteral("requests.py"));
    const QString idsFile = m_dir.filePath(QStringLiteral("ids.txt"));
    QFile f(script);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(s_script);
    f.close();

    MainWindow window;
    LiveUi &live = *window.liveUi();
    ReferenceTabs *tabs = window.referenceTabs();
    ReferencesPanel *references = tabs->references();
    window.resize(1280, 720);
    window.show();
    QVERIFY(live.runScript(QStringLiteral(LEAKSCOPE_PYTHON), script, {idsFile}, QString(), 0.5));
    auto stop = qScopeGuard([&live] { live.stopAction()->trigger(); });
    QTRY_VERIFY2_WITH_TIMEOUT(live.live()->state() == LiveController::State::Connected,
                              qPrintable(live.live()->statusText()), 30000);
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(idsFile), 20000);
    QFile ids(idsFile);
    QVERIFY(ids.open(QIODevice::ReadOnly));
    const QList<QByteArray> parts = ids.readAll().trimmed().split(' ');
    QCOMPARE(parts.size(), 4);
    const qint64 requestId = parts[0].toLongLong();
    const qint64 sessionId = parts[1].toLongLong();
    const qint64 payloadsId = parts[2].toLongLong();
    const qint64 doomedId = parts[3].toLongLong();
    QTRY_VERIFY_WITH_TIMEOUT(window.controller()->session() && window.controller()->session()->snapshotCount() >= 1,
                             20000);

    // The inspector on a request, from the agent: its named fields with
    // their values, and who refers to it through which key.
    tabs->inspect(quint64(requestId));
    ObjectInspector *inspector = tabs->inspector();
    QVERIFY(inspector);
    QTRY_COMPARE_WITH_TIMEOUT(inspector->details().type, QStringLiteral("__main__.Request"), 20000);
    QCOMPARE(inspector->objectId(), quint64(requestId));
    QVERIFY(inspector->details().fromAgent);
    QVERIFY2(inspector->summaryText().contains(QStringLiteral("live process")), qPrintable(inspector->summaryText()));
    QTreeWidgetItem *path = itemWithText(inspector->fieldsView(), 0, QStringLiteral(".path"));
    QVERIFY(path);
    QCOMPARE(path->text(1), QStringLiteral("'/api/items/0'"));
    QCOMPARE(path->text(2), QStringLiteral("str"));
    QTreeWidgetItem *status = itemWithText(inspector->fieldsView(), 0, QStringLiteral(".status"));
    QVERIFY(status);
    QCOMPARE(status->text(1), QStringLiteral("200"));
    QVERIFY(itemWithText(inspector->referrersView(), 0, QStringLiteral("['r0']")));
    QTreeWidgetItem *log = itemWithText(inspector->referrersView(), 0, QStringLiteral("['r0']"));
    QCOMPARE(log->text(2), QStringLiteral("dict"));
    QVERIFY2(log->text(1).startsWith(QStringLiteral("__main__._REQUEST_LOG \u00b7 dict (")), qPrintable(log->text(1)));
    inspector->resize(1280, 720);
    saveScreenshot(*inspector, QStringLiteral("screenshot-inspector-live.png"));

    // Chain to Root, live.
    QTest::mouseClick(inspector->chainButton(), Qt::LeftButton);
    // The shortest chain: through SESSION.current or _REQUEST_LOG.
    QTRY_VERIFY2_WITH_TIMEOUT(inspector->chainText().contains(QStringLiteral("module __main__ \u2192")),
                              qPrintable(inspector->chainText()), 20000);

    // Double-click a field: the inspector follows it to the session, whose
    // referrers include the request by its attribute.
    QTreeWidgetItem *session = itemWithText(inspector->fieldsView(), 0, QStringLiteral(".session"));
    QVERIFY(session);
    emit inspector->fieldsView()->itemActivated(session, 0);
    QTRY_COMPARE_WITH_TIMEOUT(inspector->objectId(), quint64(sessionId), 20000);
    QTRY_COMPARE_WITH_TIMEOUT(inspector->details().type, QStringLiteral("__main__.Session"), 20000);
    QVERIFY(itemWithText(inspector->fieldsView(), 0, QStringLiteral(".current")));
    QTreeWidgetItem *byRequest = itemWithText(inspector->referrersView(), 0, QStringLiteral(".session"));
    QVERIFY(byRequest);
    // ... and a referrer back to a request.
    emit inspector->referrersView()->itemActivated(byRequest, 0);
    QTRY_COMPARE_WITH_TIMEOUT(inspector->details().type, QStringLiteral("__main__.Request"), 20000);

    // References on the inspected object: the References tab asks the agent.
    const quint64 shownId = inspector->objectId();
    QTest::mouseClick(inspector->referencesButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(references->source(), ReferencesPanel::Source::Live, 20000);
    QTRY_VERIFY_WITH_TIMEOUT(graphHasObject(references, qint64(shownId)) && references->view()->graph().nodes.size() > 1,
                             30000);
    inspector->close();

    // Containers are recorded with a heap-graph snapshot; compared with later
    // plain snapshots (no graph), a click on a container asks the agent by
    // its id.
    QTRY_VERIFY_WITH_TIMEOUT(live.graphSnapshotAction()->isEnabled(), 20000);
    live.graphSnapshotAction()->trigger();
    const auto graphIndex = [&window] {
        const auto s = window.controller()->session();
        for (int i = s ? s->snapshotCount() - 1 : -1; i >= 0; --i)
            if (s->snapshot(i).info.hasGraph)
                return i;
        return -1;
    };
    QTRY_VERIFY_WITH_TIMEOUT(graphIndex() >= 0, 60000);
    const int index = graphIndex();
    // Its containers stay listed against it as the baseline.
    QTRY_COMPARE_WITH_TIMEOUT(window.controller()->comparison()->current, index, 20000);
    live.baselineAction()->trigger();
    QTRY_COMPARE(window.controller()->comparison()->baseline, index);
    live.pauseAction()->setChecked(false);
    QTRY_VERIFY_WITH_TIMEOUT(window.controller()->comparison()->current > index, 30000);
    auto *containers = window.findChild<ContainersView *>();
    QVERIFY(containers);
    QTRY_VERIFY_WITH_TIMEOUT(containers->selectContainer(payloadsId), 20000);
    QTRY_COMPARE_WITH_TIMEOUT(references->source(), ReferencesPanel::Source::Live, 20000);
    QTRY_VERIFY_WITH_TIMEOUT(graphHasObject(references, payloadsId) && references->view()->graph().nodes.size() > 1,
                             30000);
    bool targetIsPayloads = false;
    for (const LayoutNode &n : references->view()->graph().nodes)
        targetIsPayloads = targetIsPayloads || (n.kind == NodeKind::Target && n.id == QStringLiteral("o%1").arg(payloadsId));
    QVERIFY(targetIsPayloads);

    // A container freed since: the References tab says it no longer lives.
    QFile drop(idsFile + QStringLiteral(".drop"));
    QVERIFY(drop.open(QIODevice::WriteOnly));
    drop.close();
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(idsFile + QStringLiteral(".dropped")), 20000);
    QVERIFY(containers->selectContainer(doomedId));
    QTRY_VERIFY2_WITH_TIMEOUT(references->view()->placeholderText().contains(QStringLiteral("no longer alive")),
                              qPrintable(references->view()->placeholderText()), 20000);
}

QTEST_MAIN(TestLiveInspector)
#include "tst_liveinspector.moc"
