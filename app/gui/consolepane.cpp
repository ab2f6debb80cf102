#include "gui/consolepane.h"

#include <QFontDatabase>
#include <QPlainTextEdit>
#include <QScrollBar>
#include <QTextCharFormat>
#include <QTextCursor>
#include <QVBoxLayout>

namespace leakscope {

ConsolePane::ConsolePane(QWidget *parent) : QWidget(parent), m_text(new QPlainTextEdit(this))
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_text);
    m_text->setReadOnly(true);
    m_text->setMaximumBlockCount(s_maxBlocks);
    m_text->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_text->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_text->setPlaceholderText(tr("The output of a program started with File > Run Python Script… appears here."));
}

void ConsolePane::append(const QString &text, bool isError)
{
    if (text.isEmpty())
        return;
    QScrollBar *bar = m_text->verticalScrollBar();
    const bool atEnd = bar->value() >= bar->maximum() - 4;
    QTextCursor cursor(m_text->document());
    cursor.movePosition(QTextCursor::End);
    QTextCharFormat format;
    if (isError)
        format.setForeground(QColor(0xc0, 0x28, 0x28));
    cursor.insertText(text, format);
    if (atEnd)
        bar->setValue(bar->maximum());
}

void ConsolePane::appendNote(const QString &text)
{
    QTextCursor cursor(m_text->document());
    cursor.movePosition(QTextCursor::End);
    QTextCharFormat format;
    format.setForeground(QColor(0x70, 0x70, 0x70));
    format.setFontItalic(true);
    if (!m_text->document()->isEmpty() && !m_text->toPlainText().endsWith(QLatin1Char('\n')))
        cursor.insertText(QStringLiteral("\n"));
    cursor.insertText(text + QLatin1Char('\n'), format);
    m_text->verticalScrollBar()->setValue(m_text->verticalScrollBar()->maximum());
}

void ConsolePane::clear()
{
    m_text->clear();
}

QString ConsolePane::plainText() const
{
    return m_text->toPlainText();
}

} // namespace leakscope
