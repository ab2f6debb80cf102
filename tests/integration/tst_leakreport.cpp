// The leak report on a real recording: resources/examples/two_leaks.py (request
// objects kept in a module-level dict, tracers kept as bound-method
// subscribers in a module-level list) recorded by `leakscope-cli record
// --every --graph` through the real agent; then `report` in every format,
// record's summary, and the window's Summary tab offscreen.

#include "gui/mainwindow.h"
#include "gui/referencespanel.h"
#include "gui/referencetabs.h"
#include "gui/sessioncontroller.h"
#include "gui/summarytab.h"
#include "views/containersview.h"
#include "views/summaryview.h"

#include "testutil/processrun.h"

#include <QApplication>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBlock>
#include <QTextBrowser>
#include <QTreeView>
#include <QXmlStreamReader>

using namespace leakscope;

namespace {

const QString s_request = QStringLiteral("__main__.HttpRequest");
const QString s_tracer = QStringLiteral("__main__.Tracer");

using testutil::Run;

// A service that keeps a ~2 KB str per request in a module-level list (the
// census never counts str), keeps 1 MiB of mapped memory every 10 requests
// (memory outside Python objects) and a Job object per request.
const char s_payloadProgram[] = R"PY(import mmap, sys, time
_LOG = []
_MAPS = []
_JOBS = []
class Job:
    def __init__(self, n):
        self.n = n
def handle(i):
    _LOG.append(("request %d " % i) + "x" * 2000)  # PAYLOAD
    _JOBS.append(Job(i))  # JOB
    if i % 10 == 0:
        m = mmap.mmap(-1, 1 << 20)
        m.write(b"y" * (1 << 20))
        _MAPS.append(m)
for i in range(int(sys.argv[1])):
    handle(i)
    time.sleep(0.008)
)PY";

// The anchor of the Summary whose href starts with `prefix`: clicks it as a
// user would. False when there is none.
bool clickSummaryLink(QTextBrowser *summary, const QString &prefix, QString *href)
{
    QTextDocument *doc = summary->document();
    int position = -1;
    for (QTextBlock block = doc->begin(); block.isValid() && position < 0; block = block.next()) {
        for (auto it = block.begin(); !it.atEnd(); ++it) {
            const QTextFragment fragment = it.fragment();
            if (fragment.charFormat().isAnchor() && fragment.charFormat().anchorHref().startsWith(prefix)) {
                position = fragment.position() + fragment.length() / 2;
                *href = fragment.charFormat().anchorHref();
                break;
            }
        }
    }
    if (position < 0)
        return false;
    QTextCursor cursor(doc);
    cursor.setPosition(position);
    summary->setTextCursor(cursor);
    summary->ensureCursorVisible();
    QTest::mouseClick(summary->viewport(), Qt::LeftButton, Qt::NoModifier, summary->cursorRect(cursor).center());
    return true;
}

QJsonObject leakOfKind(const QJsonArray &leaks, const QString &kind, const QString &name = QString())
{
    for (const QJsonValue &v : leaks) {
        const QJsonObject o = v.toObject();
        if (o.value(QStringLiteral("kind")).toString() == kind
            && (name.isEmpty() || o.value(QStringLiteral("name")).toString() == name))
            return o;
    }
    return QJsonObject();
}

} // namespace

class TestLeakReport : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void recordSummaryNamesBothLeaks();
    void textReportFoldsBuiltinsAndFollowsTheChains();
    void markdownReport();
    void htmlReportIsOneSelfContainedFile();
    void jsonReport();
    void reportRefusesBadArguments();
    void compareRanksUserTypesFirst();
    void summaryTabShowsFirstAndItsLinkOpensReferences();
    void containerMemoryAndAllocationEntries();
    void summaryContainerLinkOpensContainersAndReferences();
    void typeAllocationSiteOnOtherInterpreters_data();
    void typeAllocationSiteOnOtherInterpreters();

private:
    Run cli(const QStringList &args);
    // Records payload.py (str payloads in a list, mapped memory, Job objects)
    // with --trace under `python`; empty on failure.
    QString recordPayloads(const QString &python, const QString &name);
    int payloadLine(const QString &marker) const;

    QString m_payloadFile;

    QTemporaryDir m_dir;
    QString m_file;
    Run m_record;
};

Run TestLeakReport::cli(const QStringList &args)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("XDG_CACHE_HOME"), m_dir.filePath(QStringLiteral("cache")));
    env.remove(QStringLiteral("PYTHONPATH"));
    return testutil::runProcess(QStringLiteral(LEAKSCOPE_BIN_DIR "/leakscope-cli"), args, m_dir.path(), env, 120000);
}

void TestLeakReport::initTestCase()
{
    QVERIFY(m_dir.isValid());
    qputenv("XDG_CONFIG_HOME", QFile::encodeName(m_dir.filePath(QStringLiteral("config"))));
    qputenv("XDG_CACHE_HOME", QFile::encodeName(m_dir.filePath(QStringLiteral("cache"))));
    m_file = m_dir.filePath(QStringLiteral("two.lsnap"));
    // A steady trickle of requests (one per 15 ms) and a snapshot with its
    // heap graph every 0.3 s: every interval grows.
    m_record = cli({QStringLiteral("record"), QStringLiteral("--every"), QStringLiteral("0.3"), QStringLiteral("--graph"),
                    QStringLiteral("-o"), m_file, QStringLiteral("--"), QStringLiteral(LEAKSCOPE_PYTHON),
                    QStringLiteral(LEAKSCOPE_SOURCE_DIR "/resources/examples/two_leaks.py"), QStringLiteral("200"),
                    QStringLiteral("0.015")});
    QVERIFY2(m_record.code == 0, qPrintable(m_record.err));
    QCOMPARE(m_record.out, QStringLiteral("handled 200 requests\n"));
    QVERIFY(QFileInfo::exists(m_file));
}

void TestLeakReport::recordSummaryNamesBothLeaks()
{
    const QString &err = m_record.err;
    QVERIFY2(err.contains(QStringLiteral("Leak report: 2 leaks in two.lsnap")), qPrintable(err));
    QVERIFY2(err.contains(QStringLiteral("1. ") + s_request) || err.contains(QStringLiteral("1. ") + s_tracer), qPrintable(err));
    QVERIFY2(err.contains(QStringLiteral("2. ") + s_request) || err.contains(QStringLiteral("2. ") + s_tracer), qPrintable(err));
    // Builtins are folded under the user types, not listed on their own.
    QVERIFY2(!err.contains(QRegularExpression(QStringLiteral("\\n\\d+\\. (list|method|dict)\\b"))), qPrintable(err));
}

void TestLeakReport::textReportFoldsBuiltinsAndFollowsTheChains()
{
    const Run r = cli({QStringLiteral("report"), m_file});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const QString &out = r.out;
    QVERIFY2(out.startsWith(QStringLiteral("Leak report: 2 leaks in two.lsnap (snapshot 1 to ")), qPrintable(out));
    QVERIFY2(!out.contains(QRegularExpression(QStringLiteral("\\n\\d+\\. (list|method|dict|cell|function)\\b"))),
             qPrintable(out));
    // Each entry in its own block: its chain, the builtins it explains and the next step.
    const qsizetype request = out.indexOf(QStringLiteral(". ") + s_request);
    const qsizetype tracer = out.indexOf(QStringLiteral(". ") + s_tracer);
    QVERIFY(request > 0 && tracer > 0);
    const QString requestBlock = out.mid(request, request < tracer ? tracer - request : -1);
    const QString tracerBlock = out.mid(tracer, tracer < request ? request - tracer : -1);
    QVERIFY2(requestBlock.contains(QStringLiteral("chain:  __main__ globals \u2192 _REQUEST_LOG (dict) \u2192 HttpRequest\n")),
             qPrintable(requestBlock));
    QVERIFY2(tracerBlock.contains(
                 QStringLiteral("chain:  __main__ globals \u2192 _SUBSCRIBERS (list) \u2192 method \u2192 Tracer\n")),
             qPrintable(tracerBlock));
    QVERIFY2(requestBlock.contains(QStringLiteral("new since the baseline")), qPrintable(requestBlock));
    QVERIFY2(tracerBlock.contains(QRegularExpression(QStringLiteral("also:   .*method \\+\\d+ \\(holding it\\)"))),
             qPrintable(tracerBlock));
    QVERIFY2(requestBlock.contains(QRegularExpression(QStringLiteral("also:   .*list \\+\\d+ \\(held by it\\)"))),
             qPrintable(requestBlock));
    QVERIFY2(requestBlock.contains(QRegularExpression(QStringLiteral("\\+200 objects \\(\\+[0-9.]+ KiB\\), retained \\+[0-9.]+ KiB"))),
             qPrintable(requestBlock));
    QVERIFY2(requestBlock.contains(QStringLiteral("leakscope-cli backrefs ") + m_file + QStringLiteral(" --type __main__.HttpRequest")),
             qPrintable(requestBlock));

    // Against a later baseline the counts are relative to it.
    const Run later = cli({QStringLiteral("report"), m_file, QStringLiteral("--baseline"), QStringLiteral("2")});
    QVERIFY2(later.code == 0, qPrintable(later.err));
    QVERIFY2(later.out.contains(QStringLiteral("(snapshot 2 to ")), qPrintable(later.out));
    QVERIFY2(!later.out.contains(QStringLiteral("+200 objects")), qPrintable(later.out));
}

void TestLeakReport::markdownReport()
{
    const Run r = cli({QStringLiteral("report"), m_file, QStringLiteral("--format"), QStringLiteral("markdown")});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY2(r.out.startsWith(QStringLiteral("# Leak report: 2 leaks in two.lsnap\n")), qPrintable(r.out));
    QVERIFY(r.out.contains(QStringLiteral("`") + s_request + QStringLiteral("`")));
    QVERIFY(r.out.contains(QStringLiteral("`") + s_tracer + QStringLiteral("`")));
    QVERIFY(r.out.contains(QStringLiteral("- **Chain:** `__main__ globals \u2192 _REQUEST_LOG (dict) \u2192 HttpRequest`")));
    QVERIFY(r.out.contains(QStringLiteral("- **Chain:** `__main__ globals \u2192 _SUBSCRIBERS (list) \u2192 method \u2192 Tracer`")));
    // Names outside code spans cannot turn into bold text.
    QVERIFY2(r.out.contains(QStringLiteral("\\_\\_main\\_\\_.HttpRequest")), qPrintable(r.out));
    QCOMPARE(r.out.count(QRegularExpression(QStringLiteral("(?m)^## "))), 2);
}

void TestLeakReport::htmlReportIsOneSelfContainedFile()
{
    const QString path = m_dir.filePath(QStringLiteral("out/report.html"));
    QVERIFY(QDir(m_dir.path()).mkpath(QStringLiteral("out")));
    const Run r = cli({QStringLiteral("report"), m_file, QStringLiteral("--format"), QStringLiteral("html"),
                       QStringLiteral("-o"), path});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QCOMPARE(r.out, path + QStringLiteral(": html report, 2 leak(s)\n"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QString html = QString::fromUtf8(f.readAll());
    QVERIFY(html.startsWith(QStringLiteral("<!DOCTYPE html>")));
    QVERIFY(html.trimmed().endsWith(QStringLiteral("</html>")));
    // Nothing fetched from elsewhere.
    QVERIFY(!html.contains(QStringLiteral("<script")));
    QVERIFY(!html.contains(QStringLiteral("<link")));
    QVERIFY(!html.contains(QStringLiteral("src=")));
    QVERIFY(!html.contains(QRegularExpression(QStringLiteral("url\\((?!#)"))));
    QCOMPARE(html.count(QStringLiteral("http")), html.count(QStringLiteral("xmlns=\"http://www.w3.org/2000/svg\"")));
    // Per entry: a chain graph and a trend, each well-formed SVG.
    const QRegularExpression svgRe(QStringLiteral("<svg[^>]*class=\"(chain|trend)\".*?</svg>"),
                                   QRegularExpression::DotMatchesEverythingOption);
    QStringList chainTexts;
    int trends = 0;
    for (auto it = svgRe.globalMatch(html); it.hasNext();) {
        const QRegularExpressionMatch m = it.next();
        QXmlStreamReader xml(m.captured(0));
        QStringList texts;
        while (!xml.atEnd()) {
            if (xml.readNext() == QXmlStreamReader::StartElement && xml.name() == QLatin1String("text"))
                texts << xml.readElementText();
        }
        QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
        if (m.captured(1) == QLatin1String("chain"))
            chainTexts << texts.join(QStringLiteral(" | "));
        else
            ++trends;
    }
    QCOMPARE(trends, 2);
    QVERIFY2(chainTexts.contains(QStringLiteral("__main__ globals | _REQUEST_LOG (dict) | HttpRequest")),
             qPrintable(chainTexts.join(QLatin1Char('\n'))));
    QVERIFY2(chainTexts.contains(QStringLiteral("__main__ globals | _SUBSCRIBERS (list) | method | Tracer")),
             qPrintable(chainTexts.join(QLatin1Char('\n'))));

    // -o to a missing directory is refused and writes nothing.
    const Run bad = cli({QStringLiteral("report"), m_file, QStringLiteral("--format"), QStringLiteral("html"),
                         QStringLiteral("-o"), m_dir.filePath(QStringLiteral("missing/report.html"))});
    QCOMPARE(bad.code, 2);
    QVERIFY2(bad.err.contains(QStringLiteral("no such directory")), qPrintable(bad.err));
}

void TestLeakReport::jsonReport()
{
    const Run r = cli({QStringLiteral("report"), m_file, QStringLiteral("--format"), QStringLiteral("json")});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(r.out.toUtf8(), &error);
    QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(error.errorString()));
    const QJsonObject root = doc.object();
    QCOMPARE(root.value(QStringLiteral("baseline")).toInt(), 1);
    const int snapshots = root.value(QStringLiteral("snapshots")).toInt();
    QVERIFY(snapshots >= 4);
    QCOMPARE(root.value(QStringLiteral("current")).toInt(), snapshots);
    QCOMPARE(root.value(QStringLiteral("heap_graph_snapshot")).toInt(), snapshots);
    const QJsonArray leaks = root.value(QStringLiteral("leaks")).toArray();
    QCOMPARE(leaks.size(), 2);
    QStringList names;
    for (const QJsonValue &v : leaks) {
        const QJsonObject o = v.toObject();
        names << o.value(QStringLiteral("name")).toString();
        QCOMPARE(o.value(QStringLiteral("kind")).toString(), QStringLiteral("type"));
        QCOMPARE(o.value(QStringLiteral("growth")).toInt(), 200);
        QCOMPARE(o.value(QStringLiteral("counts")).toArray().size(), snapshots);
        QVERIFY(o.value(QStringLiteral("retained_growth")).toDouble() > o.value(QStringLiteral("growth_bytes")).toDouble());
        QVERIFY(o.value(QStringLiteral("chain_object_new")).toBool());
        QCOMPARE(o.value(QStringLiteral("next_step")).toObject().value(QStringLiteral("action")).toString(),
                 QStringLiteral("references"));
        QStringList folded;
        for (const QJsonValue &f : o.value(QStringLiteral("folded")).toArray())
            folded << f.toObject().value(QStringLiteral("type")).toString();
        QStringList chain;
        for (const QJsonValue &c : o.value(QStringLiteral("chain")).toArray())
            chain << c.toString();
        if (names.last() == s_request) {
            QCOMPARE(chain, (QStringList{QStringLiteral("__main__ globals"), QStringLiteral("_REQUEST_LOG (dict)"),
                                         QStringLiteral("HttpRequest")}));
            QVERIFY2(folded.contains(QStringLiteral("list")), qPrintable(folded.join(QLatin1Char(','))));
        } else {
            QCOMPARE(chain, (QStringList{QStringLiteral("__main__ globals"), QStringLiteral("_SUBSCRIBERS (list)"),
                                         QStringLiteral("method"), QStringLiteral("Tracer")}));
            QVERIFY2(folded.contains(QStringLiteral("method")), qPrintable(folded.join(QLatin1Char(','))));
        }
    }
    names.sort();
    QCOMPARE(names, (QStringList{s_request, s_tracer}));
}

void TestLeakReport::reportRefusesBadArguments()
{
    Run r = cli({QStringLiteral("report"), m_file, QStringLiteral("--format"), QStringLiteral("pdf")});
    QCOMPARE(r.code, 2);
    QVERIFY(r.err.contains(QStringLiteral("--format: 'pdf' is not text, markdown, html or json")));
    r = cli({QStringLiteral("report"), m_file, QStringLiteral("--baseline"), QStringLiteral("0")});
    QCOMPARE(r.code, 2);
    QVERIFY(r.err.contains(QStringLiteral("not a snapshot number")));
    r = cli({QStringLiteral("report"), m_file, QStringLiteral("--baseline"), QStringLiteral("999")});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains(QStringLiteral("out of range")), qPrintable(r.err));
    r = cli({QStringLiteral("report")});
    QCOMPARE(r.code, 2);
}

void TestLeakReport::compareRanksUserTypesFirst()
{
    // compare's JSON order is the shared ranking: the two user types come
    // before list and method, whatever their scores.
    const Run r = cli({QStringLiteral("compare"), m_file, QStringLiteral("--json")});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const QJsonArray types = QJsonDocument::fromJson(r.out.toUtf8()).object().value(QStringLiteral("types")).toArray();
    QVERIFY(types.size() > 4);
    QStringList suspects;
    for (const QJsonValue &v : types)
        if (v.toObject().value(QStringLiteral("suspect")).toBool())
            suspects << v.toObject().value(QStringLiteral("name")).toString();
    QVERIFY2(suspects.size() >= 3, qPrintable(suspects.join(QLatin1Char(','))));
    QStringList head = suspects.mid(0, 2);
    head.sort();
    QCOMPARE(head, (QStringList{s_request, s_tracer}));
    for (const QString &rest : suspects.mid(2))
        QVERIFY2(!rest.contains(QLatin1Char('.')), qPrintable(rest));
}

void TestLeakReport::summaryTabShowsFirstAndItsLinkOpensReferences()
{
    MainWindow window;
    ReferenceTabs *tabs = window.referenceTabs();
    window.resize(1280, 720);
    window.show();
    QTabWidget *detail = window.detailTabs();
    SummaryView *summary = window.summaryTab()->view();
    QCOMPARE(detail->indexOf(summary), 0);
    QCOMPARE(detail->tabText(0), QStringLiteral("Summary"));
    QVERIFY(detail->currentWidget() != summary); // nothing to summarise yet

    window.openFiles({m_file});
    QTRY_VERIFY_WITH_TIMEOUT(summary->hasReport() && !window.summaryTab()->runner()->isRunning(), 60000);
    QCOMPARE(detail->currentWidget(), summary);
    QStringList names;
    for (const LeakEntry &e : summary->report().entries)
        names << e.name;
    names.sort();
    QCOMPARE(names, (QStringList{s_request, s_tracer}));
    QVERIFY(summary->toPlainText().contains(QStringLiteral("__main__ globals \u2192 _REQUEST_LOG (dict) \u2192 HttpRequest")));

    // The growth table starts in the same ranking: the user types first.
    const QString firstRow = window.growthView()->model()->index(0, 0).data(Qt::ToolTipRole).toString()
        + window.growthView()->model()->index(0, 0).data().toString();
    QVERIFY2(firstRow.contains(s_request) || firstRow.contains(s_tracer), qPrintable(firstRow));

    if (!qEnvironmentVariableIsEmpty("LEAKSCOPE_SCREENSHOT_DIR")) {
        window.grab().save(QDir(qEnvironmentVariable("LEAKSCOPE_SCREENSHOT_DIR")).filePath(QStringLiteral("screenshot-summary.png")));
    }

    // Click the first entry's next-step link, as a user would.
    QTextDocument *doc = summary->document();
    int position = -1;
    QString href;
    for (QTextBlock block = doc->begin(); block.isValid() && position < 0; block = block.next()) {
        for (auto it = block.begin(); !it.atEnd(); ++it) {
            const QTextFragment fragment = it.fragment();
            if (fragment.charFormat().isAnchor()
                && fragment.charFormat().anchorHref().startsWith(QLatin1String("leakscope:references"))) {
                position = fragment.position() + fragment.length() / 2;
                href = fragment.charFormat().anchorHref();
                break;
            }
        }
    }
    QVERIFY(position >= 0);
    const QString expected = summary->report().entries.front().name;
    QVERIFY2(href.endsWith(QString::fromLatin1(QUrl::toPercentEncoding(expected))), qPrintable(href));
    QTextCursor cursor(doc);
    cursor.setPosition(position);
    summary->setTextCursor(cursor);
    summary->ensureCursorVisible();
    const QPoint at = summary->cursorRect(cursor).center();
    QTest::mouseClick(summary->viewport(), Qt::LeftButton, Qt::NoModifier, at);
    QTRY_COMPARE(detail->currentWidget(), static_cast<QWidget *>(tabs->references()));
    QCOMPARE(tabs->references()->typeName(), expected);
}

QString TestLeakReport::recordPayloads(const QString &python, const QString &name)
{
    const QString script = m_dir.filePath(QStringLiteral("payload.py"));
    if (!QFileInfo::exists(script)) {
        QFile f(script);
        if (!f.open(QIODevice::WriteOnly) || f.write(s_payloadProgram) != qint64(sizeof(s_payloadProgram) - 1))
            return QString();
    }
    const QString file = m_dir.filePath(name);
    const Run r = cli({QStringLiteral("record"), QStringLiteral("--every"), QStringLiteral("0.3"), QStringLiteral("--trace"),
                       QStringLiteral("-o"), file, QStringLiteral("--"), python, script, QStringLiteral("300")});
    if (r.code != 0) {
        qWarning("record failed: %s", qPrintable(r.err));
        return QString();
    }
    return file;
}

int TestLeakReport::payloadLine(const QString &marker) const
{
    const QStringList lines = QString::fromLatin1(s_payloadProgram).split(QLatin1Char('\n'));
    for (int i = 0; i < lines.size(); ++i)
        if (lines.at(i).contains(QStringLiteral("# ") + marker))
            return i + 1;
    return -1;
}

// Issue 15 with issue 14's data: a growing container (str payloads the census
// cannot count), memory outside Python objects and, with --trace, where the
// payload was allocated are report entries too, in every format.
void TestLeakReport::containerMemoryAndAllocationEntries()
{
    m_payloadFile = recordPayloads(QStringLiteral(LEAKSCOPE_PYTHON), QStringLiteral("payload.lsnap"));
    QVERIFY(!m_payloadFile.isEmpty());
    const QString payloadSite = QStringLiteral("payload.py:%1").arg(payloadLine(QStringLiteral("PAYLOAD")));

    const Run json = cli({QStringLiteral("report"), m_payloadFile, QStringLiteral("--format"), QStringLiteral("json")});
    QVERIFY2(json.code == 0, qPrintable(json.err));
    const QJsonObject root = QJsonDocument::fromJson(json.out.toUtf8()).object();
    QCOMPARE(root.value(QStringLiteral("traced")).toBool(), true);
    const QJsonArray leaks = root.value(QStringLiteral("leaks")).toArray();
    const QJsonObject log = leakOfKind(leaks, QStringLiteral("container"), QStringLiteral("_LOG"));
    QVERIFY2(!log.isEmpty(), qPrintable(json.out));
    QCOMPARE(log.value(QStringLiteral("container_type")).toString(), QStringLiteral("list"));
    QCOMPARE(log.value(QStringLiteral("held_by")).toString(), QStringLiteral("__main__._LOG"));
    QVERIFY(log.value(QStringLiteral("growth")).toInteger() > 100);
    QVERIFY(log.value(QStringLiteral("growth_bytes")).toInteger() > 100 * 2000);
    QVERIFY2(log.value(QStringLiteral("allocation_site")).toString().contains(payloadSite), qPrintable(json.out));
    const QJsonObject logNext = log.value(QStringLiteral("next_step")).toObject();
    QCOMPARE(logNext.value(QStringLiteral("action")).toString(), QStringLiteral("containers"));
    QCOMPARE(logNext.value(QStringLiteral("container")).toInteger(), log.value(QStringLiteral("object_id")).toInteger());
    QVERIFY(log.value(QStringLiteral("object_id")).toInteger() > 0);

    const QJsonObject outside = leakOfKind(leaks, QStringLiteral("memory-outside-python"));
    QVERIFY2(!outside.isEmpty(), qPrintable(json.out));
    QVERIFY(outside.value(QStringLiteral("growth_bytes")).toInteger() >= (qint64(10) << 20));
    QVERIFY(outside.value(QStringLiteral("explained_bytes")).toInteger() < outside.value(QStringLiteral("growth_bytes")).toInteger() / 2);
    QCOMPARE(outside.value(QStringLiteral("next_step")).toObject().value(QStringLiteral("action")).toString(),
             QStringLiteral("allocations"));
    QVERIFY(!outside.value(QStringLiteral("allocation_site")).toString().isEmpty());

    // The user type is there too; the container it lives in is a leak of its
    // own without a heap graph to tell that it holds the Jobs.
    QVERIFY2(!leakOfKind(leaks, QStringLiteral("type"), QStringLiteral("__main__.Job")).isEmpty(), qPrintable(json.out));
    // The shared ranking: no builtin type before a user type, container or memory entry.
    bool sawBuiltin = false;
    for (const QJsonValue &v : leaks) {
        const bool builtin = v.toObject().value(QStringLiteral("builtin")).toBool();
        QVERIFY2(!(sawBuiltin && !builtin), qPrintable(json.out));
        sawBuiltin = sawBuiltin || builtin;
    }

    const Run text = cli({QStringLiteral("report"), m_payloadFile});
    QVERIFY2(text.code == 0, qPrintable(text.err));
    QVERIFY2(text.out.contains(QRegularExpression(QStringLiteral("\\n\\d+\\. _LOG \\[container\\]  \\+\\d+ items \\(\\+[0-9.]+ KiB payload\\)\\n"))),
             qPrintable(text.out));
    QVERIFY2(text.out.contains(QStringLiteral("   held by: __main__._LOG\n")), qPrintable(text.out));
    QVERIFY2(text.out.contains(QStringLiteral("   allocated at: ") + m_dir.filePath(payloadSite)), qPrintable(text.out));
    QVERIFY2(text.out.contains(QRegularExpression(
                 QStringLiteral("\\d+\\. memory outside Python objects \\[memory-outside-python\\]  RSS \\+[0-9.]+ MiB "
                                "\\(Python objects explain \\+?[0-9.]+ [KM]iB\\)"))),
             qPrintable(text.out));
    QVERIFY2(text.out.contains(QStringLiteral("leakscope-cli allocations ") + m_payloadFile + QLatin1Char('\n')), qPrintable(text.out));

    const Run markdown = cli({QStringLiteral("report"), m_payloadFile, QStringLiteral("--format"), QStringLiteral("markdown")});
    QVERIFY2(markdown.code == 0, qPrintable(markdown.err));
    QVERIFY2(markdown.out.contains(QStringLiteral("## ")) && markdown.out.contains(QStringLiteral("`_LOG` (container)")),
             qPrintable(markdown.out));
    QVERIFY2(markdown.out.contains(QStringLiteral("- **Held by:** `__main__._LOG`")), qPrintable(markdown.out));
    const Run html = cli({QStringLiteral("report"), m_payloadFile, QStringLiteral("--format"), QStringLiteral("html")});
    QVERIFY2(html.code == 0, qPrintable(html.err));
    QVERIFY2(html.out.contains(QStringLiteral("_LOG <span class=\"kind\">(container)</span>")), qPrintable(html.out));
    QVERIFY2(html.out.contains(QStringLiteral("memory outside Python objects <span class=\"kind\">(memory-outside-python)</span>")),
             qPrintable(html.out));

    // A file recorded without --trace has no sites, and the memory entry says
    // how to get them.
    const Run plain = cli({QStringLiteral("report"), m_file, QStringLiteral("--format"), QStringLiteral("json")});
    QVERIFY2(plain.code == 0, qPrintable(plain.err));
    QCOMPARE(QJsonDocument::fromJson(plain.out.toUtf8()).object().value(QStringLiteral("traced")).toBool(), false);
}

// The Summary's link on a growing container opens the Containers view on it,
// and the container's References (issue 14: a click on a container opens its
// References like a type does).
void TestLeakReport::summaryContainerLinkOpensContainersAndReferences()
{
    if (m_payloadFile.isEmpty())
        QSKIP("needs containerMemoryAndAllocationEntries' recording");
    MainWindow window;
    ReferenceTabs *tabs = window.referenceTabs();
    window.resize(1280, 720);
    window.show();
    SummaryView *summary = window.summaryTab()->view();
    window.openFiles({m_payloadFile});
    QTRY_VERIFY_WITH_TIMEOUT(summary->hasReport() && !window.summaryTab()->runner()->isRunning(), 60000);
    quint64 logId = 0;
    for (const LeakEntry &e : summary->report().entries)
        if (e.kind == LeakEntry::Kind::Container && e.name == QStringLiteral("_LOG"))
            logId = e.objectId;
    QVERIFY(logId > 0);
    // The status names the suspect kinds.
    QVERIFY2(window.summaryText().contains(QRegularExpression(QStringLiteral("suspects? \\(.*\\d+ by count.*\\d+ containers?\\)"))),
             qPrintable(window.summaryText()));

    QString href;
    QVERIFY(clickSummaryLink(summary, QStringLiteral("leakscope:containers"), &href));
    QCOMPARE(href, QStringLiteral("leakscope:containers?container=%1").arg(logId));
    auto *containers = window.findChild<ContainersView *>();
    QVERIFY(containers);
    QTRY_VERIFY(containers->isVisible());
    const QModelIndex current = containers->view()->currentIndex();
    QVERIFY(current.isValid());
    QCOMPARE(quint64(containers->model()->row(current.row())->objectId), logId);
    QCOMPARE(tabs->references()->shownObject(), logId);

    // A plain click on another container row does the same.
    int other = -1;
    for (int r = 0; r < containers->model()->rowCount(); ++r)
        if (quint64(containers->model()->row(r)->objectId) != logId)
            other = r;
    if (other >= 0) {
        const QModelIndex index = containers->model()->index(other, ContainersTableModel::ContainerColumn);
        containers->view()->scrollTo(index);
        QTest::mouseClick(containers->view()->viewport(), Qt::LeftButton, Qt::NoModifier,
                          containers->view()->visualRect(index).center());
        QTRY_COMPARE(tabs->references()->shownObject(), quint64(containers->model()->row(other)->objectId));
    }

    // The memory entry's link opens Allocations on the growing lines.
    QVERIFY(clickSummaryLink(summary, QStringLiteral("leakscope:allocations"), &href));
    QTRY_COMPARE(window.detailTabs()->tabText(window.detailTabs()->currentIndex()).remove(QLatin1Char('&')),
                 QStringLiteral("Allocations"));
}

void TestLeakReport::typeAllocationSiteOnOtherInterpreters_data()
{
    QTest::addColumn<QString>("python");
    const QString root = qEnvironmentVariable("PYENV_ROOT", QDir::homePath() + QStringLiteral("/.pyenv"));
    for (const char *version : {"3.8.18", "3.13.0"})
        QTest::newRow(version) << root + QStringLiteral("/versions/%1/bin/python3").arg(QLatin1String(version));
}

// Where the interpreter gives instances' tracebacks (3.8, 3.13; not 3.11),
// the user type's entry names the line that creates them and opens Allocations.
void TestLeakReport::typeAllocationSiteOnOtherInterpreters()
{
    QFETCH(QString, python);
    if (!QFileInfo(python).isExecutable())
        QSKIP("interpreter not installed");
    const QString file = recordPayloads(python, QFileInfo(python).path().section(QLatin1Char('/'), -2, -2) + QStringLiteral(".lsnap"));
    QVERIFY(!file.isEmpty());
    const Run json = cli({QStringLiteral("report"), file, QStringLiteral("--format"), QStringLiteral("json")});
    QVERIFY2(json.code == 0, qPrintable(json.err));
    const QJsonArray leaks = QJsonDocument::fromJson(json.out.toUtf8()).object().value(QStringLiteral("leaks")).toArray();
    const QJsonObject job = leakOfKind(leaks, QStringLiteral("type"), QStringLiteral("__main__.Job"));
    QVERIFY2(!job.isEmpty(), qPrintable(json.out));
    QVERIFY2(job.value(QStringLiteral("allocation_site")).toString().contains(
                 QStringLiteral("payload.py:%1").arg(payloadLine(QStringLiteral("JOB")))),
             qPrintable(json.out));
    const QJsonObject next = job.value(QStringLiteral("next_step")).toObject();
    QCOMPARE(next.value(QStringLiteral("action")).toString(), QStringLiteral("allocations"));
    QVERIFY2(next.value(QStringLiteral("command")).toString().endsWith(QStringLiteral(" --type __main__.Job")),
             qPrintable(json.out));
}

QTEST_MAIN(TestLeakReport)
#include "tst_leakreport.moc"
