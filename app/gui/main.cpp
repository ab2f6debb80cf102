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

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("leakscope"));
    QApplication::setOrganizationName(QStringLiteral("Leakscope"));
    QApplication::setApplicationVersion(QStringLiteral(LEAKSCOPE_VERSION));
    QApplication::setApplicationDisplayName(QStringLiteral("Leakscope"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QApplication::translate(
        "main", "Finds memory leaks in Python programs: opens .lsnap files and objgraph outputs, "
                "compares the snapshots and charts each type over time.\n"
                "Live: --demo watches a bundled leaking program; --run SCRIPT [ARGS...] (last on the "
                "command line) starts a script with the agent and watches it; --connect PID watches a "
                "process whose agent serves; --attach PID loads the agent into a running Python process first."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption example(QStringLiteral("example"),
                                     QApplication::translate("main", "Open the bundled example session."));
    parser.addOption(example);
    const QCommandLineOption screenshot(
        QStringLiteral("screenshot"),
        QApplication::translate("main", "Grab the window to a PNG once the files are loaded, then quit (for docs)."),
        QStringLiteral("png"));
    parser.addOption(screenshot);
    const QCommandLineOption select(
        QStringLiteral("select"),
        QApplication::translate("main", "Select these types (comma-separated) once loaded, or the top N rows."),
        QStringLiteral("types|N"));
    parser.addOption(select);
    const QCommandLineOption demo(QStringLiteral("demo"),
                                  QApplication::translate("main", "Start the bundled leaking program and watch it live "
                                                                  "(a snapshot every second)."));
    parser.addOption(demo);
    const QCommandLineOption connectPid(QStringLiteral("connect"),
                                        QApplication::translate("main", "Watch the live process PID (its agent must serve)."),
                                        QStringLiteral("pid"));
    parser.addOption(connectPid);
    const QCommandLineOption attachPid(QStringLiteral("attach"),
                                       QApplication::translate("main", "Load the agent into the running Python process PID "
                                                                       "(started without Leakscope; needs gdb) and watch it."),
                                       QStringLiteral("pid"));
    parser.addOption(attachPid);
    const QCommandLineOption interval(QStringLiteral("every"),
                                      QApplication::translate("main", "Seconds between live snapshots (default 2)."),
                                      QStringLiteral("seconds"), QStringLiteral("2"));
    parser.addOption(interval);
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
    parser.addPositionalArgument(QStringLiteral("files"),
                                 QApplication::translate("main", ".lsnap files or objgraph outputs to open."),
                                 QStringLiteral("[FILE...]"));
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
    auto afterLoad = [&window, &parser, select, screenshot] {
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
