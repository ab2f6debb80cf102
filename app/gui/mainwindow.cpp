#include "mainwindow.h"

#include <QLabel>

namespace leakscope {

MainWindow::MainWindow(QWidget *parent) : QMainWindow(parent)
{
    setWindowTitle(tr("Leakscope"));
    setCentralWidget(new QLabel(tr("Leakscope"), this));
}

} // namespace leakscope
