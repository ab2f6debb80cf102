#include "cli/cli.h"

#include <QCoreApplication>

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("leakscope"));
    QCoreApplication::setOrganizationName(QStringLiteral("Leakscope"));
    QStringList args = QCoreApplication::arguments();
    args.removeFirst();
    return leakscope::runCli(args);
}
