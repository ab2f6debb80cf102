#pragma once

#include <QObject>
#include <QStringList>

namespace leakscope {

class JobRunner;
class MainWindow;
class SummaryView;

// Puts the Summary tab (the leak report) first among the window's detail
// tabs, rebuilds the report off the UI thread whenever the comparison
// changes, shows the tab when a session opens or a live session gets its
// second snapshot, and turns the report's next-step links into the tab they
// name (References, Trend or Allocations) on the type.
class SummaryTab : public QObject
{
    Q_OBJECT
public:
    explicit SummaryTab(MainWindow *window);
    ~SummaryTab() override;

    SummaryView *view() const { return m_view; }
    JobRunner *runner() const { return m_runner; }

private:
    void onComparisonChanged();
    void openNextStep(const QString &action, const QString &typeName);

    MainWindow *m_window;
    SummaryView *m_view;
    JobRunner *m_runner;
    QStringList m_shownFiles;
    int m_shownCount = 0;
};

} // namespace leakscope
