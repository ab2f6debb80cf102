#pragma once

#include <QDialog>
#include <QStringList>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QTreeWidget;

namespace leakscope {

// File > Run Python Script…: the script, its arguments, the working
// directory and the interpreter (from PATH), plus the snapshot interval.
class RunScriptDialog : public QDialog
{
    Q_OBJECT
public:
    explicit RunScriptDialog(QWidget *parent = nullptr);

    QString script() const;
    QStringList arguments() const;
    QString workingDirectory() const;
    QString interpreter() const;
    double interval() const; // 0: no automatic snapshots
    bool traceAllocations() const; // "Trace allocations": tracemalloc from the first line

    // python3, python3.X ... found on PATH, best first.
    static QStringList interpretersOnPath();

    void accept() override;

private:
    QLineEdit *m_script;
    QLineEdit *m_arguments;
    QLineEdit *m_workDir;
    QComboBox *m_interpreter;
    QCheckBox *m_auto;
    QDoubleSpinBox *m_interval;
    QCheckBox *m_trace;
    QLabel *m_error;
};

// File > Connect to Process…: the live agents of this user.
class ConnectDialog : public QDialog
{
    Q_OBJECT
public:
    explicit ConnectDialog(QWidget *parent = nullptr);
    qint64 selectedPid() const;
    void refresh();

private:
    QTreeWidget *m_list;
    QLabel *m_status;
};

} // namespace leakscope
