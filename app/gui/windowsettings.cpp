#include "gui/windowsettings.h"

#include <QAbstractButton>
#include <QGuiApplication>
#include <QHeaderView>
#include <QMainWindow>
#include <QScreen>
#include <QSettings>
#include <QSplitter>

#include <algorithm>

namespace leakscope {

namespace {
const QString s_geometryKey = QStringLiteral("window/geometry");
const QString s_stateKey = QStringLiteral("window/state");
} // namespace

WindowSettings::WindowSettings(QMainWindow *window) : m_window(window) {}

WindowSettings::~WindowSettings() = default;

void WindowSettings::addSplitter(const QString &key, QSplitter *splitter)
{
    m_entries.push_back({key, [splitter](const QVariant &v) { return splitter->restoreState(v.toByteArray()); },
                         [splitter] { return QVariant(splitter->saveState()); }});
}

void WindowSettings::addHeader(const QString &key, QHeaderView *header)
{
    m_entries.push_back({key, [header](const QVariant &v) { return header->restoreState(v.toByteArray()); },
                         [header] { return QVariant(header->saveState()); }});
}

void WindowSettings::addCheckBox(const QString &key, QAbstractButton *box, bool fallback)
{
    addValue(key, fallback, [box](const QVariant &v) { box->setChecked(v.toBool()); },
             [box] { return QVariant(box->isChecked()); });
}

void WindowSettings::addValue(const QString &key, const QVariant &fallback, std::function<void(const QVariant &)> load,
                              std::function<QVariant()> store)
{
    m_entries.push_back({key,
                         [load = std::move(load), fallback](const QVariant &v) {
                             load(v.isValid() ? v : fallback);
                             return v.isValid();
                         },
                         std::move(store)});
}

QRect WindowSettings::firstGeometry(const QRect &available, QSize minimum)
{
    QSize size = s_preferredSize;
    if (available.isValid()) {
        const QSize room = (available.size() - s_frameAllowance).expandedTo(QSize(1, 1));
        size = size.boundedTo(room);
    }
    // The window's minimum wins over a tiny screen (it stays usable).
    if (minimum.isValid())
        size = size.expandedTo(minimum);
    QRect geometry(QPoint(0, 0), size);
    if (available.isValid())
        geometry.moveCenter(available.center());
    return geometry;
}

void WindowSettings::restore()
{
    QSettings s;
    m_restored.clear();
    const QScreen *screen = m_window->screen() ? m_window->screen() : QGuiApplication::primaryScreen();
    const QRect available = screen ? screen->availableGeometry() : QRect();
    if (m_window->restoreGeometry(s.value(s_geometryKey).toByteArray())) {
        m_restored.insert(s_geometryKey);
        // Saved on a bigger screen: keep it on this one.
        if (available.isValid()
            && (m_window->width() > available.width() || m_window->height() > available.height()))
            m_window->setGeometry(firstGeometry(available, m_window->minimumSize()));
    } else {
        m_window->setGeometry(firstGeometry(available, m_window->minimumSize()));
    }
    if (m_window->restoreState(s.value(s_stateKey).toByteArray()))
        m_restored.insert(s_stateKey);
    for (const Entry &e : m_entries)
        if (e.load(s.value(e.key)))
            m_restored.insert(e.key);
}

void WindowSettings::save() const
{
    QSettings s;
    s.setValue(s_geometryKey, m_window->saveGeometry());
    s.setValue(s_stateKey, m_window->saveState());
    for (const Entry &e : m_entries)
        s.setValue(e.key, e.store());
}

} // namespace leakscope
