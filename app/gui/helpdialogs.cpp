#include "gui/helpdialogs.h"

#include "core/growth.h"
#include "core/session.h"

#include <QAction>
#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHeaderView>
#include <QListWidget>
#include <QLocale>
#include <QMainWindow>
#include <QMenu>
#include <QMenuBar>
#include <QSplitter>
#include <QTableWidget>
#include <QTextBrowser>
#include <QVBoxLayout>

#include <cmath>

namespace leakscope {

namespace {

QDialogButtonBox *closeButton(QDialog *dialog)
{
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, dialog);
    QObject::connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::reject);
    return buttons;
}

// The first "# Title" line of a Markdown page, else its file name.
QString pageTitle(const QString &resourcePath)
{
    QFile f(resourcePath);
    if (f.open(QIODevice::ReadOnly)) {
        const QString first = QString::fromUtf8(f.readLine(4096)).trimmed();
        if (first.startsWith(QLatin1String("# ")))
            return first.mid(2).remove(QLatin1Char('`'));
    }
    return QFileInfo(resourcePath).completeBaseName();
}

void collectShortcuts(const QList<QAction *> &actions, const QString &menu, QTableWidget *table)
{
    for (QAction *a : actions) {
        if (a->menu()) {
            collectShortcuts(a->menu()->actions(), a->menu()->title().remove(QLatin1Char('&')), table);
            continue;
        }
        if (a->isSeparator() || a->shortcuts().isEmpty())
            continue;
        QStringList keys;
        for (const QKeySequence &k : a->shortcuts())
            keys << k.toString(QKeySequence::NativeText);
        const int row = table->rowCount();
        table->insertRow(row);
        table->setItem(row, 0, new QTableWidgetItem(keys.join(QStringLiteral(", "))));
        table->setItem(row, 1, new QTableWidgetItem(a->text().remove(QLatin1Char('&')).remove(QChar(0x2026))));
        table->setItem(row, 2, new QTableWidgetItem(menu));
    }
}

QString mark(bool ok)
{
    return ok ? QStringLiteral("\u2713") : QStringLiteral("\u2717");
}

} // namespace

// --- User Guide -------------------------------------------------------------

UserGuideDialog::UserGuideDialog(QWidget *parent)
    : QDialog(parent), m_list(new QListWidget(this)), m_browser(new QTextBrowser(this))
{
    setWindowTitle(tr("Leakscope User Guide"));
    setObjectName(QStringLiteral("userGuide"));
    auto *layout = new QVBoxLayout(this);
    auto *split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(m_list);
    split->addWidget(m_browser);
    split->setStretchFactor(1, 1);
    split->setSizes({200, 700});
    layout->addWidget(split, 1);
    layout->addWidget(closeButton(this));
    m_browser->setOpenExternalLinks(true);
    m_browser->setSearchPaths({QStringLiteral(":/docs"), QStringLiteral(":/docs/docs")});
    for (const QString &page : pages()) {
        auto *item = new QListWidgetItem(pageTitle(page), m_list);
        item->setData(Qt::UserRole, page);
        item->setToolTip(QFileInfo(page).fileName());
    }
    connect(m_list, &QListWidget::currentRowChanged, this, [this](int row) {
        if (row >= 0)
            showPage(m_list->item(row)->data(Qt::UserRole).toString());
    });
    // A link to another page selects it in the list.
    connect(m_browser, &QTextBrowser::sourceChanged, this, [this](const QUrl &url) {
        const QString path = url.scheme() == QLatin1String("qrc") ? QLatin1Char(':') + url.path() : url.toString();
        for (int i = 0; i < m_list->count(); ++i)
            if (m_list->item(i)->data(Qt::UserRole).toString() == path) {
                const QSignalBlocker block(m_list);
                m_list->setCurrentRow(i);
            }
    });
    resize(980, 680);
    if (m_list->count() > 0)
        m_list->setCurrentRow(0);
}

UserGuideDialog::~UserGuideDialog() = default;

QStringList UserGuideDialog::pages()
{
    QStringList pages;
    if (QFileInfo::exists(QStringLiteral(":/docs/README.md")))
        pages << QStringLiteral(":/docs/README.md");
    const QStringList docs = QDir(QStringLiteral(":/docs/docs")).entryList({QStringLiteral("*.md")}, QDir::Files, QDir::Name);
    // The pages for users before those about the internals.
    const QStringList first = {QStringLiteral("cli.md"), QStringLiteral("pytest.md"), QStringLiteral("safety.md"),
                               QStringLiteral("objgraph-import.md")};
    for (const QString &name : first)
        if (docs.contains(name))
            pages << QStringLiteral(":/docs/docs/") + name;
    for (const QString &name : docs)
        if (!first.contains(name))
            pages << QStringLiteral(":/docs/docs/") + name;
    return pages;
}

void UserGuideDialog::showPage(const QString &resourcePath)
{
    // qrc: URLs keep relative links (docs/cli.md, file-format.md) working.
    QUrl url;
    url.setScheme(QStringLiteral("qrc"));
    url.setPath(resourcePath.mid(1));
    m_browser->setSource(url, QTextDocument::MarkdownResource);
}

// --- Keyboard Shortcuts -----------------------------------------------------

ShortcutsDialog::ShortcutsDialog(QMainWindow *window, QWidget *parent)
    : QDialog(parent ? parent : window), m_table(new QTableWidget(0, 3, this))
{
    setWindowTitle(tr("Keyboard Shortcuts"));
    setObjectName(QStringLiteral("shortcuts"));
    m_table->setHorizontalHeaderLabels({tr("Keys"), tr("Action"), tr("Menu")});
    m_table->verticalHeader()->hide();
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setAlternatingRowColors(true);
    m_table->setShowGrid(false);
    collectShortcuts(window->menuBar()->actions(), QString(), m_table);
    m_table->resizeColumnsToContents();
    m_table->horizontalHeader()->setStretchLastSection(true);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_table, 1);
    layout->addWidget(closeButton(this));
    resize(560, 520);
}

ShortcutsDialog::~ShortcutsDialog() = default;

// --- What is a suspect? -----------------------------------------------------

SuspectHelpDialog::SuspectHelpDialog(const Session *session, const GrowthRow *row, QWidget *parent)
    : QDialog(parent), m_browser(new QTextBrowser(this))
{
    setWindowTitle(tr("What is a Suspect?"));
    setObjectName(QStringLiteral("suspectHelp"));
    m_browser->setHtml(explanation(session, row));
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_browser, 1);
    layout->addWidget(closeButton(this));
    resize(640, 560);
}

SuspectHelpDialog::~SuspectHelpDialog() = default;

QString SuspectHelpDialog::explanation(const Session *session, const GrowthRow *row)
{
    // The rule of SuspectDetector::analyze (model/core/growth.cpp), in words.
    QString html = tr(
        "<h3>What is a suspect?</h3>"
        "<p>A type is a <b>suspect</b> when its count of live objects grows <i>steadily</i> from snapshot to "
        "snapshot, up to the compared snapshot (B). One big step, churn that is freed again, or a cache that "
        "filled up and then stayed flat is not steady growth. The rule:</p><ol>"
        "<li>at least 3 snapshots, so there is a trend to judge;</li>"
        "<li>more objects at the end than at the start (net growth);</li>"
        "<li>still growing over the last third of the intervals (at least two), and above every earlier peak;</li>"
        "<li>grew in at least 60% of the intervals between snapshots;</li>"
        "<li>a straight line through the counts fits them well (R\u00b2 at least 0.60) and rises.</li></ol>"
        "<p>A type whose <i>total size</i> grows that way while its count does not (one list or dict getting "
        "longer) is a suspect <b>by bytes</b>. The Suspect column's score (0\u2013100) weighs the share of growing "
        "intervals, the fit and the amount; the leak report ranks your own types and the containers that hold "
        "them before the builtins (<tt>list</tt>, <tt>dict</tt>) they explain.</p>");
    if (!session || !row || row->type < 0 || row->type >= session->typeCount()) {
        html += tr("<p><i>Select a type in the growth table to see these numbers for it.</i></p>");
        return html;
    }
    const SuspectVerdict &v = row->verdict;
    const QLocale locale;
    const QString name = session->types().name(row->type).toHtmlEscaped();
    html += tr("<h3>%1 in this session</h3>").arg(name);
    html += tr("<p><b>%1</b>: %2</p>").arg(v.suspect ? tr("suspect") : tr("not a suspect"), v.reason.toHtmlEscaped());
    const std::vector<qint64> series = session->countSeries(row->type);
    QStringList counts;
    const int shown = std::min<int>(int(series.size()), v.intervals + 1);
    for (int i = std::max(0, shown - 12); i < shown; ++i)
        counts << locale.toString(series[size_t(i)]);
    html += QStringLiteral("<ul>");
    html += tr("<li>counts%1: %2</li>")
                .arg(shown > 12 ? tr(" (last 12 of %1)").arg(shown) : QString(), counts.join(QStringLiteral(", ")));
    html += tr("<li>%1 snapshots %2</li>").arg(v.intervals + 1).arg(mark(v.intervals + 1 >= 3));
    html += tr("<li>net growth %1 %2</li>").arg(locale.toString(v.netGrowth)).arg(mark(v.netGrowth > 0));
    if (v.intervals > 0) {
        const double share = double(v.grewIntervals) / double(v.intervals);
        html += tr("<li>grew in %1 of %2 intervals (%3%) %4</li>")
                    .arg(v.grewIntervals)
                    .arg(v.intervals)
                    .arg(std::lround(share * 100.0))
                    .arg(mark(share >= 0.6));
        html += tr("<li>line fit R\u00b2 %1, %2 per snapshot%3 %4</li>")
                    .arg(QString::number(v.r2, 'f', 2), locale.toString(v.slopePerSnapshot, 'f', 1),
                         std::isnan(v.slopePerMinute) ? QString()
                                                      : tr(", %1 per minute").arg(locale.toString(v.slopePerMinute, 'f', 1)))
                    .arg(mark(v.r2 >= 0.6 && v.slopePerSnapshot > 0));
    }
    if (v.byBytes)
        html += tr("<li>suspect by bytes: its total size grows steadily</li>");
    html += tr("<li>score %1</li>").arg(std::lround(v.score));
    html += QStringLiteral("</ul>");
    return html;
}

} // namespace leakscope
