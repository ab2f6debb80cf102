#pragma once

#include "core/leakreport.h"

#include <QTextBrowser>

namespace leakscope {

// The Summary tab: the leak report as a page (LeakReport::toHtml with
// links), one entry per leak. Each entry's next step is a link; following it
// emits nextStepRequested("references" | "trend" | "allocations", type name)
// for the window to open that tab on the type; ("containers", the container's
// object id in decimal) for a growing container; ("allocations", "") for
// memory outside Python objects (the lines whose traced memory grew).
class SummaryView : public QTextBrowser
{
    Q_OBJECT
public:
    explicit SummaryView(QWidget *parent = nullptr);

    void setReport(const LeakReport &report);
    // A line instead of a report: no session, one snapshot, computing.
    void setMessage(const QString &text);
    const LeakReport &report() const { return m_report; }
    bool hasReport() const { return m_hasReport; }

signals:
    void nextStepRequested(const QString &action, const QString &typeName);

private:
    void onAnchor(const QUrl &url);

    LeakReport m_report;
    bool m_hasReport = false;
};

} // namespace leakscope
