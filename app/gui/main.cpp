#include "gui/examplesession.h"
#include "gui/livecontroller.h"
#include "gui/livedialogs.h"
#include "gui/liveui.h"
#include "gui/mainwindow.h"
#include "gui/sessioncontroller.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QFileInfo>
#include <QTextStream>
#include <QTimer>

namespace {

// The command line, described once for both the display-less path (--help,
// --version) and the window.
struct Options
{
    QCommandLineOption example{QStringLiteral("example"),
                               QCoreApplication::translate("main", "Open the bundled example session.")};
    QCommandLineOption screenshot{
        QStringLiteral("screenshot"),
        QCoreApplication::translate("main", "Grab the window to a PNG once the files are loaded, then quit (for docs)."),
        QStringLiteral("png")};
    QCommandLineOption select{
        QStringLiteral("select"),
        QCoreApplication::translate("main", "Select these types (comma-separated) once loaded, or the top N rows."),
        QStringLiteral("types|N")};
    QCommandLineOption demo{QStringLiteral("demo"),
                            QCoreApplication::translate("main", "Start the bundled leaking program and watch it live "
                                                                "(a snapshot every second).")};
    QCommandLineOption connectPid{QStringLiteral("connect"),
                                  QCoreApplication::translate("main", "Watch the live process PID (its agent must serve)."),
                                  QStringLiteral("pid")};
    QCommandLineOption attachPid{QStringLiteral("attach"),
                                 QCoreApplication::translate("main", "Load the agent into the running Python process PID "
                                                                     "(started without Leakscope; needs gdb) and watch it."),
                                 QStringLiteral("pid")};
    QCommandLineOption interval{QStringLiteral("every"),
                                QCoreApplication::translate("main", "Seconds between live snapshots (default 2)."),
                                QStringLiteral("seconds"), QStringLiteral("2")};

    void describe(QCommandLineParser &parser) const
    {
        parser.setApplicationDescription(QCoreApplication::translate(
            "main", "Finds memory leaks in Python programs: opens .lsnap files and objgraph outputs, "
                    "compares the snapshots and charts each type over time.\n"
                    "Live: --demo watches a bundled leaking program; --run SCRIPT [ARGS...] (last on the "
                    "command line) starts a script with the agent and watches it; --connect PID watches a "
                    "process whose agent serves; --attach PID loads the agent into a running Python process first."));
        parser.addHelpOption();
        parser.addVersionOption();
        for (const QCommandLineOption *o : {&example, &screenshot, &select, &demo, &connectPid, &attachPid, &interval})
            parser.addOption(*o);
        parser.addPositionalArgument(QStringLiteral("files"),
                                     QCoreApplication::translate("main", ".lsnap files or objgraph outputs to open."),
                                     QStringLiteral("[FILE...]"));
    }
};

void setApplicationNames()
{
    QCoreApplication::setApplicationName(QStringLiteral("leakscope"));
    QCoreApplication::setOrganizationName(QStringLiteral("Leakscope"));
    QCoreApplication::setApplicationVersion(QStringLiteral(LEAKSCOPE_VERSION));
}

// --help and --version (before any --run, whose arguments belong to the
// script) are answered without a display: no QApplication, no platform plugin.
bool asksForHelpOrVersion(int argc, char *argv[])
{
    for (int i = 1; i < argc; ++i) {
        const QByteArray a(argv[i]);
        if (a == "--run")
            return false;
        if (a == "-h" || a == "--help" || a == "-?" || a == "--help-all" || a == "-v" || a == "--version")
            return true;
    }
    return false;
}

} // namespace

int main(int argc, char *argv[])
{
    if (asksForHelpOrVersion(argc, argv)) {
        QCoreApplication app(argc, argv);
        setApplicationNames();
        QCommandLineParser parser;
        const Options options;
        options.describe(parser);
        parser.process(app); // prints and exits
        return 0;
    }

    QApplication app(argc, argv);
    setApplicationNames();
    QApplication::setApplicationDisplayName(QStringLiteral("Leakscope"));

    QCommandLineParser parser;
    const Options options;
    options.describe(parser);
    const QCommandLineOption &example = options.example;
    const QCommandLineOption &screenshot = options.screenshot;
    const QCommandLineOption &select = options.select;
    const QCommandLineOption &demo = options.demo;
    const QCommandLineOption &connectPid = options.connectPid;
    const QCommandLineOption &attachPid = options.attachPid;
    const QCommandLineOption &interval = options.interval;
    // `--run script.py args...`: everything after --run belongs to the script,
    // including arguments that look like options.
    QStringList arguments = QCoreApplication::arguments();
    QStringList runCommand;
    const qsizetype runAt = arguments.indexOf(QStringLiteral("--run"));
    if (runAt > 0) {
        runCommand = arguments.mid(runAt + 1);
        arguments = arguments.mid(0, runAt);
        if (runCommand.isEmpty()) {
            QTextStream(stderr) << "leakscope: --run needs a script\n";
            return 2;
        }
        if (!QFileInfo(runCommand.first()).isFile()) {
            QTextStream(stderr) << "leakscope: " << runCommand.first() << ": no such script\n";
            return 2;
        }
    }
    parser.process(arguments);

    // The window assembles every part (References, Retainers, live) itself.
    leakscope::MainWindow window;
    leakscope::LiveUi &live = *window.liveUi();
    window.show();

    if (parser.isSet(demo)) {
        if (!live.startDemo())
            return 1;
        // Chart the leak next to the bounded cache once there is something to see.
        auto *once = new QObject(&window);
        QObject::connect(window.controller(), &leakscope::SessionController::comparisonChanged, once, [&window, once] {
            if (window.controller()->session()->snapshotCount() < 3)
                return;
            window.selectTypes({QStringLiteral("__main__.Session"), QStringLiteral("__main__.CacheEntry")});
            once->deleteLater();
        });
    } else if (!runCommand.isEmpty()) {
        const QStringList pythons = leakscope::RunScriptDialog::interpretersOnPath();
        // A failure is shown in the window (status bar and console).
        live.runScript(pythons.first(), runCommand.first(), runCommand.mid(1), QString(),
                       parser.value(interval).toDouble());
    } else if (parser.isSet(connectPid)) {
        live.connectToPid(parser.value(connectPid).toLongLong());
    } else if (parser.isSet(attachPid)) {
        const qint64 pid = parser.value(attachPid).toLongLong();
        if (pid <= 0) {
            QTextStream(stderr) << "leakscope: --attach needs a process id\n";
            return 2;
        }
        live.attachToPid(pid);
    }

    QStringList files = parser.positionalArguments();
    if (parser.isSet(example)) {
        const auto path = leakscope::exampleSessionPath();
        if (path) {
            files.prepend(path.value());
        } else {
            QTextStream(stderr) << path.error() << '\n';
            return 1;
        }
    }
    auto afterLoad = [&window, &parser, &select, &screenshot] {
        if (parser.isSet(select)) {
            bool isNumber = false;
            const int top = parser.value(select).toInt(&isNumber);
            if (isNumber)
                window.selectTopRows(top);
            else
                window.selectTypes(parser.value(select).split(QLatin1Char(','), Qt::SkipEmptyParts));
        }
        if (parser.isSet(screenshot)) {
            const QString png = parser.value(screenshot);
            QTimer::singleShot(400, &window, [&window, png] {
                if (!window.grab().save(png)) {
                    QTextStream(stderr) << png << ": cannot write the screenshot\n";
                    QCoreApplication::exit(1);
                    return;
                }
                QCoreApplication::quit();
            });
        }
    };
    if (files.isEmpty()) {
        QTimer::singleShot(0, &window, afterLoad);
    } else {
        QObject::connect(window.controller(), &leakscope::SessionController::busyChanged, &window,
                         [afterLoad](bool busy) {
                             if (!busy)
                                 afterLoad();
                         });
    }
    window.openFiles(files);
    return app.exec();
}
