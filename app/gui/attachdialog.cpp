#include "gui/attachdialog.h"

#include "core/textutil.h"
#include "live/agentattacher.h"
#include "live/pythonprocess.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QFutureWatcher>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QStandardItemModel>
#include <QTreeView>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <cmath>

namespace leakscope {

namespace {

QString uptimeText(double seconds)
{
    if (seconds < 0 || !std::isfinite(seconds))
        return QStringLiteral("?");
    const qint64 s = qint64(seconds);
    if (s < 60)
        return QStringLiteral("%1 s").arg(s);
    if (s < 3600)
        return QStringLiteral("%1 min").arg(s / 60);
    if (s < 86400)
        return QStringLiteral("%1 h %2 min").arg(s / 3600).arg((s % 3600) / 60);
    return QStringLiteral("%1 d %2 h").arg(s / 86400).arg((s % 86400) / 3600);
}

QStandardItem *cell(const QString &text, const QVariant &sortKey)
{
    auto *item = new QStandardItem(text);
    item->setData(sortKey, AttachDialog::SortRole);
    item->setEditable(false);
    return item;
}

} // namespace

AttachDialog::AttachDialog(QWidget *parent)
    : QDialog(parent)
    , m_model(new QStandardItemModel(0, ColumnCount, this))
    , m_proxy(new QSortFilterProxyModel(this))
    , m_view(new QTreeView(this))
    , m_filter(new QLineEdit(this))
    , m_status(new QLabel(this))
    , m_progress(new QProgressBar(this))
    , m_unsafeDirect(new QCheckBox(tr("Load where the main thread stands (unsafe; for a thread that sleeps or waits)"), this))
    , m_attacher(new AgentAttacher(this))
{
    setWindowTitle(tr("Attach to Process"));
    m_model->setHorizontalHeaderLabels({tr("PID"), tr("Command line"), tr("Python"), tr("Uptime"), tr("RSS"), tr("Agent")});
    m_model->horizontalHeaderItem(AgentColumn)->setToolTip(tr("Whether a Leakscope agent already serves in the process"));
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(SortRole);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_proxy->setFilterKeyColumn(-1);
    m_view->setModel(m_proxy);
    m_view->setRootIsDecorated(false);
    m_view->setAlternatingRowColors(true);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(PidColumn, Qt::AscendingOrder);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->header()->setStretchLastSection(false);
    m_view->header()->setSectionResizeMode(CommandColumn, QHeaderView::Stretch);
    connect(m_view, &QTreeView::doubleClicked, this, &AttachDialog::accept);

    m_filter->setPlaceholderText(tr("Filter by pid, command line or version"));
    m_filter->setClearButtonEnabled(true);
    connect(m_filter, &QLineEdit::textChanged, m_proxy, &QSortFilterProxyModel::setFilterFixedString);

    auto *explain = new QLabel(tr("Your running Python 3.8+ programs. Attaching loads Leakscope's agent into the "
                                  "chosen one with <b>gdb</b> at a safe point between two bytecodes and starts its "
                                  "live server; the program keeps running and a new live session opens for it."),
                               this);
    explain->setWordWrap(true);
    m_unsafeDirect->setToolTip(tr("Only when a plain attach timed out because the main thread is blocked in a C call: "
                                  "runs the agent's start code right where the thread stands, which can crash or "
                                  "deadlock a process stopped inside the allocator or the interpreter."));
    m_progress->setRange(0, 0);
    m_progress->setTextVisible(false);
    m_progress->hide();
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *buttons = new QDialogButtonBox(this);
    m_attachButton = buttons->addButton(tr("Attach"), QDialogButtonBox::AcceptRole);
    m_refreshButton = buttons->addButton(tr("Refresh"), QDialogButtonBox::ActionRole);
    m_cancelButton = buttons->addButton(QDialogButtonBox::Cancel);
    connect(m_attachButton, &QPushButton::clicked, this, &AttachDialog::accept);
    connect(m_refreshButton, &QPushButton::clicked, this, &AttachDialog::refresh);
    connect(m_cancelButton, &QPushButton::clicked, this, &AttachDialog::reject);

    connect(m_attacher, &AgentAttacher::progress, m_status, &QLabel::setText);
    connect(m_attacher, &AgentAttacher::succeeded, this, [this](const QString &socket) {
        m_attachedPid = m_attacher->pid();
        m_socketPath = socket;
        setAttaching(false);
        QDialog::accept();
    });
    connect(m_attacher, &AgentAttacher::failed, this, [this](const QString &message) {
        setAttaching(false);
        m_status->setText(message);
        Q_EMIT attachFailed(message);
        refresh();
    });
    connect(m_attacher, &AgentAttacher::phaseChanged, this, [this] {
        m_cancelButton->setEnabled(!m_attacher->isRunning() || m_attacher->canCancel());
    });

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(explain);
    layout->addWidget(m_filter);
    layout->addWidget(m_view, 1);
    layout->addWidget(m_unsafeDirect);
    layout->addWidget(m_progress);
    layout->addWidget(m_status);
    layout->addWidget(buttons);
    resize(860, 420);
    refresh();
}

AttachDialog::~AttachDialog() = default;

bool AttachDialog::isAttaching() const
{
    return m_attacher->isRunning();
}

void AttachDialog::refresh()
{
    const int generation = ++m_generation;
    m_refreshButton->setEnabled(false);
    auto *watcher = new QFutureWatcher<std::vector<PythonProcess>>(this);
    connect(watcher, &QFutureWatcher<std::vector<PythonProcess>>::finished, this, [this, watcher, generation] {
        watcher->deleteLater();
        if (generation != m_generation)
            return; // a newer scan is on its way
        m_refreshButton->setEnabled(true);
        const qint64 keep = selectedPid();
        const std::vector<PythonProcess> processes = watcher->result();
        m_model->removeRows(0, m_model->rowCount());
        const QLocale locale;
        for (const PythonProcess &p : processes) {
            QList<QStandardItem *> row;
            row << cell(QString::number(p.pid), p.pid)
                << cell(p.commandLine.join(QLatin1Char(' ')), p.commandLine.join(QLatin1Char(' ')))
                << cell(p.version().isEmpty() ? tr("?") : p.version(), p.major * 1000 + p.minor)
                << cell(uptimeText(p.uptimeSeconds), p.uptimeSeconds)
                << cell(p.rss < 0 ? tr("?") : TextUtil::bytes(p.rss, locale), p.rss)
                << cell(p.agentSocket.isEmpty() ? QString() : tr("serving"), p.agentSocket.isEmpty() ? 0 : 1);
            if (p.major > 0 && !p.isSupportedVersion())
                for (QStandardItem *item : row) {
                    item->setEnabled(false);
                    item->setToolTip(tr("Python %1: the agent needs Python 3.8 or newer").arg(p.version()));
                }
            if (!p.agentSocket.isEmpty())
                row.at(AgentColumn)->setToolTip(p.agentSocket);
            m_model->appendRow(row);
        }
        m_view->resizeColumnToContents(PidColumn);
        m_view->resizeColumnToContents(PythonColumn);
        if (!isAttaching())
            m_status->setText(processes.empty() ? tr("No Python processes of yours are running.")
                                                : tr("%n Python process(es).", nullptr, int(processes.size())));
        if (!selectPid(keep) && m_proxy->rowCount() > 0 && !m_view->currentIndex().isValid())
            m_view->setCurrentIndex(m_proxy->index(0, 0));
        Q_EMIT listRefreshed();
        if (m_pendingPid > 0) {
            const qint64 pid = m_pendingPid;
            m_pendingPid = 0;
            attachTo(pid);
        }
    });
    watcher->setFuture(QtConcurrent::run([] { return PythonProcessScanner::list(); }));
}

bool AttachDialog::selectPid(qint64 pid)
{
    for (int r = 0; r < m_proxy->rowCount(); ++r) {
        const QModelIndex index = m_proxy->index(r, PidColumn);
        if (index.data(SortRole).toLongLong() == pid) {
            m_view->setCurrentIndex(index);
            return true;
        }
    }
    return false;
}

qint64 AttachDialog::selectedPid() const
{
    const QModelIndex index = m_view->currentIndex();
    return index.isValid() ? m_proxy->index(index.row(), PidColumn).data(SortRole).toLongLong() : 0;
}

void AttachDialog::attachTo(qint64 pid)
{
    if (m_model->rowCount() == 0 && !m_refreshButton->isEnabled()) {
        m_pendingPid = pid; // the first scan is still running
        return;
    }
    selectPid(pid);
    if (isAttaching())
        return;
    AttachOptions options;
    options.unsafeDirect = m_unsafeDirect->isChecked();
    setAttaching(true);
    m_attacher->start(pid, options);
}

void AttachDialog::accept()
{
    const qint64 pid = selectedPid();
    if (pid <= 0) {
        m_status->setText(tr("Choose a process first."));
        return;
    }
    attachTo(pid);
}

void AttachDialog::reject()
{
    if (isAttaching()) {
        // Cancel the attach first; gdb leaves the process as it was.
        m_attacher->cancel();
        return;
    }
    QDialog::reject();
}

void AttachDialog::setAttaching(bool attaching)
{
    m_progress->setVisible(attaching);
    m_attachButton->setEnabled(!attaching);
    m_view->setEnabled(!attaching);
    m_filter->setEnabled(!attaching);
    m_unsafeDirect->setEnabled(!attaching);
    m_cancelButton->setEnabled(true);
}

} // namespace leakscope
