#include "textformat.h"

#include <QRegularExpression>

#include <algorithm>
#include <cstdlib>

namespace leakscope {

QString TextFormat::size(qint64 bytes)
{
    const qint64 magnitude = bytes < 0 ? -bytes : bytes;
    if (magnitude < 1024)
        return QString::number(bytes) + QStringLiteral(" B");
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
    double value = double(bytes) / 1024.0;
    int unit = 0;
    while (std::abs(value) >= 1024.0 && unit < 3) {
        value /= 1024.0;
        ++unit;
    }
    return QString::number(value, 'f', 1) + QLatin1Char(' ') + QLatin1String(units[unit]);
}

QString TextFormat::signedSize(qint64 bytes)
{
    return bytes > 0 ? QLatin1Char('+') + size(bytes) : size(bytes);
}

QString TextFormat::signedNumber(qint64 value)
{
    return value >= 0 ? QLatin1Char('+') + QString::number(value) : QString::number(value);
}

QString TextFormat::localTime(const QDateTime &utc)
{
    if (!utc.isValid())
        return QStringLiteral("-");
    return utc.toLocalTime().toString(QStringLiteral("yyyy-MM-ddTHH:mm:ss"));
}

QString TextFormat::shellJoin(const QStringList &argv)
{
    static const QRegularExpression plain(QStringLiteral("^[A-Za-z0-9_./:=@%+,-]+$"));
    QStringList parts;
    parts.reserve(argv.size());
    for (const QString &a : argv) {
        if (plain.match(a).hasMatch()) {
            parts << a;
        } else {
            QString q = a;
            q.replace(QLatin1Char('\''), QStringLiteral("'\\''"));
            parts << QLatin1Char('\'') + q + QLatin1Char('\'');
        }
    }
    return parts.join(QLatin1Char(' '));
}

TextTable::TextTable(std::vector<Align> aligns, QString separator)
    : m_aligns(std::move(aligns)), m_separator(std::move(separator))
{
}

void TextTable::addRow(QStringList cells)
{
    m_rows.push_back(std::move(cells));
}

QString TextTable::render() const
{
    std::vector<qsizetype> widths(m_aligns.size(), 0);
    for (const QStringList &row : m_rows)
        for (qsizetype c = 0; c < row.size() && size_t(c) < widths.size(); ++c)
            widths[size_t(c)] = std::max(widths[size_t(c)], row.at(c).size());
    QString out;
    for (const QStringList &row : m_rows) {
        QString line;
        for (qsizetype c = 0; c < row.size() && size_t(c) < widths.size(); ++c) {
            if (c > 0)
                line += m_separator;
            const bool last = c + 1 == row.size();
            const QString &cell = row.at(c);
            if (m_aligns[size_t(c)] == Right)
                line += cell.rightJustified(widths[size_t(c)]);
            else
                line += last ? cell : cell.leftJustified(widths[size_t(c)]);
        }
        // Trailing blanks from empty last cells help nobody.
        while (line.endsWith(QLatin1Char(' ')))
            line.chop(1);
        out += line + QLatin1Char('\n');
    }
    return out;
}

} // namespace leakscope
