#pragma once

#include "heapgraph/objectdetails.h"

#include <QWidget>

class QLabel;
class QPushButton;
class QTreeWidget;
class QTreeWidgetItem;

namespace leakscope {

// One object at a time: its type, shallow and retained size, its fields
// (attributes, keys, items) with their values and its referrers, from an
// ObjectDetails; buttons for References and Chain to Root on it. Double-click
// a field or referrer to inspect that object instead. The caller finds the
// graph and answers the signals.
class ObjectInspector : public QWidget
{
    Q_OBJECT
public:
    explicit ObjectInspector(QWidget *parent = nullptr);

    // `source` says where the object comes from ("run.lsnap, snapshot 3", or
    // "the live process 4242" for details the agent gave).
    void setDetails(const ObjectDetails &details, const QString &source);
    // No object to show, and why.
    void setError(const QString &text);
    // The answer to chainToRootRequested().
    void setChain(const QString &text);

    quint64 objectId() const { return m_details.id; }
    const ObjectDetails &details() const { return m_details; }
    QString titleText() const;
    QString summaryText() const;
    QString chainText() const;
    QTreeWidget *fieldsView() const { return m_fields; }
    QTreeWidget *referrersView() const { return m_referrers; }
    QPushButton *referencesButton() const { return m_referencesButton; }
    QPushButton *chainButton() const { return m_chainButton; }

signals:
    void objectRequested(quint64 objectId);
    void referencesRequested(quint64 objectId);
    void chainToRootRequested(quint64 objectId);

private:
    void activated(QTreeWidgetItem *item);

    ObjectDetails m_details;
    QLabel *m_title;
    QLabel *m_summary;
    QLabel *m_fieldsHeading;
    QLabel *m_fieldsNote;
    QTreeWidget *m_fields;
    QLabel *m_referrersHeading;
    QTreeWidget *m_referrers;
    QLabel *m_chain;
    QPushButton *m_referencesButton;
    QPushButton *m_chainButton;
};

} // namespace leakscope
