#pragma once

#include <QMainWindow>

namespace leakscope {

// The main window; a placeholder until the GUI issue lands.
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
};

} // namespace leakscope
