#include "gui/referencespanel.h"

#include "core/jobrunner.h"
#include "core/textutil.h"
#include "gui/livecontroller.h"
#include "gui/sessioncontroller.h"
#include "views/referencegraphscene.h"

#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QKeySequence>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QLocale>
#include <QMenu>
#include <QProgressBar>
#include <QRegularExpression>
#include <QSaveFile>
#include <QKeyEvent>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>

namespace leakscope {

ReferencesPanel::ReferencesPanel(SessionController *sessions, QWidget *parent)
    : QWidget(parent),
      m_sessions(sessions),
      m_file(new FileReferenceSource(sessions->graphs(), this)),
      m_liveSource(new LiveReferenceSource(this))
{
    setObjectName(QStringLiteral("ReferencesPanel"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 4, 0, 0);
    layout->setSpacing(2);

    // The controls on one row, the info line on its own full-width row
    // below them, wrapped rather than clipped.
    auto *bar = new QHBoxLayout;
    bar->setContentsMargins(4, 0, 4, 0);
    m_progress = new QProgressBar(this);
    m_progress->setMaximumWidth(140);
    m_progress->setTextVisible(false);
    m_progress->hide();
    bar->addWidget(m_progress);
    m_cancel = new QToolButton(this);
    m_cancel->setObjectName(QStringLiteral("cancelReferences"));
    m_cancel->setText(tr("Cancel"));
    m_cancel->setToolTip(tr("Stop loading the heap graph"));
    m_cancel->hide();
    bar->addWidget(m_cancel);
    bar->addStretch(1);

    bar->addWidget(new QLabel(tr("Depth:"), this));
    m_depth = new QSpinBox(this);
    m_depth->setRange(1, 50);
    m_depth->setValue(4);
    m_depth->setToolTip(tr("Levels of referrers above the sample instances (objgraph's max_depth)"));
    bar->addWidget(m_depth);
    bar->addWidget(new QLabel(tr("Max nodes:"), this));
    m_maxNodes = new QSpinBox(this);
    m_maxNodes->setRange(10, GraphLayout::s_maxNodes);
    m_maxNodes->setSingleStep(50);
    m_maxNodes->setValue(200);
    m_maxNodes->setToolTip(tr("Nodes drawn at most; more referrers collapse into \"+N more\" nodes"));
    bar->addWidget(m_maxNodes);
    m_skipKeptAlive = new QCheckBox(tr("Skip cycles"), this);
    m_skipKeptAlive->setChecked(true);
    m_skipKeptAlive->setToolTip(tr("Leave out referrers that only close a cycle back to an object: above a module's "
                                   "namespace only the module (its functions point back through __globals__), and "
                                   "in files whatever the object keeps alive itself (its own bound methods...). "
                                   "They cannot be what keeps it alive."));
    bar->addWidget(m_skipKeptAlive);

    auto *findButton = new QToolButton(this);
    findButton->setText(tr("Find"));
    findButton->setToolTip(tr("Find a node by type or label (Ctrl+F)"));
    bar->addWidget(findButton);
    auto *reload = new QToolButton(this);
    reload->setObjectName(QStringLiteral("reloadReferences"));
    reload->setText(tr("Reload"));
    reload->setToolTip(tr("Draw the graph again from the start: ask the live process again, or reload a graph whose "
                          "loading was cancelled"));
    bar->addWidget(reload);
    auto *fit = new QToolButton(this);
    fit->setText(tr("Fit"));
    fit->setToolTip(tr("Fit the graph to the view (F)"));
    bar->addWidget(fit);
    auto *exportButton = new QToolButton(this);
    exportButton->setText(tr("Export"));
    exportButton->setToolTip(tr("Save the graph on screen as DOT, SVG or PNG"));
    exportButton->setPopupMode(QToolButton::InstantPopup);
    auto *exportMenu = new QMenu(exportButton);
    exportMenu->addAction(tr("DOT\u2026"), this, [this] { exportDialog(ReferenceGraphView::ExportFormat::Dot); });
    exportMenu->addAction(tr("SVG\u2026"), this, [this] { exportDialog(ReferenceGraphView::ExportFormat::Svg); });
    exportMenu->addAction(tr("PNG\u2026"), this, [this] { exportDialog(ReferenceGraphView::ExportFormat::Png); });
    exportButton->setMenu(exportMenu);
    bar->addWidget(exportButton);
    layout->addLayout(bar);

    m_info = new QLabel(this);
    m_info->setObjectName(QStringLiteral("referencesInfo"));
    m_info->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_info->setWordWrap(true);
    m_info->setContentsMargins(6, 0, 6, 0);
    m_info->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Minimum);
    layout->addWidget(m_info);

    // Find in graph.
    m_findBar = new QWidget(this);
    auto *findLayout = new QHBoxLayout(m_findBar);
    findLayout->setContentsMargins(4, 0, 4, 0);
    findLayout->addWidget(new QLabel(tr("Find:"), m_findBar));
    m_find = new QLineEdit(m_findBar);
    m_find->setObjectName(QStringLiteral("findInGraph"));
    m_find->setPlaceholderText(tr("type or label; Enter for the next match"));
    m_find->setClearButtonEnabled(true);
    findLayout->addWidget(m_find, 1);
    m_findStatus = new QLabel(m_findBar);
    findLayout->addWidget(m_findStatus);
    m_closeFind = new QToolButton(m_findBar);
    m_closeFind->setText(tr("Close"));
    findLayout->addWidget(m_closeFind);
    m_findBar->hide();
    layout->addWidget(m_findBar);

    m_view = new ReferenceGraphView(this);
    layout->addWidget(m_view, 1);
    // Notes about one node ("No more referrers of ...") sit on the graph, at
    // its top edge, not in the window's message bar.
    m_note = new QLabel(m_view);
    m_note->setObjectName(QStringLiteral("referencesNote"));
    m_note->setWordWrap(true);
    m_note->setAutoFillBackground(true);
    m_note->setFrameShape(QFrame::StyledPanel);
    m_note->setMargin(6);
    m_note->setBackgroundRole(QPalette::ToolTipBase);
    m_note->setForegroundRole(QPalette::ToolTipText);
    m_note->hide();

    setEmpty(tr("Select a type in the table to see what keeps its instances alive."));

    connect(m_skipKeptAlive, &QCheckBox::toggled, this, [this] {
        if (m_source == Source::File)
            m_file->rebuild(query());
        else if (m_source == Source::Live)
            refresh();
    });
    connect(reload, &QToolButton::clicked, this, &ReferencesPanel::refresh);
    connect(fit, &QToolButton::clicked, m_view, &ReferenceGraphView::fitToView);
    connect(findButton, &QToolButton::clicked, this, &ReferencesPanel::openFind);
    // Ctrl+F and F3 while the graph or the find box has the focus: taken
    // before the window's own Ctrl+F (the table's filter) sees them.
    m_view->installEventFilter(this);
    m_view->viewport()->installEventFilter(this);
    m_find->installEventFilter(this);
    connect(m_find, &QLineEdit::returnPressed, this, [this] { findNext(); });
    connect(m_find, &QLineEdit::textChanged, this, [this] {
        m_findCurrent = -1;
        findNext();
    });
    connect(m_closeFind, &QToolButton::clicked, this, [this] {
        m_findBar->hide();
        m_view->focusNode(-1);
        m_view->setFocus();
    });
    connect(m_depth, &QSpinBox::valueChanged, this, [this] { refresh(); });
    connect(m_maxNodes, &QSpinBox::valueChanged, this, [this] { refresh(); });
    connect(m_view, &ReferenceGraphView::nodeActivated, this, &ReferencesPanel::expandNode);
    connect(m_view, &ReferenceGraphView::chainToRootRequested, this, &ReferencesPanel::chainToRoot);
    connect(m_view, &ReferenceGraphView::hideNodeRequested, this, &ReferencesPanel::hideNode);
    connect(m_view, &ReferenceGraphView::copyReprRequested, this, &ReferencesPanel::copyRepr);
    connect(m_view, &ReferenceGraphView::showInstancesRequested, this, &ReferencesPanel::showInstances);
    connect(m_view, &ReferenceGraphView::inspectRequested, this, &ReferencesPanel::inspectNode);
    connect(m_view, &ReferenceGraphView::exportRequested, this, &ReferencesPanel::exportDialog);
    connect(m_view, &ReferenceGraphView::layoutFailed, this, &ReferencesPanel::message);
    connect(m_view, &ReferenceGraphView::layoutFinished, this, [this] {
        placeNote();
        if (m_findBar->isVisible() && !m_find->text().isEmpty()) {
            m_findCurrent = -1;
            findNext();
        }
    });

    connectSource(m_file);
    connectSource(m_liveSource);

    // A live feed publishes a comparison per snapshot: keep what the user
    // expanded unless the compared snapshot's graph really changed.
    connect(m_sessions, &SessionController::comparisonChanged, this, [this] {
        if (m_source == Source::Live && wantsLive())
            return;
        FileReferenceSource::Key key, baseline;
        bool hasBaseline = false;
        if (m_source == Source::File && currentKey(&key, &baseline, &hasBaseline)
            && m_file->isShowing(key, hasBaseline, baseline)) {
            updateInfo(); // the census count may have changed
            return;
        }
        refresh();
    });
    JobRunner *loader = m_file->graphs()->runner();
    connect(loader, &JobRunner::started, this, [this] {
        m_progress->setRange(0, 0);
        m_progress->show();
        m_cancel->show();
    });
    connect(loader, &JobRunner::progress, this, [this](qint64 done, qint64 total, const QString &text) {
        m_progress->setRange(0, int(std::min<qint64>(total, 1 << 30)));
        m_progress->setValue(int(std::min<qint64>(done, 1 << 30)));
        m_progress->setToolTip(text);
    });
    for (auto signal : {&JobRunner::finished, &JobRunner::cancelled})
        connect(loader, signal, this, [this] {
            m_progress->hide();
            m_cancel->hide();
        });
    connect(m_cancel, &QToolButton::clicked, m_file, &FileReferenceSource::cancel);
}

ReferencesPanel::~ReferencesPanel() = default;

void ReferencesPanel::connectSource(ReferenceSource *source)
{
    // Only the active source speaks: a reply for a source the panel left
    // behind draws nothing.
    connect(source, &ReferenceSource::changed, this, [this, source](const QString &anchor) {
        if (source == activeSource())
            showLayout(anchor);
    });
    connect(source, &ReferenceSource::empty, this, [this, source](const QString &text) {
        if (source == activeSource())
            setEmpty(text);
    });
    connect(source, &ReferenceSource::instancesListed, this, [this, source](const QString &title, const QStringList &items) {
        if (source == activeSource())
            showInstanceDialog(title, items);
    });
    connect(source, &ReferenceSource::message, this, [this, source](const QString &text) {
        if (source == activeSource())
            emit message(text);
    });
    connect(source, &ReferenceSource::notice, this, [this, source](const QString &text, const QString &anchor) {
        if (source == activeSource())
            showNote(text, anchor);
    });
}

ReferenceSource *ReferencesPanel::activeSource() const
{
    switch (m_source) {
    case Source::File:
        return m_file;
    case Source::Live:
        return m_liveSource;
    case Source::None:
        break;
    }
    return nullptr;
}

QString ReferencesPanel::noGraphText()
{
    return tr("This snapshot has no heap graph. Record with `leakscope-cli record --graph` or "
              "snapshot(..., graph=True), or watch the process live.");
}

void ReferencesPanel::setTypeName(const QString &typeName)
{
    if (typeName == m_typeName && !m_objectId)
        return;
    m_typeName = typeName;
    m_objectId = 0;
    refresh();
}

void ReferencesPanel::showObject(quint64 objectId)
{
    m_objectId = objectId;
    refresh();
}

void ReferencesPanel::setLiveController(LiveController *live)
{
    if (m_live)
        disconnect(m_live, nullptr, this, nullptr);
    m_live = live;
    m_liveSource->setLiveController(live);
    if (!live)
        return;
    connect(live, &LiveController::stateChanged, this, [this] {
        if ((m_source == Source::Live) != wantsLive())
            refresh();
    });
    refresh();
}

bool ReferencesPanel::wantsLive() const
{
    // A compared snapshot with a heap graph (a live "Snapshot with Heap
    // Graph", say) answers from its graph: the same moment as the table's
    // counts, with retained sizes. Otherwise a connected process answers.
    // That holds for one object too (a container, an inspected object): the
    // agent finds it by id while it lives.
    if (!m_liveSource->isConnected())
        return false;
    FileReferenceSource::Key key, baseline;
    bool hasBaseline = false;
    return !currentKey(&key, &baseline, &hasBaseline);
}

ReferenceSource::Query ReferencesPanel::query() const
{
    ReferenceSource::Query q;
    q.typeName = m_typeName;
    q.objectId = m_objectId;
    q.depth = m_depth->value();
    q.maxNodes = m_maxNodes->value();
    q.skipCycles = m_skipKeptAlive->isChecked();
    return q;
}

bool ReferencesPanel::currentKey(FileReferenceSource::Key *key, FileReferenceSource::Key *baseline,
                                 bool *hasBaseline) const
{
    *hasBaseline = false;
    const auto session = m_sessions->session();
    const auto comparison = m_sessions->comparison();
    if (!session || !comparison || comparison->current < 0 || comparison->current >= session->snapshotCount())
        return false;
    const SnapshotInfo &info = session->snapshot(comparison->current).info;
    *key = FileReferenceSource::Key{info.sourceFile, info.id};
    if (comparison->baseline >= 0 && comparison->baseline < session->snapshotCount()
        && comparison->baseline != comparison->current) {
        const SnapshotInfo &b = session->snapshot(comparison->baseline).info;
        *hasBaseline = b.hasGraph && !b.sourceFile.isEmpty();
        *baseline = FileReferenceSource::Key{b.sourceFile, b.id};
    }
    return info.hasGraph && !info.sourceFile.isEmpty();
}

qint64 ReferencesPanel::censusCount() const
{
    const auto session = m_sessions->session();
    const auto comparison = m_sessions->comparison();
    if (!session || !comparison || m_typeName.isEmpty())
        return -1;
    const int type = session->types().find(m_typeName);
    if (type < 0)
        return -1;
    for (const GrowthRow &row : comparison->rows)
        if (row.type == type)
            return row.count;
    return -1;
}

void ReferencesPanel::setEmpty(const QString &text)
{
    m_view->clear();
    m_view->setEmptyText(text);
    m_note->hide();
    updateInfo();
    emit graphUpdated();
}

void ReferencesPanel::refresh()
{
    m_note->hide();
    // (A file load under way goes on: the next request for the same graphs
    // takes it over, one for others supersedes it.)
    m_liveSource->cancel();
    if (m_typeName.isEmpty() && !m_objectId) {
        m_source = Source::None;
        setEmpty(tr("Select a type in the table to see what keeps its instances alive."));
        return;
    }
    if (wantsLive()) {
        m_source = Source::Live;
        m_liveSource->load(query());
        return;
    }
    FileReferenceSource::Key key, baseline;
    bool hasBaseline = false;
    if (!currentKey(&key, &baseline, &hasBaseline)) {
        m_source = Source::None;
        m_file->graphs()->clear(); // cancels, and lets go of the graphs
        setEmpty(noGraphText());
        return;
    }
    m_source = Source::File;
    m_file->setKeys(key, hasBaseline, baseline);
    m_file->load(query());
}

void ReferencesPanel::showLayout(const QString &anchorId)
{
    ReferenceSource *source = activeSource();
    if (!source)
        return;
    m_note->hide();
    LayoutInput input = source->layout().input;
    if (input.nodes.empty()) {
        setEmpty(tr("Every node is hidden."));
        return;
    }
    // The tab is usually wide and short: a chain of referrers reads from the
    // root on the left to the objects on the right and stays legible; a tall
    // tab gets objgraph's top-to-bottom drawing.
    if (m_view->width() > 2 * m_view->height()) {
        input.rankDir = LayoutInput::RankDir::LeftToRight;
        // Edge labels sit between the ranks: leave them room side by side.
        input.rankSeparation = std::max(input.rankSeparation, 70.0);
    }
    m_view->setGraph(std::move(input), anchorId);
    updateInfo();
    emit graphUpdated();
}

QString ReferencesPanel::infoText() const
{
    return m_info->text();
}

QString ReferencesPanel::noteText() const
{
    return m_note->isVisibleTo(this) ? m_note->text() : QString();
}

void ReferencesPanel::updateInfo()
{
    ReferenceSource *source = activeSource();
    QStringList parts = source ? source->infoParts() : QStringList();
    // The census counts every object of the type at the snapshot; the heap
    // graph is dumped a moment later and leaves out the agent's own objects.
    const qint64 inGraph = source ? source->instanceCount() : -1;
    const qint64 census = censusCount();
    if (inGraph >= 0 && census >= 0 && inGraph != census)
        parts << tr("the census counted %1: the heap graph is taken a moment after the census and leaves out "
                    "the agent's own objects")
                     .arg(QLocale().toString(census));
    m_info->setText(parts.join(QStringLiteral(" \u00b7 ")));
    m_info->setVisible(!parts.isEmpty());
}

void ReferencesPanel::showNote(const QString &text, const QString &anchorId)
{
    m_note->setText(text);
    m_noteAnchor = anchorId;
    m_note->show();
    m_note->raise();
    placeNote();
    emit notice(text);
}

void ReferencesPanel::placeNote()
{
    if (!m_note->isVisible())
        return;
    const int width = std::min(420, std::max(160, m_view->width() - 24));
    m_note->setFixedWidth(width);
    m_note->adjustSize();
    // Under the node it concerns when that node is on screen, else at the
    // top of the graph.
    QPoint at(12, 12);
    const int node = m_view->graphScene()->indexOf(m_noteAnchor);
    if (node >= 0) {
        const QRectF box = m_view->mapFromScene(m_view->graphScene()->nodeItem(node)->sceneBoundingRect()).boundingRect();
        at = QPoint(int(box.left()), int(box.bottom()) + 6);
    }
    at.setX(std::clamp(at.x(), 4, std::max(4, m_view->width() - m_note->width() - 4)));
    at.setY(std::clamp(at.y(), 4, std::max(4, m_view->height() - m_note->height() - 4)));
    m_note->move(at);
}

void ReferencesPanel::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    placeNote();
}

// ------------------------------------------------------------------ find

bool ReferencesPanel::eventFilter(QObject *watched, QEvent *event)
{
    if (event->type() == QEvent::ShortcutOverride || event->type() == QEvent::KeyPress) {
        auto *key = static_cast<QKeyEvent *>(event);
        const bool find = key->matches(QKeySequence::Find);
        const bool next = key->matches(QKeySequence::FindNext);
        const bool close = watched == m_find && key->key() == Qt::Key_Escape;
        if (find || next || close) {
            event->accept();
            if (event->type() == QEvent::KeyPress) {
                if (find)
                    openFind();
                else if (next)
                    findNext();
                else
                    m_closeFind->click();
            }
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

void ReferencesPanel::openFind()
{
    m_findBar->show();
    m_find->setFocus();
    m_find->selectAll();
}

std::vector<int> ReferencesPanel::findMatches(const QString &text) const
{
    std::vector<int> out;
    const QString needle = text.trimmed();
    if (needle.isEmpty() || m_view->isLayoutRunning())
        return out;
    const LayoutInput &g = m_view->graph();
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        const LayoutNode &n = g.nodes[i];
        if (n.title.contains(needle, Qt::CaseInsensitive) || n.subtitle.contains(needle, Qt::CaseInsensitive))
            out.push_back(int(i));
    }
    return out;
}

int ReferencesPanel::findNext()
{
    const std::vector<int> matches = findMatches(m_find->text());
    if (matches.empty()) {
        m_findCurrent = -1;
        m_view->focusNode(-1);
        m_findStatus->setText(m_find->text().trimmed().isEmpty() ? QString() : tr("no match"));
        return -1;
    }
    auto next = std::upper_bound(matches.begin(), matches.end(), m_findCurrent);
    if (next == matches.end())
        next = matches.begin();
    m_findCurrent = *next;
    m_view->focusNode(m_findCurrent);
    m_findStatus->setText(tr("%1 of %2").arg(int(next - matches.begin()) + 1).arg(matches.size()));
    return m_findCurrent;
}

// ------------------------------------------------------------------ actions

int ReferencesPanel::sourceIndex(int viewNode) const
{
    // While a new layout runs, the graph on screen may stand for an older
    // graph whose node indices mean something else now.
    ReferenceSource *source = activeSource();
    if (!source || m_view->isLayoutRunning())
        return -1;
    const LayoutInput &g = m_view->graph();
    if (viewNode < 0 || size_t(viewNode) >= g.nodes.size())
        return -1;
    return source->indexOf(g.nodes[size_t(viewNode)].id);
}

void ReferencesPanel::expandNode(int viewNode)
{
    const int i = sourceIndex(viewNode);
    if (i >= 0)
        activeSource()->expand(i, m_view->graph().nodes[size_t(viewNode)].id);
}

void ReferencesPanel::chainToRoot(int viewNode)
{
    const int i = sourceIndex(viewNode);
    if (i >= 0)
        activeSource()->chainToRoot(i, m_view->graph().nodes[size_t(viewNode)].id);
}

void ReferencesPanel::hideNode(int viewNode)
{
    const int i = sourceIndex(viewNode);
    if (i >= 0)
        activeSource()->hide(i);
}

void ReferencesPanel::copyRepr(int viewNode)
{
    const int i = sourceIndex(viewNode);
    if (i >= 0)
        QApplication::clipboard()->setText(activeSource()->repr(i));
}

void ReferencesPanel::showInstances(int viewNode)
{
    const int i = sourceIndex(viewNode);
    if (i >= 0)
        activeSource()->listInstances(i);
}

void ReferencesPanel::inspectNode(int viewNode)
{
    const int i = sourceIndex(viewNode);
    const quint64 id = i >= 0 ? activeSource()->objectId(i) : 0;
    if (id)
        emit inspectRequested(id);
}

void ReferencesPanel::showInstanceDialog(const QString &title, const QStringList &items)
{
    m_lastInstances = items;
    auto *dialog = new QDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setObjectName(QStringLiteral("instancesDialog"));
    dialog->setWindowTitle(title);
    auto *layout = new QVBoxLayout(dialog);
    auto *heading = new QLabel(title, dialog);
    layout->addWidget(heading);
    auto *list = new QListWidget(dialog);
    list->addItems(items);
    list->setSelectionMode(QAbstractItemView::ExtendedSelection);
    list->setToolTip(tr("Double-click an instance to inspect it"));
    // Rows read "0x7f…  label": the id opens the inspector.
    connect(list, &QListWidget::itemActivated, this, [this](QListWidgetItem *item) {
        bool ok = false;
        const quint64 id = item->text().section(QLatin1Char(' '), 0, 0).toULongLong(&ok, 0);
        if (ok && id)
            emit inspectRequested(id);
    });
    layout->addWidget(list);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, dialog);
    connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::close);
    layout->addWidget(buttons);
    dialog->resize(520, 420);
    dialog->show();
}

// ------------------------------------------------------------------ export

Status ReferencesPanel::exportTo(const QString &path, ReferenceGraphView::ExportFormat format)
{
    if (m_view->graph().nodes.empty())
        return Status::failure(tr("%1: there is no graph to export").arg(QDir::toNativeSeparators(path)));
    QByteArray bytes;
    switch (format) {
    case ReferenceGraphView::ExportFormat::Dot:
        bytes = m_view->toDot();
        break;
    case ReferenceGraphView::ExportFormat::Svg: {
        Expected<QByteArray> svg = m_view->toSvg();
        if (!svg)
            return Status::failure(tr("%1: %2").arg(QDir::toNativeSeparators(path), svg.error()));
        bytes = svg.take();
        break;
    }
    case ReferenceGraphView::ExportFormat::Png: {
        const QImage image = m_view->toImage();
        QSaveFile file(path);
        if (image.isNull() || !file.open(QIODevice::WriteOnly) || !image.save(&file, "PNG") || !file.commit())
            return Status::failure(tr("Could not write %1: %2").arg(QDir::toNativeSeparators(path), file.errorString()));
        return {};
    }
    }
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit())
        return Status::failure(tr("Could not write %1: %2").arg(QDir::toNativeSeparators(path), file.errorString()));
    return {};
}

void ReferencesPanel::exportDialog(ReferenceGraphView::ExportFormat format)
{
    const char *suffix = format == ReferenceGraphView::ExportFormat::Dot   ? "dot"
                         : format == ReferenceGraphView::ExportFormat::Svg ? "svg"
                                                                           : "png";
    const QString ext = QString::fromLatin1(suffix);
    QString name = m_typeName;
    name.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9_.-]")), QStringLiteral("_"));
    QString path = QFileDialog::getSaveFileName(this, tr("Export Reference Graph"),
                                                QStringLiteral("backrefs-%1.%2").arg(name, ext),
                                                tr("%1 files (*.%2)").arg(ext.toUpper(), ext));
    if (path.isEmpty())
        return;
    if (QFileInfo(path).suffix().isEmpty())
        path += QLatin1Char('.') + ext;
    const Status written = exportTo(path, format);
    if (!written)
        emit message(written.error());
}

} // namespace leakscope
