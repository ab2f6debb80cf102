#pragma once

#include <QFrame>
#include <QStringList>

class QLabel;
class QToolButton;

namespace leakscope {

// A non-modal bar above the content that collects problems (a file that
// could not be read, an export that failed) until the user dismisses it.
class MessageBar : public QFrame
{
    Q_OBJECT
public:
    enum class Kind { Error, Information };

    explicit MessageBar(QWidget *parent = nullptr);

    // Adds a line; the bar shows itself. Messages of one kind accumulate.
    void addMessage(const QString &text, Kind kind = Kind::Error);
    void dismiss();
    QStringList messages() const { return m_messages; }
    QString text() const;

signals:
    void dismissed();

private:
    void refresh();

    QStringList m_messages;
    Kind m_kind = Kind::Error;
    QLabel *m_icon = nullptr;
    QLabel *m_label = nullptr;
    QToolButton *m_close = nullptr;
};

} // namespace leakscope
