#pragma once

#include "core/allocations.h"
#include "core/session.h"

#include <QWidget>

#include <memory>

class QLabel;
class QTreeWidget;
class QTreeWidgetItem;

namespace leakscope {

// The Allocations tab (issue 14): for the selected type or container, the
// call stacks that created its new objects, grouped and counted, with the
// source line; and the lines whose traced memory grew most from A to B. A
// double-click opens the file at that line ($EDITOR when set, else the
// desktop's handler). Without --trace it says how to get allocation sites.
class AllocationsView : public QWidget
{
    Q_OBJECT
public:
    explicit AllocationsView(QWidget *parent = nullptr);

    // subject: a type name, or a container's id in decimal; title: how to
    // name it ("__main__.Item", "_REQUEST_LOG (list)").
    void setSubject(std::shared_ptr<const Session> session, int baseline, int current, bool container,
                    const QString &subject, const QString &title);

    QString messageText() const;
    QTreeWidget *stacksTree() const { return m_stacks; }
    QTreeWidget *linesTree() const { return m_lines; }
    // Opens file:line in the user's editor; false when the file is not there.
    static bool openSource(const QString &file, int line);

private:
    void activated(QTreeWidgetItem *item);

    QLabel *m_message = nullptr;
    QLabel *m_stacksTitle = nullptr;
    QTreeWidget *m_stacks = nullptr;
    QTreeWidget *m_lines = nullptr;
};

} // namespace leakscope
