#pragma once

#include "core/session.h"

#include <QList>
#include <QPointF>
#include <QVector>
#include <QWidget>

#include <memory>
#include <vector>

class QCheckBox;
class QChart;
class QChartView;
class QComboBox;
class QLabel;
class QStackedWidget;
class QXYSeries;

namespace leakscope {

// The Trend tab: selected types as lines over time (seconds since the first
// snapshot, or the snapshot index when times are missing), counts or bytes,
// linear or log scale, value on hover. The only place that talks to Qt Charts
// (deprecated after Qt 6.10), so a later port touches this class only.
class TrendChart : public QWidget
{
    Q_OBJECT
public:
    enum class Metric { Count, Bytes };
    static constexpr int s_maxLines = 12;

    explicit TrendChart(QWidget *parent = nullptr);
    ~TrendChart() override;

    void setSession(std::shared_ptr<const Session> session);
    // Types to draw (ids in the session's registry), in selection order; only
    // the first s_maxLines are drawn.
    void setTypes(const QVector<int> &typeIds);
    QVector<int> types() const { return m_types; }
    // Further lines after the types: the containers selected in the
    // Containers view (items as the count, payload as the bytes; -1 where a
    // snapshot has no value).
    struct ExtraLine
    {
        QString name;
        std::vector<qint64> counts;
        std::vector<qint64> bytes;
    };
    void setExtraLines(const QVector<ExtraLine> &lines);

    void setMetric(Metric metric);
    Metric metric() const { return m_metric; }
    void setLogScale(bool on);
    bool logScale() const { return m_logScale; }
    // On the log scale, zeros are drawn on the axis's bottom edge (a decade
    // below the smallest value); hovering them still says 0.

    // What is on screen, for tests and for the screenshot check.
    bool isShowingEmptyState() const;
    QString emptyStateText() const;
    int lineCount() const;
    QString lineName(int line) const;
    QList<QPointF> linePoints(int line) const;
    QString lastHoverText() const { return m_lastHoverText; }
    // What hovering `line` near the value-space position shows.
    QString hoverText(int line, const QPointF &valuePosition) const;

signals:
    void metricChanged(leakscope::TrendChart::Metric metric);
    void logScaleChanged(bool on);

private:
    void rebuild();
    static QChart *newChart();
    void showHover(int line, const QPointF &point, bool state);

    std::shared_ptr<const Session> m_session;
    QVector<int> m_types;
    QVector<ExtraLine> m_extra;
    Metric m_metric = Metric::Count;
    bool m_logScale = false;
    double m_valueScale = 1.0; // bytes shown in KiB/MiB
    QString m_valueUnit;
    QString m_lastHoverText;

    QComboBox *m_metricBox = nullptr;
    QCheckBox *m_logBox = nullptr;
    QLabel *m_note = nullptr;
    QStackedWidget *m_stack = nullptr;
    QLabel *m_empty = nullptr;
    QChartView *m_view = nullptr;
    QChart *m_chart = nullptr;
    QList<QXYSeries *> m_lines;
    std::vector<std::vector<qint64>> m_rawValues; // per line, the value of each point
};

} // namespace leakscope
