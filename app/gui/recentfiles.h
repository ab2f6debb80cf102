#pragma once

#include <QObject>
#include <QStringList>

class QMenu;
class QVBoxLayout;
class QWidget;

namespace leakscope {

// The files opened lately (kept in QSettings under "recentFiles") and the
// newest live-session autosaves (the .lsnap files in the autosave folder,
// also those of a window that did not close normally), shown with their
// folders in File > Open Recent and as links on the window's empty state.
// Choosing one emits openRequested.
class RecentFiles : public QObject
{
    Q_OBJECT
public:
    static constexpr int s_maxFiles = 10;
    static constexpr int s_maxLinks = 5; // on the empty state
    static constexpr int s_maxAutosaves = 5;

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
    // Lists the newest .lsnap files of this folder as autosaves (empty: none).
    void setAutosaveDirectory(const QString &dir);
    // The autosaves listed (newest first), not already among files().
    QStringList autosaves() const;
    // "name — folder", the way an entry is shown.
    static QString entryText(const QString &path);

    // Where the list is shown: the menu is refilled, the links go into the
    // layout (on `page`) whenever the list changes.
    void setMenu(QMenu *menu);
    void setLinks(QVBoxLayout *layout, QWidget *page);

signals:
    void openRequested(const QString &path);

private:
    void update();

    QStringList m_files;
    QString m_autosaveDir;
    QMenu *m_menu = nullptr;
    QVBoxLayout *m_links = nullptr;
    QWidget *m_page = nullptr;
};

} // namespace leakscope
