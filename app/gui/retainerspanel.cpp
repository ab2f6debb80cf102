#include "gui/retainerspanel.h"

#include "core/textutil.h"
#include "graphlayout/referencelayout.h"
#include "gui/referencespanel.h"
#include "views/retainersmodel.h"
#include "gui/sessioncontroller.h"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QLocale>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableView>
#include <QVBoxLayout>

namespace leakscope {

RetainersPanel::RetainersPanel(SessionController *sessions, QWidget *parent)
    : QWidget(parent), m_sessions(sessions), m_graphs(new HeapGraphRequest(sessions->graphs(), this)), m_model(new RetainersModel(this)),
      m_proxy(new QSortFilterProxyModel(this))
{
    setObjectName(QStringLiteral("RetainersPanel"));
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(RetainersModel::SortRole);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 4, 0, 0);
    m_stack = new QStackedWidget(this);
    m_empty = new QLabel(m_stack);
    m_empty->setAlignment(Qt::AlignCenter);
    m_empty->setWordWrap(true);
    m_empty->setForegroundRole(QPalette::PlaceholderText);
    m_stack->addWidget(m_empty);

    auto *page = new QWidget(m_stack);
    auto *pageLayout = new QVBoxLayout(page);
    pageLayout->setContentsMargins(4, 0, 4, 0);
    auto *bar = new QHBoxLayout;
    m_summary = new QLabel(page);
    bar->addWidget(m_summary, 1);
    m_byType = new QCheckBox(tr("By type"), page);
    m_byType->setToolTip(tr("Retained bytes per type: what would be freed if every instance of the type went away"));
    bar->addWidget(m_byType);
    pageLayout->addLayout(bar);

    auto *split = new QSplitter(Qt::Vertical, page);
    m_table = new QTableView(split);
    m_table->setObjectName(QStringLiteral("retainersView"));
    m_table->setModel(m_proxy);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(RetainersModel::RetainedColumn, Qt::DescendingOrder);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->setShowGrid(false);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->horizontalHeader()->setSectionResizeMode(RetainersModel::ObjectColumn, QHeaderView::Stretch);
    m_table->setColumnWidth(RetainersModel::TypeColumn, 200);
    m_table->setColumnWidth(RetainersModel::DominatorColumn, 220);
    m_chain = new QListWidget(split);
    m_chain->setObjectName(QStringLiteral("retainerChain"));
    m_chain->setToolTip(tr("The shortest chain of references from a root (a module, class or thread frame) to the "
                           "selected object"));
    split->addWidget(m_table);
    split->addWidget(m_chain);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);
    pageLayout->addWidget(split, 1);
    m_stack->addWidget(page);
    layout->addWidget(m_stack);

    connect(m_byType, &QCheckBox::toggled, this, [this](bool on) {
        m_model->setByType(on);
        m_chain->clear();
    });
    connect(m_table, &QTableView::activated, this, [this](const QModelIndex &index) {
        const HeapGraphPtr graph = m_model->graph();
        if (!graph || !index.isValid())
            return;
        const qint64 key = index.data(RetainersModel::NodeRole).toLongLong();
        if (m_model->byType()) {
            if (key >= 0 && key < graph->typeCount())
                emit typeActivated(graph->typeName(qint32(key)));
        } else if (key >= 0 && key < qint64(graph->nodeCount())) {
            emit objectActivated(graph->id(quint32(key)));
        }
    });
    m_table->setToolTip(tr("Double-click a row to see who refers to it in the References tab"));
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &RetainersPanel::onCurrentRowChanged);
    connect(m_sessions, &SessionController::comparisonChanged, this, [this] { refresh(); });
    connect(m_graphs, &HeapGraphRequest::ready, this, &RetainersPanel::showGraph);
    connect(m_graphs, &HeapGraphRequest::failed, this, [this](const QString &error) {
        if (!m_model->graph())
            setEmpty(tr("Could not load the heap graph: %1").arg(error));
    });
    setEmpty(ReferencesPanel::noGraphText());
}

bool RetainersPanel::isShowingEmptyState() const
{
    return m_stack->currentWidget() == m_empty;
}

QString RetainersPanel::emptyText() const
{
    return m_empty->text();
}

void RetainersPanel::setEmpty(const QString &text)
{
    m_empty->setText(text);
    m_stack->setCurrentWidget(m_empty);
}

void RetainersPanel::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    refresh();
}

void RetainersPanel::refresh(bool force)
{
    const auto session = m_sessions->session();
    const auto comparison = m_sessions->comparison();
    m_hasKey = false;
    if (!session || !comparison || comparison->current < 0 || comparison->current >= session->snapshotCount()) {
        m_model->setGraph(nullptr, nullptr);
        m_graphs->clear();
        setEmpty(ReferencesPanel::noGraphText());
        return;
    }
    const SnapshotInfo &info = session->snapshot(comparison->current).info;
    if (!info.hasGraph || info.sourceFile.isEmpty()) {
        m_model->setGraph(nullptr, nullptr);
        m_graphs->clear();
        setEmpty(ReferencesPanel::noGraphText());
        return;
    }
    m_key = HeapGraphRequest::Key{info.sourceFile, info.id};
    m_hasKey = true;
    // Dominators cost a pass over the whole heap: only when someone looks.
    if (!force && !isVisible())
        return;
    if (m_graphs->request({{m_key, HeapGraphService::Dominators | HeapGraphService::RootPaths}}))
        showGraph();
    else
        setEmpty(tr("Loading the heap graph of snapshot %1 and computing retained sizes\u2026").arg(info.id));
}

void RetainersPanel::showGraph()
{
    if (!m_hasKey)
        return;
    const AnalysedGraphPtr e = m_graphs->result(m_key);
    if (!e || !e->dominators)
        return;
    if (m_model->graph() == e->graph && m_stack->currentWidget() != m_empty)
        return;
    m_model->setGraph(e->graph, e->dominators);
    m_chain->clear();
    m_summary->setText(tr("%1 objects, %2 in the heap graph of snapshot %3")
                           .arg(QLocale().toString(e->graph->nodeCount()),
                                TextUtil::bytes(qint64(e->dominators->totalSize())))
                           .arg(m_key.snapshotId));
    m_stack->setCurrentIndex(1);
}

void RetainersPanel::onCurrentRowChanged()
{
    m_chain->clear();
    const QModelIndex current = m_table->currentIndex();
    const AnalysedGraphPtr e = m_hasKey ? m_graphs->result(m_key) : nullptr;
    if (!current.isValid() || !e || !e->paths || e->graph != m_model->graph())
        return;
    const HeapGraph &g = *e->graph;
    const qint64 key = current.data(RetainersModel::NodeRole).toLongLong();
    std::vector<quint32> sources;
    if (m_model->byType())
        sources = g.nodesOfType(qint32(key));
    else
        sources.push_back(quint32(key));
    const Expected<ReferenceChain> chain = e->paths->chain(g, sources);
    if (!chain) {
        m_chain->addItem(chain.error());
        return;
    }
    if (chain.value().end == ReferenceChain::End::Unreferenced)
        m_chain->addItem(tr("No root leads here; the chain starts at an object nothing refers to:"));
    for (const ReferenceChain::Step &step : chain.value().steps) {
        const QString type = g.typeName(g.type(step.node));
        QString label = g.label(step.node);
        if (label.isEmpty() || label == type)
            label = QStringLiteral("0x") + QString::number(g.id(step.node), 16);
        const QString edge = step.edge == HeapGraph::NoEdge ? QString() : g.edgeLabel(step.edge);
        QString text = edge.isEmpty() || step.edge == HeapGraph::NoEdge
            ? QStringLiteral("%1  (%2)").arg(label, type)
            : QStringLiteral("\u2192 %1   %2  (%3)").arg(edge, label, type);
        if (step.edge != HeapGraph::NoEdge && edge.isEmpty())
            text = QStringLiteral("\u2192 %1  (%2)").arg(label, type);
        m_chain->addItem(text);
    }
}

} // namespace leakscope
