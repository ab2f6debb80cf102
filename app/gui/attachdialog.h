#pragma once

#include <QDialog>
#include <QString>

class QCheckBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSortFilterProxyModel;
class QStandardItemModel;
class QTreeView;

namespace leakscope {

class AgentAttacher;

// Live > Attach to Process…: this user's Python processes read from /proc
// (pid, command line, interpreter version, uptime, RSS, whether an agent
// already serves), with a filter box. Attach loads the agent with gdb (in the
// background, with progress and cancel; the dialog stays usable) and accepts
// once the agent answers; attachedPid() and socketPath() say where.
class AttachDialog : public QDialog
{
    Q_OBJECT
public:
    enum Column { PidColumn, CommandColumn, PythonColumn, UptimeColumn, RssColumn, AgentColumn, ColumnCount };
    static constexpr int SortRole = Qt::UserRole + 1;

    explicit AttachDialog(QWidget *parent = nullptr);
    ~AttachDialog() override;

    void refresh();
    // Selects pid in the list (when listed) and attaches to it.
    void attachTo(qint64 pid);
    qint64 selectedPid() const;
    bool selectPid(qint64 pid);
    qint64 attachedPid() const { return m_attachedPid; }
    QString socketPath() const { return m_socketPath; }
    bool isAttaching() const;

    QStandardItemModel *processModel() const { return m_model; }
    QSortFilterProxyModel *filterModel() const { return m_proxy; }
    QLineEdit *filterBox() const { return m_filter; }
    QLabel *statusLabel() const { return m_status; }
    QPushButton *attachButton() const { return m_attachButton; }
    QPushButton *cancelButton() const { return m_cancelButton; }

    void accept() override;
    void reject() override;

Q_SIGNALS:
    void listRefreshed();
    void attachFailed(const QString &message);

private:
    void setAttaching(bool attaching);

    QStandardItemModel *m_model;
    QSortFilterProxyModel *m_proxy;
    QTreeView *m_view;
    QLineEdit *m_filter;
    QLabel *m_status;
    QProgressBar *m_progress;
    QCheckBox *m_unsafeDirect;
    QPushButton *m_attachButton;
    QPushButton *m_cancelButton;
    QPushButton *m_refreshButton;
    AgentAttacher *m_attacher;
    qint64 m_pendingPid = 0; // attach once the list holds it (attachTo before the first refresh)
    qint64 m_attachedPid = 0;
    QString m_socketPath;
    int m_generation = 0;
};

} // namespace leakscope
