#include "gui/recentfiles.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QLabel>
#include <QMenu>
#include <QPushButton>
#include <QSettings>
#include <QVBoxLayout>

#include <algorithm>

namespace leakscope {

namespace {
const QString s_key = QStringLiteral("recentFiles");
} // namespace

RecentFiles::RecentFiles(QObject *parent) : QObject(parent)
{
    reload();
}

RecentFiles::~RecentFiles() = default;

void RecentFiles::reload()
{
    m_files = QSettings().value(s_key).toStringList();
    update();
}

void RecentFiles::save() const
{
    QSettings().setValue(s_key, m_files);
}

void RecentFiles::setAutosaveDirectory(const QString &dir)
{
    m_autosaveDir = dir;
    update();
}

QStringList RecentFiles::autosaves() const
{
    QStringList found;
    if (m_autosaveDir.isEmpty())
        return found;
    // Newest first; a folder of thousands is listed once, without reading the files.
    const QFileInfoList infos = QDir(m_autosaveDir).entryInfoList({QStringLiteral("*.lsnap")}, QDir::Files, QDir::Time);
    for (const QFileInfo &info : infos) {
        if (found.size() >= s_maxAutosaves)
            break;
        const QString path = info.absoluteFilePath();
        if (!m_files.contains(path))
            found << path;
    }
    return found;
}

QString RecentFiles::entryText(const QString &path)
{
    const QFileInfo info(path);
    QString folder = QDir::toNativeSeparators(info.absolutePath());
    const QString home = QDir::toNativeSeparators(QDir::homePath());
    if (!home.isEmpty() && home != QLatin1String("/") && folder.startsWith(home))
        folder = QLatin1Char('~') + folder.mid(home.size());
    return info.fileName() + QStringLiteral(" \u2014 ") + folder;
}

QString RecentFiles::lastDirectory() const
{
    return m_files.isEmpty() ? QString() : QFileInfo(m_files.front()).absolutePath();
}

void RecentFiles::add(const QString &path)
{
    m_files.removeAll(path);
    m_files.prepend(path);
    while (m_files.size() > s_maxFiles)
        m_files.removeLast();
    save();
    update();
}

void RecentFiles::clear()
{
    m_files.clear();
    save();
    update();
}

void RecentFiles::setMenu(QMenu *menu)
{
    m_menu = menu;
    // New autosaves appear without a restart.
    connect(menu, &QMenu::aboutToShow, this, &RecentFiles::update);
    update();
}

void RecentFiles::setLinks(QVBoxLayout *layout, QWidget *page)
{
    m_links = layout;
    m_page = page;
    update();
}

void RecentFiles::update()
{
    const QStringList autosaved = autosaves();
    if (m_menu) {
        m_menu->clear();
        auto addEntry = [this](const QString &path) {
            // "&" in a file name is not a mnemonic.
            QString text = entryText(path);
            text.replace(QLatin1Char('&'), QStringLiteral("&&"));
            QAction *a = m_menu->addAction(text, this, [this, path] { emit openRequested(path); });
            a->setStatusTip(QDir::toNativeSeparators(path));
            a->setToolTip(QDir::toNativeSeparators(path));
        };
        for (const QString &path : std::as_const(m_files))
            addEntry(path);
        if (!autosaved.isEmpty()) {
            m_menu->addSection(tr("Live Session Autosaves"));
            for (const QString &path : autosaved)
                addEntry(path);
        }
        m_menu->setEnabled(!m_files.isEmpty() || !autosaved.isEmpty());
        if (!m_files.isEmpty()) {
            m_menu->addSeparator();
            m_menu->addAction(tr("Clear List"), this, &RecentFiles::clear);
        }
    }

    if (!m_links)
        return;
    while (QLayoutItem *item = m_links->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    auto addLinks = [this](const QString &title, const QStringList &paths) {
        if (paths.isEmpty())
            return;
        auto *heading = new QLabel(title, m_page);
        heading->setAlignment(Qt::AlignCenter);
        heading->setForegroundRole(QPalette::PlaceholderText);
        m_links->addWidget(heading);
        for (int i = 0; i < std::min<int>(s_maxLinks, int(paths.size())); ++i) {
            const QString path = paths[i];
            QString text = entryText(path);
            text.replace(QLatin1Char('&'), QStringLiteral("&&"));
            auto *link = new QPushButton(text, m_page);
            link->setFlat(true);
            link->setCursor(Qt::PointingHandCursor);
            link->setToolTip(QDir::toNativeSeparators(path));
            connect(link, &QPushButton::clicked, this, [this, path] { emit openRequested(path); });
            m_links->addWidget(link);
        }
    };
    addLinks(tr("Recent files"), m_files);
    addLinks(tr("Live session autosaves"), autosaved);
}

} // namespace leakscope
