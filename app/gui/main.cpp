#include "mainwindow.h"

#include <QApplication>

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("leakscope"));
    QApplication::setOrganizationName(QStringLiteral("Leakscope"));
    leakscope::MainWindow window;
    window.show();
    return app.exec();
}
