#pragma once

#include <QDialog>
#include <QString>

class QListWidget;
class QMainWindow;
class QTableWidget;
class QTextBrowser;

namespace leakscope {

class Session;
struct GrowthRow;

// Help > User Guide: README.md and the docs/ pages, compiled in as the
// ":/docs" resource, shown as Markdown; links between the pages work.
class UserGuideDialog : public QDialog
{
    Q_OBJECT
public:
    explicit UserGuideDialog(QWidget *parent = nullptr);
    ~UserGuideDialog() override;

    // The pages in the order listed (resource paths, ":/docs/README.md" first).
    static QStringList pages();
    QTextBrowser *browser() const { return m_browser; }
    QListWidget *pageList() const { return m_list; }
    void showPage(const QString &resourcePath);

private:
    QListWidget *m_list;
    QTextBrowser *m_browser;
};

// Help > Keyboard Shortcuts: every action of the window's menus that has a
// shortcut, read from the actions themselves.
class ShortcutsDialog : public QDialog
{
    Q_OBJECT
public:
    explicit ShortcutsDialog(QMainWindow *window, QWidget *parent = nullptr);
    ~ShortcutsDialog() override;

    QTableWidget *table() const { return m_table; }

private:
    QTableWidget *m_table;
};

// Help > What is a Suspect?: the steady-growth rule (SuspectDetector), with
// the numbers of one type of the session when one is selected.
class SuspectHelpDialog : public QDialog
{
    Q_OBJECT
public:
    // `row` may be null: the rule alone.
    SuspectHelpDialog(const Session *session, const GrowthRow *row, QWidget *parent = nullptr);
    ~SuspectHelpDialog() override;

    // The explanation as HTML (tests, the dialog's text).
    static QString explanation(const Session *session, const GrowthRow *row);
    QTextBrowser *browser() const { return m_browser; }

private:
    QTextBrowser *m_browser;
};

} // namespace leakscope
