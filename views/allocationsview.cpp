#include "views/allocationsview.h"

#include "core/textutil.h"

#include <QDesktopServices>
#include <QFile>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QProcess>
#include <QProcessEnvironment>
#include <QSplitter>
#include <QTreeWidget>
#include <QUrl>
#include <QVBoxLayout>

namespace leakscope {

namespace {

enum { FileRole = Qt::UserRole + 1, LineRole };

QString sourceLine(const QString &filename, int line)
{
    if (line < 1 || filename.startsWith(QLatin1Char('<')))
        return QString();
    const QFileInfo info(filename);
    if (!info.isFile() || info.size() > 16 * 1024 * 1024)
        return QString();
    QFile file(filename);
    if (!file.open(QIODevice::ReadOnly))
        return QString();
    for (int i = 1; !file.atEnd(); ++i) {
        const QByteArray text = file.readLine(64 * 1024);
        if (i == line)
            return TextUtil::oneLine(QString::fromUtf8(text).trimmed());
    }
    return QString();
}

// "growing.py:45 in handle": the full path is in the tooltip.
QString shortFrame(const AllocFrame &frame)
{
    AllocFrame f = frame;
    if (!f.filename.startsWith(QLatin1Char('<')))
        f.filename = QFileInfo(f.filename).fileName();
    return AllocationAnalysis::frameText(f);
}

void setFrame(QTreeWidgetItem *item, const AllocFrame &frame)
{
    item->setData(0, FileRole, frame.filename);
    item->setData(0, LineRole, frame.lineno);
    item->setText(0, shortFrame(frame));
    item->setToolTip(0, QObject::tr("%1\nDouble-click to open it at line %2").arg(frame.filename).arg(frame.lineno));
}

} // namespace

AllocationsView::AllocationsView(QWidget *parent) : QWidget(parent)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    m_message = new QLabel(this);
    m_message->setObjectName(QStringLiteral("allocationsMessage"));
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_message);
    auto *split = new QSplitter(Qt::Horizontal, this);
    auto *left = new QWidget(split);
    auto *leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    m_stacksTitle = new QLabel(left);
    leftLayout->addWidget(m_stacksTitle);
    m_stacks = new QTreeWidget(left);
    m_stacks->setObjectName(QStringLiteral("allocationStacks"));
    m_stacks->setHeaderLabels({tr("Call stack"), tr("Objects"), tr("Source")});
    leftLayout->addWidget(m_stacks);
    auto *right = new QWidget(split);
    auto *rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    rightLayout->addWidget(new QLabel(tr("Lines whose traced memory grew most from A to B"), right));
    m_lines = new QTreeWidget(right);
    m_lines->setObjectName(QStringLiteral("allocationLines"));
    m_lines->setRootIsDecorated(false);
    m_lines->setHeaderLabels({tr("Line"), tr("Δ traced"), tr("Δ blocks"), tr("Source")});
    rightLayout->addWidget(m_lines);
    split->addWidget(left);
    split->addWidget(right);
    layout->addWidget(split, 1);
    connect(m_stacks, &QTreeWidget::itemDoubleClicked, this, [this](QTreeWidgetItem *item) { activated(item); });
    connect(m_lines, &QTreeWidget::itemDoubleClicked, this, [this](QTreeWidgetItem *item) { activated(item); });
    setSubject(nullptr, 0, 0, false, QString(), QString());
}

QString AllocationsView::messageText() const
{
    return m_message->text();
}

void AllocationsView::setSubject(std::shared_ptr<const Session> session, int baseline, int current, bool container,
                                 const QString &subject, const QString &title)
{
    m_stacks->clear();
    m_lines->clear();
    if (!session || session->snapshotCount() == 0) {
        m_message->setText(tr("Open a recording to see where objects were allocated."));
        m_stacksTitle->clear();
        return;
    }
    const AllocationReport report =
        AllocationAnalysis::analyze(*session, baseline, current, container, subject, 50);
    if (!report.traced) {
        m_message->setText(report.tablesPresent ? AllocationAnalysis::notTracedMessage()
                                                : AllocationAnalysis::predatesMessage());
        m_stacksTitle->clear();
        return;
    }
    QStringList message;
    message << tr("Traced with %1 frames per call stack, snapshot %2 → %3.").arg(report.frames).arg(baseline).arg(current);
    if (subject.isEmpty())
        message << tr("Select a type or a container to see where its new objects were allocated.");
    else if (!report.note.isEmpty())
        message << report.note;
    m_message->setText(message.join(QLatin1Char(' ')));
    m_stacksTitle->setText(subject.isEmpty() ? QString()
                           : container ? tr("Where the new items of %1 were allocated").arg(title)
                                       : tr("Where the new objects of %1 were allocated").arg(title));
    for (const AllocationSite &site : report.stacks) {
        if (site.frames.empty())
            continue;
        auto *top = new QTreeWidgetItem(m_stacks);
        top->setText(0, AllocationAnalysis::frameText(site.frames.front()));
        top->setText(1, QLocale().toString(site.objects));
        top->setTextAlignment(1, Qt::AlignRight | Qt::AlignVCenter);
        top->setText(2, sourceLine(site.frames.front().filename, site.frames.front().lineno));
        setFrame(top, site.frames.front());
        for (size_t d = 1; d < site.frames.size(); ++d) {
            auto *child = new QTreeWidgetItem(top);
            child->setText(0, AllocationAnalysis::frameText(site.frames[d]));
            child->setText(2, sourceLine(site.frames[d].filename, site.frames[d].lineno));
            setFrame(child, site.frames[d]);
        }
    }
    for (const AllocationSite &site : report.lines) {
        auto *item = new QTreeWidgetItem(m_lines);
        const AllocFrame &f = site.frames.front();
        item->setText(0, AllocationAnalysis::frameText(f));
        item->setText(1, QLatin1Char('+') + TextUtil::bytes(site.deltaSize));
        item->setText(2, QLocale().toString(site.deltaCount));
        item->setTextAlignment(1, Qt::AlignRight | Qt::AlignVCenter);
        item->setTextAlignment(2, Qt::AlignRight | Qt::AlignVCenter);
        item->setText(3, sourceLine(f.filename, f.lineno));
        setFrame(item, f);
    }
    for (QTreeWidget *tree : {m_stacks, m_lines})
        tree->header()->resizeSections(QHeaderView::ResizeToContents);
}

void AllocationsView::activated(QTreeWidgetItem *item)
{
    if (item)
        openSource(item->data(0, FileRole).toString(), item->data(0, LineRole).toInt());
}

bool AllocationsView::openSource(const QString &file, int line)
{
    if (!QFileInfo(file).isFile())
        return false;
    const QString editor = QProcessEnvironment::systemEnvironment().value(QStringLiteral("EDITOR"));
    if (!editor.isEmpty()) {
        // "+LINE FILE": what vi, vim, emacs, nano and gedit take.
        QStringList command = QProcess::splitCommand(editor);
        if (!command.isEmpty()) {
            const QString program = command.takeFirst();
            command << QStringLiteral("+%1").arg(line) << file;
            if (QProcess::startDetached(program, command))
                return true;
        }
    }
    return QDesktopServices::openUrl(QUrl::fromLocalFile(QFileInfo(file).absoluteFilePath()));
}

} // namespace leakscope
