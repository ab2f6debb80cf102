// Issue 14 end to end: real programs (tests/data/containers) recorded through
// `leakscope-cli record` and the real embedded agent; compare's containers
// section, JSON and gates, the allocations command, a file without the new
// tables, and the Containers view and Allocations tab offscreen.
#include "core/containergrowth.h"
#include "gui/mainwindow.h"
#include "gui/sessioncontroller.h"
#include "lsnap/snapshotreader.h"
#include "views/allocationsview.h"
#include "views/containersview.h"
#include "views/growthtablemodel.h"
#include "views/trendchart.h"

#include <QApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeView>
#include <QTreeWidget>

using namespace leakscope;

namespace {

struct Run
{
    int code = -1;
    QString out;
    QString err;
};

const QString s_data = QStringLiteral(LEAKSCOPE_SOURCE_DIR "/tests/data/containers/");

int lineOf(const QString &file, const QString &marker)
{
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    int n = 0;
    while (!f.atEnd()) {
        ++n;
        if (QString::fromUtf8(f.readLine()).contains(marker))
            return n;
    }
    return -1;
}

} // namespace

class TestContainers : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void compareNamesGrowingContainers();
    void compareJsonContainers();
    void failGatesConsiderContainers();
    void allocationsWithTrace();
    void allocationsOnOtherInterpreters_data();
    void allocationsOnOtherInterpreters();
    void allocationsWithoutTrace();
    void fileWithoutTheTablesReadsAsBefore();
    void containersViewAndAllocationsTab();

private:
    Run cli(const QStringList &args);
    QString record(const QString &python, const QString &program, const QString &name, const QStringList &extra,
                   const QStringList &programArgs = {});
    QJsonArray containersJson(const QString &file);

    QTemporaryDir m_dir;
    QTemporaryDir m_cache;
    QString m_growing; // growing.py, 8 steps
    QString m_traced;  // growing.py --trace, 8 steps
    QString m_flat;    // flat.py
    QString m_old;     // m_growing without the optional tables
};

Run TestContainers::cli(const QStringList &args)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("XDG_CACHE_HOME"), m_cache.path());
    env.remove(QStringLiteral("PYTHONPATH"));
    p.setProcessEnvironment(env);
    p.setWorkingDirectory(m_dir.path());
    p.start(QStringLiteral(LEAKSCOPE_BIN_DIR "/leakscope-cli"), args);
    Run r;
    if (!p.waitForFinished(240000)) {
        p.kill();
        p.waitForFinished();
        r.err = QStringLiteral("TIMEOUT");
        return r;
    }
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

QString TestContainers::record(const QString &python, const QString &program, const QString &name,
                               const QStringList &extra, const QStringList &programArgs)
{
    const QString out = m_dir.filePath(name);
    QFile::remove(out);
    // The program waits for each snapshot through LS_OUT (no timing).
    qputenv("LS_OUT", out.toUtf8());
    const Run r = cli(QStringList{QStringLiteral("record"), QStringLiteral("--every"), QStringLiteral("0.05"),
                                  QStringLiteral("--no-serve"), QStringLiteral("-o"), out}
                      + extra + QStringList{QStringLiteral("--"), python, s_data + program} + programArgs);
    qunsetenv("LS_OUT");
    if (r.code != 0) {
        qWarning() << "record failed" << r.code << r.err;
        return QString();
    }
    return out;
}

QJsonArray TestContainers::containersJson(const QString &file)
{
    const Run r = cli({QStringLiteral("compare"), QStringLiteral("--json"), file});
    if (r.code != 0)
        qWarning() << r.err;
    return QJsonDocument::fromJson(r.out.toUtf8()).object().value(QStringLiteral("containers")).toArray();
}

void TestContainers::initTestCase()
{
    QVERIFY(m_dir.isValid() && m_cache.isValid());
    // The windows below keep their settings away from the user's.
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("LeakscopeTest"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_containers"));
    m_growing = record(QStringLiteral(LEAKSCOPE_PYTHON), QStringLiteral("growing.py"), QStringLiteral("growing.lsnap"), {});
    QVERIFY(!m_growing.isEmpty());
    m_traced = record(QStringLiteral(LEAKSCOPE_PYTHON), QStringLiteral("growing.py"), QStringLiteral("traced.lsnap"),
                      {QStringLiteral("--trace")});
    QVERIFY(!m_traced.isEmpty());
    m_flat = record(QStringLiteral(LEAKSCOPE_PYTHON), QStringLiteral("flat.py"), QStringLiteral("flat.lsnap"), {});
    QVERIFY(!m_flat.isEmpty());

    // What an older agent wrote: the same file without the optional tables.
    m_old = m_dir.filePath(QStringLiteral("old.lsnap"));
    QVERIFY(QFile::copy(m_growing, m_old));
    QProcess p;
    p.start(QStringLiteral(LEAKSCOPE_PYTHON),
            {QStringLiteral("-c"),
             QStringLiteral("import sqlite3, sys\n"
                            "db = sqlite3.connect(sys.argv[1])\n"
                            "for t in ('container', 'alloc_frame', 'alloc_traceback', 'alloc_stat', 'object_traceback'):\n"
                            "    db.execute('DROP TABLE IF EXISTS ' + t)\n"
                            "db.commit()\n"),
             m_old});
    QVERIFY(p.waitForFinished(30000));
    QCOMPARE(p.exitCode(), 0);
}

void TestContainers::compareNamesGrowingContainers()
{
    const Run r = cli({QStringLiteral("compare"), m_growing});
    QCOMPARE(r.code, 0);
    const qsizetype section = r.out.indexOf(QStringLiteral("Growing containers"));
    QVERIFY2(section > 0, qPrintable(r.out));
    QVERIFY(section > r.out.indexOf(QStringLiteral("type ")));
    const QString containers = r.out.mid(section);
    // Each growing one with its holder and a reason in the words.
    const QList<QPair<QString, QString>> expected{
        {QStringLiteral("_REQUEST_LOG"), QStringLiteral("list")},
        {QStringLiteral("BLOBS"), QStringLiteral("dict")},
        {QStringLiteral("EVENTS"), QStringLiteral("collections.deque")},
    };
    for (const auto &[name, type] : expected) {
        const QRegularExpression row(QStringLiteral("^%1 +%2 +__main__\\.%1 .*SUSPECT +%1 \\(%2\\) grew in \\d+ of \\d+ "
                                                    "intervals, \\+\\d+ items and \\+[0-9.]+ KiB per snapshot$")
                                         .arg(QRegularExpression::escape(name), QRegularExpression::escape(type)),
                                     QRegularExpression::MultilineOption);
        QVERIFY2(row.match(containers).hasMatch(), qPrintable(name + QLatin1Char('\n') + containers));
    }
    QVERIFY2(QRegularExpression(QStringLiteral("^BUFFER +bytearray +__main__\\.BUFFER .*SUSPECT +BUFFER \\(bytearray\\) "
                                               "grew in \\d+ of \\d+ intervals, \\+\\d+ length"),
                                QRegularExpression::MultilineOption)
                 .match(containers)
                 .hasMatch(),
             qPrintable(containers));
    // The bounded cache filled and stayed flat.
    QVERIFY2(QRegularExpression(QStringLiteral("^BOUNDED +dict +__main__\\.BOUNDED .*bounded"),
                                QRegularExpression::MultilineOption)
                 .match(containers)
                 .hasMatch(),
             qPrintable(containers));
    QVERIFY(!QRegularExpression(QStringLiteral("^BOUNDED .*SUSPECT"), QRegularExpression::MultilineOption)
                 .match(containers)
                 .hasMatch());

    // The quiet program has containers but no suspect among them.
    const Run flat = cli({QStringLiteral("compare"), QStringLiteral("--all"), m_flat});
    QCOMPARE(flat.code, 0);
    const QString flatContainers = flat.out.mid(flat.out.indexOf(QStringLiteral("Growing containers")));
    QVERIFY2(flatContainers.contains(QStringLiteral("CACHE")), qPrintable(flatContainers));
    QVERIFY2(!flatContainers.contains(QStringLiteral("SUSPECT")), qPrintable(flatContainers));
}

void TestContainers::compareJsonContainers()
{
    const QJsonArray containers = containersJson(m_growing);
    QVERIFY(!containers.isEmpty());
    const QStringList keys{QStringLiteral("counts"), QStringLiteral("held_by"), QStringLiteral("id"),
                           QStringLiteral("payload_bytes"), QStringLiteral("reason"), QStringLiteral("suspect"),
                           QStringLiteral("type")};
    QHash<QString, QJsonObject> byHolder;
    for (const QJsonValue &v : containers) {
        const QJsonObject o = v.toObject();
        QCOMPARE(o.keys(), keys);
        if (o.value(QStringLiteral("held_by")).isString())
            byHolder.insert(o.value(QStringLiteral("held_by")).toString(), o);
    }
    for (const QString &holder : {QStringLiteral("__main__._REQUEST_LOG"), QStringLiteral("__main__.BLOBS"),
                                  QStringLiteral("__main__.EVENTS"), QStringLiteral("__main__.BUFFER")}) {
        QVERIFY2(byHolder.contains(holder), qPrintable(holder));
        QVERIFY2(byHolder[holder].value(QStringLiteral("suspect")).toBool(), qPrintable(holder));
    }
    QVERIFY(byHolder.contains(QStringLiteral("__main__.BOUNDED")) == false
            || !byHolder[QStringLiteral("__main__.BOUNDED")].value(QStringLiteral("suspect")).toBool());
    // counts and payload_bytes: one entry per snapshot; the log's last count
    // is 8 steps of 300 requests, its payload over 2,000 bytes a request.
    const QJsonObject log = byHolder[QStringLiteral("__main__._REQUEST_LOG")];
    const QJsonArray counts = log.value(QStringLiteral("counts")).toArray();
    const QJsonArray payload = log.value(QStringLiteral("payload_bytes")).toArray();
    QCOMPARE(counts.size(), payload.size());
    QCOMPARE(counts.last().toInteger(), 2400);
    QVERIFY(payload.last().toInteger() > 2400LL * 2000);
    QCOMPARE(log.value(QStringLiteral("type")).toString(), QStringLiteral("list"));
}

void TestContainers::failGatesConsiderContainers()
{
    // Only a container matches this pattern: the gate must see containers.
    Run r = cli({QStringLiteral("compare"), QStringLiteral("--fail-on-suspect=_REQUEST_LOG"), m_growing});
    QCOMPARE(r.code, 3);
    r = cli({QStringLiteral("compare"), QStringLiteral("--fail-on-suspect=BOUNDED"), m_growing});
    QCOMPARE(r.code, 0);
    r = cli({QStringLiteral("compare"), QStringLiteral("--fail-on-suspect"), m_flat});
    QCOMPARE(r.code, 0);
    r = cli({QStringLiteral("compare"), QStringLiteral("--fail-on-growth"), QStringLiteral("1500"),
             QStringLiteral("--growth-filter"), QStringLiteral("BLOBS"), m_growing});
    QCOMPARE(r.code, 3);
    QVERIFY2(r.err.contains(QStringLiteral("container BLOBS (dict) grew by")), qPrintable(r.err));
    r = cli({QStringLiteral("compare"), QStringLiteral("--fail-on-growth"), QStringLiteral("100000"), m_flat});
    QCOMPARE(r.code, 0);
}

void TestContainers::allocationsWithTrace()
{
    QString logId;
    for (const QJsonValue &v : containersJson(m_traced)) {
        if (v.toObject().value(QStringLiteral("held_by")).toString() == QLatin1String("__main__._REQUEST_LOG"))
            logId = QString::number(qint64(v.toObject().value(QStringLiteral("id")).toDouble()));
    }
    QVERIFY(!logId.isEmpty());
    const int logLine = lineOf(s_data + QStringLiteral("growing.py"), QStringLiteral("ALLOC-LOG"));
    const QString site = QStringLiteral("growing.py:%1 in handle").arg(logLine);

    Run r = cli({QStringLiteral("allocations"), m_traced, QStringLiteral("--container"), logId});
    QCOMPARE(r.code, 0);
    const QString where = r.out.section(QStringLiteral("Lines whose"), 0, 0);
    QVERIFY2(where.contains(site), qPrintable(r.out));
    QVERIFY2(where.contains(QStringLiteral("_REQUEST_LOG.append(")), qPrintable(r.out)); // the source line
    // The line that grew most is the log's.
    r = cli({QStringLiteral("allocations"), m_traced, QStringLiteral("--json"), QStringLiteral("--top"), QStringLiteral("3")});
    QCOMPARE(r.code, 0);
    const QJsonObject json = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QVERIFY(json.value(QStringLiteral("traced")).toBool());
    const QJsonObject top = json.value(QStringLiteral("lines")).toArray().first().toObject();
    QVERIFY2(top.value(QStringLiteral("file")).toString().endsWith(QLatin1String("growing.py")), qPrintable(r.out));
    QCOMPARE(top.value(QStringLiteral("line")).toInt(), logLine);

    // Instances of an ordinary class: CPython 3.11 (the default python3
    // here) gives no object traceback, and says so.
    r = cli({QStringLiteral("allocations"), m_traced, QStringLiteral("--type"), QStringLiteral("__main__.Item")});
    QCOMPARE(r.code, 0);
    const Run version = [&] {
        QProcess p;
        p.start(QStringLiteral(LEAKSCOPE_PYTHON), {QStringLiteral("-c"), QStringLiteral("import sys; print(sys.version_info[:2] == (3, 11))")});
        p.waitForFinished();
        return Run{p.exitCode(), QString::fromUtf8(p.readAllStandardOutput()).trimmed(), QString()};
    }();
    if (version.out == QLatin1String("True"))
        QVERIFY2(r.out.contains(QStringLiteral("gives no allocation traceback for instances of ordinary classes")),
                 qPrintable(r.out));
    else
        QVERIFY2(r.out.contains(QStringLiteral("growing.py:%1").arg(lineOf(s_data + QStringLiteral("growing.py"),
                                                                           QStringLiteral("ALLOC-ITEM")))),
                 qPrintable(r.out));
}

void TestContainers::allocationsOnOtherInterpreters_data()
{
    QTest::addColumn<QString>("python");
    const QString root = qEnvironmentVariable("PYENV_ROOT", QDir::homePath() + QStringLiteral("/.pyenv"));
    for (const char *version : {"3.8.18", "3.13.0"})
        QTest::newRow(version) << root + QStringLiteral("/versions/%1/bin/python3").arg(QLatin1String(version));
}

void TestContainers::allocationsOnOtherInterpreters()
{
    QFETCH(QString, python);
    if (!QFileInfo(python).isExecutable())
        QSKIP("interpreter not installed");
    const QString file = record(python, QStringLiteral("growing.py"), QFileInfo(python).path().section(QLatin1Char('/'), -2, -2) + QStringLiteral(".lsnap"),
                                {QStringLiteral("--trace")}, {QStringLiteral("4")});
    QVERIFY(!file.isEmpty());
    // Instances of an ordinary class have tracebacks on 3.8 and 3.13: the
    // line that creates them is named.
    const Run r = cli({QStringLiteral("allocations"), file, QStringLiteral("--type"), QStringLiteral("__main__.Item")});
    QCOMPARE(r.code, 0);
    const int itemLine = lineOf(s_data + QStringLiteral("growing.py"), QStringLiteral("ALLOC-ITEM"));
    const QString where = r.out.section(QStringLiteral("Lines whose"), 0, 0);
    // The function name is optional (the agent's naming budget may run out).
    QVERIFY2(QRegularExpression(QStringLiteral("growing\\.py:%1( in handle)?\n").arg(itemLine)).match(where).hasMatch(),
             qPrintable(r.out));
    QVERIFY2(!where.contains(QStringLiteral("no allocation traceback")), qPrintable(r.out));
}

void TestContainers::allocationsWithoutTrace()
{
    const Run r = cli({QStringLiteral("allocations"), m_growing, QStringLiteral("--type"), QStringLiteral("list")});
    QCOMPARE(r.code, 0);
    QVERIFY2(r.out.contains(QStringLiteral("recorded without --trace")), qPrintable(r.out));
    QVERIFY(r.out.contains(QStringLiteral("record --trace")));
}

void TestContainers::fileWithoutTheTablesReadsAsBefore()
{
    const Expected<LoadedFile> before = SnapshotReader::read(m_growing);
    const Expected<LoadedFile> old = SnapshotReader::read(m_old);
    QVERIFY2(old, qPrintable(old.error()));
    QVERIFY(before.value().hasContainerTables);
    QVERIFY(!old.value().hasContainerTables);
    QCOMPARE(old.value().snapshots.size(), before.value().snapshots.size());
    for (size_t i = 0; i < old.value().snapshots.size(); ++i) {
        const Snapshot &a = old.value().snapshots[i], &b = before.value().snapshots[i];
        QCOMPARE(a.totalObjects(), b.totalObjects());
        QCOMPARE(a.totalSize(), b.totalSize());
        QVERIFY(a.containers.empty());
        QVERIFY(!a.info.hasContainerPass);
    }
    Session session;
    session.addFile(old.value());
    QVERIFY(!ContainerAnalysis::compare(session, 0, session.snapshotCount() - 1).anyContainerPass);
    const Run r = cli({QStringLiteral("allocations"), m_old});
    QCOMPARE(r.code, 0);
    QVERIFY2(r.out.contains(QStringLiteral("predates")), qPrintable(r.out));

    ContainersView view;
    view.setComparison(std::make_shared<const Session>(session), 0, session.snapshotCount() - 1);
    QVERIFY2(view.noteText().contains(QStringLiteral("predates the container tables")), qPrintable(view.noteText()));
    QCOMPARE(view.model()->rowCount(), 0);
}

void TestContainers::containersViewAndAllocationsTab()
{
    // Without --trace: the growing containers, and the tab says how to get
    // allocation sites.
    MainWindow plain;
    plain.resize(1280, 720);
    plain.show();
    plain.openFiles({m_growing});
    auto *containers = plain.findChild<ContainersView *>();
    QVERIFY(containers);
    QTRY_VERIFY_WITH_TIMEOUT(containers->model()->rowCount() > 0, 30000);
    ContainersTableModel *model = containers->model();
    auto rowOf = [](ContainersTableModel *m, const QString &holder) {
        for (int row = 0; row < m->rowCount(); ++row) {
            if (m->index(row, ContainersTableModel::HeldByColumn).data().toString() == holder)
                return row;
        }
        return -1;
    };
    const int logRow = rowOf(model, QStringLiteral("__main__._REQUEST_LOG"));
    QVERIFY(logRow >= 0);
    QCOMPARE(model->index(logRow, ContainersTableModel::ContainerColumn).data().toString(), QStringLiteral("_REQUEST_LOG (list)"));
    QCOMPARE(model->index(logRow, ContainersTableModel::ItemsColumn).data().toString(), QLocale().toString(2400));
    QCOMPARE(model->index(logRow, ContainersTableModel::TrendColumn).data(GrowthTableModel::CountSeriesRole)
                 .value<QList<qint64>>()
                 .last(),
             2400);
    QCOMPARE(model->index(logRow, ContainersTableModel::SuspectColumn).data().toString(), QStringLiteral("suspect"));
    QVERIFY(model->index(logRow, ContainersTableModel::DeltaItemsColumn).data().toString().startsWith(QLatin1Char('+')));
    QVERIFY(model->index(logRow, ContainersTableModel::PayloadColumn).data().toString().endsWith(QLatin1String("MiB")));
    QVERIFY(model->index(logRow, ContainersTableModel::SuspectColumn).data(Qt::ToolTipRole).toString()
                .startsWith(QLatin1String("_REQUEST_LOG (list) grew in")));
    const int boundedRow = rowOf(model, QStringLiteral("__main__.BOUNDED"));
    QVERIFY(boundedRow > logRow); // suspects first
    QCOMPARE(model->index(boundedRow, ContainersTableModel::SuspectColumn).data().toString(), QString());
    auto *tableTabs = plain.findChild<QTabWidget *>(QStringLiteral("tableTabs"));
    QVERIFY(tableTabs);
    tableTabs->setCurrentWidget(containers);
    containers->view()->setCurrentIndex(model->index(logRow, 0));
    auto *allocations = plain.findChild<AllocationsView *>();
    QVERIFY(allocations);
    QTRY_VERIFY(allocations->messageText().contains(QStringLiteral("recorded without --trace")));
    QCOMPARE(allocations->stacksTree()->topLevelItemCount(), 0);
    // Chartable over time: the selected container is a line in the Trend tab.
    auto *trend = plain.findChild<TrendChart *>();
    QVERIFY(trend);
    QCOMPARE(trend->lineCount(), 1);
    QCOMPARE(trend->lineName(0), QStringLiteral("_REQUEST_LOG"));
    QCOMPARE(trend->linePoints(0).last().y(), 2400.0);

    // With --trace: the call stacks of the log's new items and the source line.
    MainWindow w;
    w.resize(1280, 720);
    w.show();
    w.openFiles({m_traced});
    containers = w.findChild<ContainersView *>();
    allocations = w.findChild<AllocationsView *>();
    QTRY_VERIFY_WITH_TIMEOUT(containers->model()->rowCount() > 0, 30000);
    const int tracedRow = rowOf(containers->model(), QStringLiteral("__main__._REQUEST_LOG"));
    QVERIFY(tracedRow >= 0);
    w.findChild<QTabWidget *>(QStringLiteral("tableTabs"))->setCurrentWidget(containers);
    containers->view()->setCurrentIndex(containers->model()->index(tracedRow, 0));
    QTRY_VERIFY(allocations->stacksTree()->topLevelItemCount() > 0);
    const int logLine = lineOf(s_data + QStringLiteral("growing.py"), QStringLiteral("ALLOC-LOG"));
    QTreeWidgetItem *top = allocations->stacksTree()->topLevelItem(0);
    QVERIFY2(top->text(0).contains(QStringLiteral("growing.py:%1").arg(logLine)), qPrintable(top->text(0)));
    QVERIFY(top->text(2).contains(QStringLiteral("_REQUEST_LOG.append(")));
    QVERIFY(allocations->linesTree()->topLevelItemCount() > 0);
    QVERIFY(allocations->linesTree()->topLevelItem(0)->text(0).contains(QStringLiteral("growing.py:%1").arg(logLine)));

    // docs/screenshot-containers.png: the plain recording's Containers view
    // above the traced one's Allocations tab would mix files; take the traced
    // window with the Allocations tab open.
    const QString shot = qEnvironmentVariable("LEAKSCOPE_CONTAINERS_SCREENSHOT");
    if (!shot.isEmpty()) {
        w.findChild<QTabWidget *>()->setCurrentWidget(allocations);
        if (auto *tabs = qobject_cast<QTabWidget *>(allocations->parentWidget()->parentWidget()))
            tabs->setCurrentWidget(allocations);
        QTest::qWait(300);
        QVERIFY(w.grab().save(shot));
    }
}

QTEST_MAIN(TestContainers)
#include "tst_containers.moc"
