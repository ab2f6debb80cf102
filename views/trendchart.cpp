#include "views/trendchart.h"

#include "core/textutil.h"
#include "views/growthtablemodel.h"

#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QCursor>
#include <QHBoxLayout>
#include <QLabel>
#include <QLegend>
#include <QLineSeries>
#include <QLocale>
#include <QLogValueAxis>
#include <QStackedWidget>
#include <QToolTip>
#include <QValueAxis>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace leakscope {

namespace {

// What the y axis counts: its title is one short word, so the detail lives
// in the chart's tooltip.
QString valueToolTip(bool bytes)
{
    return bytes ? QCoreApplication::translate("leakscope::TrendChart",
                                               "Total shallow size (sys.getsizeof) of each type's gc-tracked objects")
                 : QCoreApplication::translate("leakscope::TrendChart",
                                               "Live gc-tracked objects per type (gc.get_objects()), as objgraph "
                                               "counts them;\natomic objects such as int and str are usually not "
                                               "included");
}

} // namespace

TrendChart::TrendChart(QWidget *parent) : QWidget(parent)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);

    auto *bar = new QHBoxLayout;
    bar->setContentsMargins(6, 4, 6, 0);
    bar->addWidget(new QLabel(tr("Show:"), this));
    m_metricBox = new QComboBox(this);
    m_metricBox->addItem(tr("Object count"));
    m_metricBox->addItem(tr("Size (bytes)"));
    m_metricBox->setItemData(0, valueToolTip(false), Qt::ToolTipRole);
    m_metricBox->setItemData(1, valueToolTip(true), Qt::ToolTipRole);
    m_metricBox->setToolTip(tr("Chart the number of live objects or their total shallow size"));
    bar->addWidget(m_metricBox);
    m_logBox = new QCheckBox(tr("Log scale"), this);
    m_logBox->setToolTip(tr("Logarithmic value axis in whole decades; values of 0 are drawn on its bottom edge"));
    bar->addWidget(m_logBox);
    bar->addStretch(1);
    m_note = new QLabel(this);
    m_note->setForegroundRole(QPalette::PlaceholderText);
    bar->addWidget(m_note);
    layout->addLayout(bar);

    m_stack = new QStackedWidget(this);
    m_empty = new QLabel(this);
    m_empty->setAlignment(Qt::AlignCenter);
    m_empty->setWordWrap(true);
    m_empty->setForegroundRole(QPalette::PlaceholderText);
    m_empty->setText(tr("Select one or more types in the table to chart them over time.\n"
                        "Ctrl+click or Shift+click selects several."));
    m_stack->addWidget(m_empty);

    m_chart = newChart();
    m_view = new QChartView(m_chart, this); // takes ownership of the chart
    m_view->setRenderHint(QPainter::Antialiasing);
    m_stack->addWidget(m_view);
    layout->addWidget(m_stack, 1);

    connect(m_metricBox, &QComboBox::currentIndexChanged, this,
            [this](int i) { setMetric(i == 1 ? Metric::Bytes : Metric::Count); });
    connect(m_logBox, &QCheckBox::toggled, this, &TrendChart::setLogScale);
    rebuild();
}

TrendChart::~TrendChart() = default;

QChart *TrendChart::newChart()
{
    auto *chart = new QChart;
    chart->legend()->setAlignment(Qt::AlignRight);
    chart->setMargins(QMargins(4, 4, 4, 4));
    chart->setBackgroundRoundness(0);
    return chart;
}

void TrendChart::setSession(std::shared_ptr<const Session> session)
{
    m_session = std::move(session);
    rebuild();
}

void TrendChart::setTypes(const QVector<int> &typeIds)
{
    if (typeIds == m_types)
        return;
    m_types = typeIds;
    rebuild();
}

void TrendChart::setMetric(Metric metric)
{
    if (metric == m_metric)
        return;
    m_metric = metric;
    const QSignalBlocker block(m_metricBox);
    m_metricBox->setCurrentIndex(metric == Metric::Bytes ? 1 : 0);
    rebuild();
    emit metricChanged(metric);
}

void TrendChart::setLogScale(bool on)
{
    if (on == m_logScale)
        return;
    m_logScale = on;
    const QSignalBlocker block(m_logBox);
    m_logBox->setChecked(on);
    rebuild();
    emit logScaleChanged(on);
}

bool TrendChart::isShowingEmptyState() const
{
    return m_stack->currentWidget() == m_empty;
}

QString TrendChart::emptyStateText() const
{
    return m_empty->text();
}

int TrendChart::lineCount() const
{
    return int(m_lines.size());
}

QString TrendChart::lineName(int line) const
{
    return line >= 0 && line < m_lines.size() ? m_lines[line]->name() : QString();
}

QList<QPointF> TrendChart::linePoints(int line) const
{
    if (line < 0 || line >= m_lines.size())
        return {};
    QList<QPointF> points = m_lines[line]->points();
    for (QPointF &p : points)
        p.setY(p.y() * m_valueScale);
    return points;
}

void TrendChart::setExtraLines(const QVector<ExtraLine> &lines)
{
    m_extra = lines;
    rebuild();
}

void TrendChart::rebuild()
{
    // A new chart each time: removing and deleting the old axes left their
    // labels and grid lines drawn over the new ones (Qt 6.4), and a new
    // chart gives the lines the same colours whatever was shown before.
    QChart *old = m_chart;
    m_chart = newChart();
    m_view->setChart(m_chart); // releases the old chart
    delete old;                // and its series and axes
    m_lines.clear();
    m_rawValues.clear();
    m_note->clear();
    m_valueScale = 1.0;
    m_valueUnit.clear();

    const bool hasData = m_session && m_session->snapshotCount() > 0;
    QVector<int> shown;
    if (hasData)
        for (int t : m_types)
            if (t >= 0 && t < m_session->typeCount() && shown.size() < s_maxLines)
                shown.append(t);
    if (shown.isEmpty() && (!hasData || m_extra.isEmpty())) {
        m_empty->setText(hasData ? tr("Select one or more types in the table to chart them over time.\n"
                                      "Ctrl+click or Shift+click selects several.")
                                 : tr("No session loaded.\nOpen a .lsnap file to chart types over time."));
        m_stack->setCurrentWidget(m_empty);
        return;
    }
    if (m_types.size() > shown.size())
        m_note->setText(tr("Showing the first %1 of %2 selected types").arg(shown.size()).arg(m_types.size()));

    const std::vector<double> x = m_session->timeAxis();
    const bool seconds = m_session->hasTimes();
    const bool bytes = m_metric == Metric::Bytes;

    std::vector<std::vector<qint64>> values;
    QStringList names;
    qint64 maxValue = 0;
    for (int t : shown) {
        values.push_back(bytes ? m_session->sizeSeries(t) : m_session->countSeries(t));
        names.append(m_session->types().name(t));
    }
    for (const ExtraLine &e : m_extra) {
        if (int(values.size()) >= s_maxLines)
            break;
        std::vector<qint64> v = bytes ? e.bytes : e.counts;
        v.resize(x.size(), -1);
        values.push_back(std::move(v));
        names.append(e.name);
    }
    for (const std::vector<qint64> &line : values)
        for (qint64 v : line)
            maxValue = std::max(maxValue, v);
    if (bytes) {
        if (maxValue >= 10 * 1024 * 1024) {
            m_valueScale = 1024.0 * 1024.0;
            m_valueUnit = TextUtil::byteUnit(2);
        } else if (maxValue >= 10 * 1024) {
            m_valueScale = 1024.0;
            m_valueUnit = TextUtil::byteUnit(1);
        } else {
            m_valueUnit = TextUtil::byteUnit(0);
        }
    }

    // The log axis spans whole decades from below the smallest value to above
    // the largest (at least one decade, so a flat line has ticks around it).
    // Zeros cannot be drawn on it: they sit on its bottom edge, a decade
    // below the smallest value, so every selected type still shows a line.
    double minPositive = 0, maxScaled = 0;
    bool hasZero = false;
    for (const std::vector<qint64> &line : values)
        for (size_t i = 0; i < x.size() && i < line.size(); ++i) {
            const double y = double(line[i]) / m_valueScale;
            if (line[i] == 0)
                hasZero = true;
            else if (line[i] > 0 && (minPositive == 0 || y < minPositive))
                minPositive = y;
            maxScaled = std::max(maxScaled, y);
        }
    double logMin = 1.0, logMax = 10.0;
    if (minPositive > 0) {
        const double low = std::floor(std::log10(minPositive) + 1e-9) - (hasZero ? 1.0 : 0.0);
        const double high = std::max(low + 1.0, std::ceil(std::log10(maxScaled) - 1e-9));
        logMin = std::pow(10.0, low);
        logMax = std::pow(10.0, high);
    }

    for (size_t l = 0; l < values.size(); ++l) {
        auto *series = new QLineSeries;
        series->setName(names.at(qsizetype(l)));
        QList<QPointF> points;
        std::vector<qint64> raw;
        points.reserve(qsizetype(x.size()));
        raw.reserve(x.size());
        for (size_t i = 0; i < x.size(); ++i) {
            const qint64 v = values[l][i];
            if (v < 0)
                continue; // -1: an extra line without a value there
            const double y = m_logScale && v == 0 ? logMin : double(v) / m_valueScale;
            points.append(QPointF(x[i], y));
            raw.push_back(v);
        }
        m_rawValues.push_back(std::move(raw));
        series->replace(points); // one call per line, not one per point
        series->setPointsVisible(x.size() <= 60);
        m_chart->addSeries(series);
        // After addSeries, which gives the line its theme colour. Each line
        // is a little narrower than the one before and drawn over it, so two
        // types that grow in lockstep (a Request holding a Session) still
        // show both colours.
        QPen pen = series->pen();
        pen.setWidthF(std::max(1.25, 3.25 - 1.0 * double(l)));
        series->setPen(pen);
        series->setMarkerSize(std::max(3.5, 6.0 - 1.25 * double(l)));
        const int line = int(m_lines.size());
        connect(series, &QXYSeries::hovered, this,
                [this, line](const QPointF &p, bool state) { showHover(line, p, state); });
        m_lines.append(series);
    }

    auto *xAxis = new QValueAxis;
    xAxis->setTitleText(seconds ? tr("Seconds since the first snapshot") : tr("Snapshot index (from 0)"));
    xAxis->setLabelFormat(seconds ? QStringLiteral("%g") : QStringLiteral("%d"));
    const double xMax = x.empty() || x.back() <= 0 ? 1.0 : x.back();
    xAxis->setRange(0, xMax);
    if (!seconds) {
        // Whole snapshot numbers on the ticks.
        const int snapshots = int(x.size());
        int step = 1;
        while ((snapshots - 1) / step > 10)
            ++step;
        xAxis->setTickType(QValueAxis::TicksDynamic);
        xAxis->setTickAnchor(0);
        xAxis->setTickInterval(step);
    } else {
        xAxis->applyNiceNumbers();
    }
    m_chart->addAxis(xAxis, Qt::AlignBottom);

    const QString yTitle = bytes ? tr("Size (%1)").arg(m_valueUnit) : tr("Objects");
    m_chart->setToolTip(valueToolTip(bytes));
    QAbstractAxis *yAxis = nullptr;
    if (m_logScale) {
        auto *log = new QLogValueAxis;
        log->setBase(10);
        log->setRange(logMin, logMax);
        // Plain numbers on every decade: 1, 10, 100 ... 1000000 (never
        // 1e+06); 0.001, 0.01 ... where bytes are drawn in larger units.
        log->setLabelFormat(logMin >= 1.0 ? QStringLiteral("%.0f")
                                : logMax < 1e6 ? QStringLiteral("%g")
                                               : QStringLiteral("%.1f"));
        log->setMinorTickCount(-1);
        log->setTitleText(yTitle);
        yAxis = log;
    } else {
        auto *linear = new QValueAxis;
        const double top = std::max(1.0, double(maxValue) / m_valueScale);
        linear->setRange(0, top * 1.05);
        linear->applyNiceNumbers();
        linear->setLabelFormat(bytes && m_valueScale > 1 ? QStringLiteral("%.1f") : QStringLiteral("%.0f"));
        linear->setTitleText(yTitle);
        yAxis = linear;
    }
    m_chart->addAxis(yAxis, Qt::AlignLeft);
    for (QXYSeries *s : std::as_const(m_lines)) {
        s->attachAxis(xAxis);
        s->attachAxis(yAxis);
    }
    m_stack->setCurrentWidget(m_view);
}

QString TrendChart::hoverText(int line, const QPointF &valuePosition) const
{
    if (line < 0 || line >= m_lines.size() || !m_session)
        return {};
    const QXYSeries *series = m_lines[line];
    const QList<QPointF> points = series->points();
    if (points.isEmpty())
        return {};
    // The signal carries the cursor position; name the nearest snapshot.
    const auto nearest = std::min_element(points.cbegin(), points.cend(), [&valuePosition](const QPointF &a, const QPointF &b) {
        return std::fabs(a.x() - valuePosition.x()) < std::fabs(b.x() - valuePosition.x());
    });
    // The value itself, not where it is drawn (a zero sits on a log axis's edge).
    const size_t at = size_t(nearest - points.cbegin());
    const std::vector<qint64> &rawValues = m_rawValues[size_t(line)];
    const bool seconds = m_session->hasTimes();
    const QString where = seconds ? tr("%1 s after the first snapshot").arg(QLocale().toString(nearest->x(), 'f', 1))
                                  : tr("snapshot %1").arg(int(nearest->x()));
    const qint64 raw = at < rawValues.size() ? rawValues[at] : qint64(std::llround(nearest->y() * m_valueScale));
    const QString value = m_metric == Metric::Bytes ? TextUtil::bytes(raw)
                                                    : tr("%1 objects").arg(GrowthTableModel::formatCount(raw));
    return series->name() + QLatin1Char('\n') + value + QStringLiteral(" \u2014 ") + where;
}

void TrendChart::showHover(int line, const QPointF &point, bool state)
{
    // The scene answers the tooltip event that follows a hover with the
    // chart's tooltip, so that tooltip is the point's text while hovering.
    if (!state) {
        QToolTip::hideText();
        m_chart->setToolTip(valueToolTip(m_metric == Metric::Bytes));
        return;
    }
    m_lastHoverText = hoverText(line, point);
    if (!m_lastHoverText.isEmpty()) {
        m_chart->setToolTip(m_lastHoverText);
        QToolTip::showText(QCursor::pos(), m_lastHoverText, m_view);
    }
}

} // namespace leakscope
