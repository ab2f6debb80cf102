#include "examplesession.h"
#include "mainwindow.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QTextStream>

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
                "compares the snapshots and charts each type over time."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption example(QStringLiteral("example"),
                                     QApplication::translate("main", "Open the bundled example session."));
    parser.addOption(example);
    parser.addPositionalArgument(QStringLiteral("files"),
                                 QApplication::translate("main", ".lsnap files or objgraph outputs to open."),
                                 QStringLiteral("[FILE...]"));
    parser.process(app);

    leakscope::MainWindow window;
    window.show();

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
    window.openFiles(files);
    return app.exec();
}
