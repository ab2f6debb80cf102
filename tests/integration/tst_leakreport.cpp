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
#include "views/summaryview.h"

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

struct Run
{
    int code = -1;
    QString out;
    QString err;
};

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

private:
    Run cli(const QStringList &args);

    QTemporaryDir m_dir;
    QString m_file;
    Run m_record;
};

Run TestLeakReport::cli(const QStringList &args)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("XDG_CACHE_HOME"), m_dir.filePath(QStringLiteral("cache")));
    env.remove(QStringLiteral("PYTHONPATH"));
    p.setProcessEnvironment(env);
    p.setWorkingDirectory(m_dir.path());
    p.start(QStringLiteral(LEAKSCOPE_BIN_DIR "/leakscope-cli"), args);
    Run r;
    if (!p.waitForStarted(10000) || !p.waitForFinished(120000)) {
        p.kill();
        p.waitForFinished();
        r.err = QStringLiteral("did not finish");
        return r;
    }
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
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

QTEST_MAIN(TestLeakReport)
#include "tst_leakreport.moc"
