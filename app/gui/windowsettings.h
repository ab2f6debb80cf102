#pragma once

#include <QRect>
#include <QSet>
#include <QString>
#include <QVariant>

#include <functional>
#include <vector>

class QAbstractButton;
class QHeaderView;
class QMainWindow;
class QSplitter;

namespace leakscope {

// What the main window remembers between runs (QSettings): its geometry and
// dock/toolbar state, and whatever the window adds (splitters, header
// states, check boxes, other values). restore() on start, save() on close.
class WindowSettings
{
public:
    // The size a window asks for on a first start, when the screen has room.
    static constexpr QSize s_preferredSize{1400, 900};
    // Room left for the window manager's frame and title bar.
    static constexpr QSize s_frameAllowance{16, 48};

    explicit WindowSettings(QMainWindow *window);
    ~WindowSettings();

    void addSplitter(const QString &key, QSplitter *splitter);
    void addHeader(const QString &key, QHeaderView *header);
    void addCheckBox(const QString &key, QAbstractButton *box, bool fallback = false);
    void addValue(const QString &key, const QVariant &fallback, std::function<void(const QVariant &)> load,
                  std::function<QVariant()> store);

    // The window's last geometry and state, or on a first start a size that
    // fits the screen's available geometry; then every entry in the order
    // added.
    void restore();
    void save() const;
    // Whether restore() found a saved state for the key (splitters, headers).
    bool wasRestored(const QString &key) const { return m_restored.contains(key); }

    // The first geometry of a window on a screen whose available geometry is
    // `available`: the preferred size, smaller where the screen is, centred.
    static QRect firstGeometry(const QRect &available, QSize minimum = QSize());

private:
    struct Entry
    {
        QString key;
        std::function<bool(const QVariant &)> load; // false: nothing restored
        std::function<QVariant()> store;
    };

    QMainWindow *m_window;
    std::vector<Entry> m_entries;
    QSet<QString> m_restored;
};

} // namespace leakscope
