#include "views/messagebar.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QStyle>
#include <QToolButton>

namespace leakscope {

MessageBar::MessageBar(QWidget *parent) : QFrame(parent)
{
    setObjectName(QStringLiteral("messageBar"));
    setFrameShape(QFrame::StyledPanel);
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(8, 6, 6, 6);
    m_icon = new QLabel(this);
    layout->addWidget(m_icon, 0, Qt::AlignTop);
    m_label = new QLabel(this);
    m_label->setWordWrap(true);
    m_label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_label->setTextFormat(Qt::PlainText);
    layout->addWidget(m_label, 1);
    m_close = new QToolButton(this);
    m_close->setAutoRaise(true);
    m_close->setText(tr("Dismiss"));
    m_close->setToolTip(tr("Hide these messages"));
    layout->addWidget(m_close, 0, Qt::AlignTop);
    connect(m_close, &QToolButton::clicked, this, &MessageBar::dismiss);
    hide();
}

void MessageBar::addMessage(const QString &text, Kind kind)
{
    if (kind != m_kind || isHidden())
        m_messages.clear();
    m_kind = kind;
    m_messages.append(text);
    // Keep the bar short: the newest messages matter most.
    while (m_messages.size() > 6)
        m_messages.removeFirst();
    refresh();
    show();
}

void MessageBar::dismiss()
{
    m_messages.clear();
    hide();
    emit dismissed();
}

QString MessageBar::text() const
{
    return m_label->text();
}

void MessageBar::refresh()
{
    const bool error = m_kind == Kind::Error;
    const int iconSize = style()->pixelMetric(QStyle::PM_SmallIconSize, nullptr, this);
    m_icon->setPixmap(style()->standardIcon(error ? QStyle::SP_MessageBoxWarning : QStyle::SP_MessageBoxInformation)
                          .pixmap(iconSize, iconSize));
    setStyleSheet(error ? QStringLiteral("#messageBar { background: #fdecea; border: 1px solid #e6a19a; border-radius: 4px; }"
                                         " #messageBar QLabel { color: #5f2120; }")
                        : QStringLiteral("#messageBar { background: #e8f1fb; border: 1px solid #9cc0e8; border-radius: 4px; }"
                                         " #messageBar QLabel { color: #0d3c61; }"));
    m_label->setText(m_messages.join(QLatin1Char('\n')));
}

} // namespace leakscope
