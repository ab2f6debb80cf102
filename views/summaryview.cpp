#include "views/summaryview.h"

#include <QScrollBar>
#include <QUrl>
#include <QUrlQuery>

namespace leakscope {

SummaryView::SummaryView(QWidget *parent)
    : QTextBrowser(parent)
{
    setObjectName(QStringLiteral("summaryView"));
    setOpenLinks(false);
    setOpenExternalLinks(false);
    document()->setDocumentMargin(12);
    // QTextBrowser's rich text: a small subset of CSS.
    // QTextBrowser's rich text: a small subset of CSS.
    document()->setDefaultStyleSheet(QStringLiteral("h2 { font-size: medium; margin-top: 8px; margin-bottom: 1px; }"
                                                    "p { margin-top: 0px; margin-bottom: 2px; }"
                                                    ".entry { margin-left: 18px; }"
                                                    ".dim { color: gray; font-weight: normal; }"
                                                    ".growth { color: #b03a2e; }"));
    connect(this, &QTextBrowser::anchorClicked, this, &SummaryView::onAnchor);
    setMessage(tr("Open a recording or take two snapshots to see the leak report."));
}

void SummaryView::setReport(const LeakReport &report)
{
    m_report = report;
    m_hasReport = true;
    const int scroll = verticalScrollBar() ? verticalScrollBar()->value() : 0;
    setHtml(report.toHtml(true));
    if (verticalScrollBar())
        verticalScrollBar()->setValue(scroll);
}

void SummaryView::setMessage(const QString &text)
{
    m_hasReport = false;
    m_report = LeakReport();
    setHtml(QStringLiteral("<p>%1</p>").arg(text.toHtmlEscaped()));
}

void SummaryView::onAnchor(const QUrl &url)
{
    if (url.scheme() != QLatin1String("leakscope"))
        return;
    const QString action = url.path();
    const QUrlQuery query(url);
    if (action.isEmpty())
        return;
    if (query.hasQueryItem(QStringLiteral("container"))) {
        emit nextStepRequested(action, query.queryItemValue(QStringLiteral("container"), QUrl::FullyDecoded));
        return;
    }
    // No subject: Allocations' growing lines (memory outside Python objects).
    emit nextStepRequested(action, query.queryItemValue(QStringLiteral("type"), QUrl::FullyDecoded));
}

} // namespace leakscope
