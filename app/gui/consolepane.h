#pragma once

#include <QWidget>

class QLabel;
class QPlainTextEdit;

namespace leakscope {

// Output of a program Leakscope started: stdout in the normal colour, stderr
// in red, bounded so a chatty program cannot eat memory.
class ConsolePane : public QWidget
{
    Q_OBJECT
public:
    explicit ConsolePane(QWidget *parent = nullptr);

    void append(const QString &text, bool isError);
    void appendNote(const QString &text); // Leakscope's own lines, in grey italics
    void clear();
    QString plainText() const;

    static constexpr int s_maxBlocks = 5000;

private:
    QPlainTextEdit *m_text;
};

} // namespace leakscope
