#pragma once

#include <QObject>
#include <QStringList>

class QMenu;
class QVBoxLayout;
class QWidget;

namespace leakscope {

// The files opened lately (kept in QSettings under "recentFiles"), shown in
// File > Open Recent and as links on the window's empty state. Choosing one
// emits openRequested.
class RecentFiles : public QObject
{
    Q_OBJECT
public:
    static constexpr int s_maxFiles = 10;
    static constexpr int s_maxLinks = 5; // on the empty state

    explicit RecentFiles(QObject *parent = nullptr);
    ~RecentFiles() override;

    QStringList files() const { return m_files; }
    // The folder of the latest file (where the Open dialog starts), or empty.
    QString lastDirectory() const;
    void add(const QString &path);
    void clear();
    // Reads the list from the settings again (a window opening).
    void reload();
    void save() const;

    // Where the list is shown: the menu is refilled, the links go into the
    // layout (on `page`) whenever the list changes.
    void setMenu(QMenu *menu);
    void setLinks(QVBoxLayout *layout, QWidget *page);

signals:
    void openRequested(const QString &path);

private:
    void update();

    QStringList m_files;
    QMenu *m_menu = nullptr;
    QVBoxLayout *m_links = nullptr;
    QWidget *m_page = nullptr;
};

} // namespace leakscope
