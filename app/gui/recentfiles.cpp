#include "gui/recentfiles.h"

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
    if (m_menu) {
        m_menu->clear();
        for (const QString &path : std::as_const(m_files)) {
            QAction *a = m_menu->addAction(QFileInfo(path).fileName(), this, [this, path] { emit openRequested(path); });
            a->setStatusTip(QDir::toNativeSeparators(path));
            a->setToolTip(QDir::toNativeSeparators(path));
        }
        m_menu->setEnabled(!m_files.isEmpty());
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
    if (m_files.isEmpty())
        return;
    auto *heading = new QLabel(tr("Recent files"), m_page);
    heading->setAlignment(Qt::AlignCenter);
    heading->setForegroundRole(QPalette::PlaceholderText);
    m_links->addWidget(heading);
    for (int i = 0; i < std::min<int>(s_maxLinks, int(m_files.size())); ++i) {
        const QString path = m_files[i];
        auto *link = new QPushButton(QFileInfo(path).fileName(), m_page);
        link->setFlat(true);
        link->setCursor(Qt::PointingHandCursor);
        link->setToolTip(QDir::toNativeSeparators(path));
        connect(link, &QPushButton::clicked, this, [this, path] { emit openRequested(path); });
        m_links->addWidget(link);
    }
}

} // namespace leakscope
