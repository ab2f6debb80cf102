#pragma once

#include "heapgraph/heapgraphrequest.h"

#include <QWidget>

class QCheckBox;
class QLabel;
class QListWidget;
class QSortFilterProxyModel;
class QStackedWidget;
class QTableView;

namespace leakscope {

class RetainersModel;
class SessionController;

// The Retainers tab: the objects (or types) that keep the most memory alive
// in the compared snapshot's heap graph, and for the selected row the chain
// of references from a root that keeps it alive.
class RetainersPanel : public QWidget
{
    Q_OBJECT
public:
    RetainersPanel(SessionController *sessions, QWidget *parent = nullptr);

    RetainersModel *model() const { return m_model; }
    QSortFilterProxyModel *proxy() const { return m_proxy; }
    QTableView *table() const { return m_table; }
    QListWidget *chainList() const { return m_chain; }
    QCheckBox *byTypeBox() const { return m_byType; }
    bool isShowingEmptyState() const;
    QString emptyText() const;
    // The graph it shows (dominators and root paths), from the controller's
    // HeapGraphService.
    HeapGraphRequest *graphs() const { return m_graphs; }
    // Loads (through the service) the graph of the compared snapshot if the
    // tab is visible or `force`.
    void refresh(bool force = false);

signals:
    // Double-click or Enter on a row: an object (by its id) or a type.
    void objectActivated(quint64 objectId);
    void typeActivated(const QString &typeName);

protected:
    void showEvent(QShowEvent *event) override;

private:
    void showGraph();
    void onCurrentRowChanged();
    void setEmpty(const QString &text);

    SessionController *m_sessions;
    HeapGraphRequest *m_graphs;
    RetainersModel *m_model;
    QSortFilterProxyModel *m_proxy;
    QStackedWidget *m_stack;
    QLabel *m_empty;
    QLabel *m_summary;
    QTableView *m_table;
    QListWidget *m_chain;
    QCheckBox *m_byType;
    HeapGraphRequest::Key m_key;
    bool m_hasKey = false;
};

} // namespace leakscope
