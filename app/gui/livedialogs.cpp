#include "gui/livedialogs.h"

#include "live/agentdiscovery.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QProcess>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>
#include <QTreeWidget>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <cmath>

namespace leakscope {

namespace {

QWidget *withBrowse(QLineEdit *edit, QWidget *parent, const std::function<void()> &browse)
{
    auto *row = new QWidget(parent);
    auto *layout = new QHBoxLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(edit, 1);
    auto *button = new QPushButton(QObject::tr("Browse…"), row);
    QObject::connect(button, &QPushButton::clicked, row, browse);
    layout->addWidget(button);
    return row;
}

QString formatUptime(double seconds)
{
    if (seconds < 0 || !std::isfinite(seconds))
        return QStringLiteral("?");
    const qint64 s = qint64(seconds);
    if (s < 60)
        return QObject::tr("%1 s").arg(s);
    if (s < 3600)
        return QObject::tr("%1 min").arg(s / 60);
    return QObject::tr("%1 h %2 min").arg(s / 3600).arg((s % 3600) / 60);
}

} // namespace

RunScriptDialog::RunScriptDialog(QWidget *parent)
    : QDialog(parent), m_script(new QLineEdit(this)), m_arguments(new QLineEdit(this)), m_workDir(new QLineEdit(this)),
      m_interpreter(new QComboBox(this)), m_auto(new QCheckBox(tr("Take a snapshot every"), this)),
      m_interval(new QDoubleSpinBox(this)), m_trace(new QCheckBox(tr("Trace allocations"), this)),
      m_error(new QLabel(this))
{
    setWindowTitle(tr("Run Python Script"));
    QSettings settings;
    settings.beginGroup(QStringLiteral("run"));
    m_script->setText(settings.value(QStringLiteral("script")).toString());
    m_script->setPlaceholderText(tr("path/to/script.py"));
    m_arguments->setText(settings.value(QStringLiteral("arguments")).toString());
    m_arguments->setPlaceholderText(tr("arguments, quoted as in a shell"));
    m_workDir->setText(settings.value(QStringLiteral("workDir")).toString());
    m_workDir->setPlaceholderText(tr("the script's directory"));
    m_interpreter->setEditable(true);
    m_interpreter->addItems(interpretersOnPath());
    const QString lastPython = settings.value(QStringLiteral("interpreter")).toString();
    if (!lastPython.isEmpty())
        m_interpreter->setCurrentText(lastPython);
    m_auto->setChecked(settings.value(QStringLiteral("auto"), true).toBool());
    m_interval->setRange(0.2, 3600);
    m_interval->setDecimals(1);
    m_interval->setSuffix(tr(" s"));
    m_interval->setValue(settings.value(QStringLiteral("interval"), 2.0).toDouble());
    connect(m_auto, &QCheckBox::toggled, m_interval, &QWidget::setEnabled);
    m_interval->setEnabled(m_auto->isChecked());

    auto *form = new QFormLayout;
    form->addRow(tr("&Script:"), withBrowse(m_script, this, [this] {
                     const QString f = QFileDialog::getOpenFileName(this, tr("Python Script"), m_script->text(),
                                                                    tr("Python scripts (*.py);;All files (*)"));
                     if (!f.isEmpty())
                         m_script->setText(f);
                 }));
    form->addRow(tr("&Arguments:"), m_arguments);
    form->addRow(tr("&Working directory:"), withBrowse(m_workDir, this, [this] {
                     const QString d = QFileDialog::getExistingDirectory(this, tr("Working Directory"), m_workDir->text());
                     if (!d.isEmpty())
                         m_workDir->setText(d);
                 }));
    form->addRow(tr("&Interpreter:"), m_interpreter);
    auto *every = new QHBoxLayout;
    every->addWidget(m_auto);
    every->addWidget(m_interval);
    every->addStretch(1);
    form->addRow(QString(), every);
    m_trace->setObjectName(QStringLiteral("traceAllocations"));
    m_trace->setChecked(settings.value(QStringLiteral("trace"), false).toBool());
    m_trace->setToolTip(tr("Start tracemalloc before the script's first line (16 frames per call stack), so the "
                           "Allocations tab shows where new objects were allocated. The script runs slower."));
    form->addRow(QString(), m_trace);

    m_error->setStyleSheet(QStringLiteral("color: #b02020"));
    m_error->setWordWrap(true);
    m_error->hide();
    auto *note = new QLabel(tr("Leakscope starts the script with its agent inside, takes a snapshot at start and at "
                               "exit, and shows the script's output in the Console tab."),
                            this);
    note->setWordWrap(true);
    note->setStyleSheet(QStringLiteral("color: palette(mid)"));

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Run"));
    connect(buttons, &QDialogButtonBox::accepted, this, &RunScriptDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(note);
    layout->addWidget(m_error);
    layout->addWidget(buttons);
    resize(560, sizeHint().height());
}

QStringList RunScriptDialog::interpretersOnPath()
{
    QStringList found;
    const QStringList names{QStringLiteral("python3"), QStringLiteral("python")};
    for (const QString &n : names) {
        const QString path = QStandardPaths::findExecutable(n);
        if (!path.isEmpty() && !found.contains(path))
            found << path;
    }
    for (int minor = 14; minor >= 8; --minor) {
        const QString path = QStandardPaths::findExecutable(QStringLiteral("python3.%1").arg(minor));
        if (!path.isEmpty() && !found.contains(path))
            found << path;
    }
    if (found.isEmpty())
        found << QStringLiteral("python3");
    return found;
}

bool RunScriptDialog::traceAllocations() const
{
    return m_trace->isChecked();
}

QString RunScriptDialog::script() const
{
    return m_script->text().trimmed();
}

QStringList RunScriptDialog::arguments() const
{
    return QProcess::splitCommand(m_arguments->text());
}

QString RunScriptDialog::workingDirectory() const
{
    return m_workDir->text().trimmed();
}

QString RunScriptDialog::interpreter() const
{
    return m_interpreter->currentText().trimmed();
}

double RunScriptDialog::interval() const
{
    return m_auto->isChecked() ? m_interval->value() : 0.0;
}

void RunScriptDialog::accept()
{
    QString problem;
    if (!QFileInfo(script()).isFile())
        problem = tr("%1: no such script").arg(script().isEmpty() ? tr("(empty)") : script());
    else if (!workingDirectory().isEmpty() && !QFileInfo(workingDirectory()).isDir())
        problem = tr("%1: no such directory").arg(workingDirectory());
    else if (QStandardPaths::findExecutable(interpreter()).isEmpty() && !QFileInfo(interpreter()).isExecutable())
        problem = tr("%1: no such interpreter").arg(interpreter());
    if (!problem.isEmpty()) {
        m_error->setText(problem);
        m_error->show();
        return;
    }
    QSettings settings;
    settings.beginGroup(QStringLiteral("run"));
    settings.setValue(QStringLiteral("script"), script());
    settings.setValue(QStringLiteral("arguments"), m_arguments->text());
    settings.setValue(QStringLiteral("workDir"), workingDirectory());
    settings.setValue(QStringLiteral("interpreter"), interpreter());
    settings.setValue(QStringLiteral("auto"), m_auto->isChecked());
    settings.setValue(QStringLiteral("interval"), m_interval->value());
    settings.setValue(QStringLiteral("trace"), m_trace->isChecked());
    QDialog::accept();
}

ConnectDialog::ConnectDialog(QWidget *parent)
    : QDialog(parent), m_list(new QTreeWidget(this)), m_status(new QLabel(this))
{
    setWindowTitle(tr("Connect to Process"));
    m_list->setHeaderLabels({tr("PID"), tr("Python"), tr("Uptime"), tr("Command line")});
    m_list->setRootIsDecorated(false);
    m_list->setAlternatingRowColors(true);
    m_list->header()->setStretchLastSection(true);
    connect(m_list, &QTreeWidget::itemDoubleClicked, this, &QDialog::accept);

    auto *explain = new QLabel(tr("Python processes of yours whose Leakscope agent serves: started with "
                                  "<code>leakscope-cli record</code>, <code>python3 -m leakscope_agent run</code>, "
                                  "or calling <code>leakscope_agent.start_server()</code>."),
                               this);
    explain->setWordWrap(true);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Connect"));
    auto *refreshButton = buttons->addButton(tr("Refresh"), QDialogButtonBox::ActionRole);
    connect(refreshButton, &QPushButton::clicked, this, &ConnectDialog::refresh);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(explain);
    layout->addWidget(m_list, 1);
    m_status->setTextFormat(Qt::PlainText); // refusals name paths anyone can choose
    m_status->setWordWrap(true);
    layout->addWidget(m_status);
    layout->addWidget(buttons);
    resize(720, 360);
    refresh();
}

void ConnectDialog::refresh()
{
    m_status->setText(tr("Looking for live agents…"));
    auto *watcher = new QFutureWatcher<AgentList>(this);
    connect(watcher, &QFutureWatcher<AgentList>::finished, this, [this, watcher] {
        const AgentList found = watcher->result();
        const std::vector<AgentEndpoint> &agents = found.agents;
        watcher->deleteLater();
        m_list->clear();
        for (const AgentEndpoint &a : agents) {
            auto *item = new QTreeWidgetItem(m_list);
            item->setText(0, QString::number(a.pid));
            item->setData(0, Qt::UserRole, a.pid);
            item->setText(1, a.error.isEmpty() ? a.python : tr("?"));
            item->setText(2, formatUptime(a.uptimeSeconds));
            item->setText(3, a.error.isEmpty() ? a.argv.join(QLatin1Char(' ')) : a.error);
        }
        for (int c = 0; c < 3; ++c)
            m_list->resizeColumnToContents(c);
        if (m_list->topLevelItemCount() > 0)
            m_list->setCurrentItem(m_list->topLevelItem(0));
        QString status = agents.empty() ? tr("No live agents found.") : tr("%n live agent(s).", nullptr, int(agents.size()));
        // Unsafe directories and sockets of other users are named, never listed.
        for (const QString &refusal : found.refused)
            status += QLatin1Char('\n') + refusal;
        m_status->setText(status);
    });
    watcher->setFuture(QtConcurrent::run([] { return AgentDiscovery::list(true, 1500); }));
}

qint64 ConnectDialog::selectedPid() const
{
    const QTreeWidgetItem *item = m_list->currentItem();
    return item ? item->data(0, Qt::UserRole).toLongLong() : 0;
}

} // namespace leakscope
