#include "cli/textformat.h"

#include "core/textutil.h"

#include <QRegularExpression>

#include <algorithm>

namespace leakscope {

QString TextFormat::size(qint64 bytes)
{
    return TextUtil::bytes(bytes, QLocale::c());
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

namespace {

bool needsEscape(char32_t c)
{
    return c < 0x20 || (c >= 0x7f && c < 0xa0) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)
        || c == 0x2028 || c == 0x2029 || c == 0x200e || c == 0x200f || c == 0x061c;
}

QString escapeText(const QString &text, bool keepNewlines)
{
    // Fast path: nearly all text needs nothing.
    bool clean = true;
    for (const QChar c : text) {
        if (needsEscape(c.unicode()) || c.isSurrogate()) {
            clean = false;
            break;
        }
    }
    if (clean)
        return text;
    QString out;
    out.reserve(text.size() + 16);
    const qsizetype n = text.size();
    for (qsizetype i = 0; i < n; ++i) {
        const QChar c = text.at(i);
        if (c.isHighSurrogate() && i + 1 < n && text.at(i + 1).isLowSurrogate()) {
            out += c;
            out += text.at(++i);
            continue;
        }
        const char16_t u = c.unicode();
        if (u == u'\n' && keepNewlines) {
            out += c;
        } else if (u == u'\n') {
            out += QStringLiteral("\\n");
        } else if (u == u'\r') {
            out += QStringLiteral("\\r");
        } else if (u == u'\t') {
            out += QStringLiteral("\\t");
        } else if (c.isSurrogate() || u >= 0x100) {
            if (needsEscape(u) || c.isSurrogate())
                out += QStringLiteral("\\u%1").arg(uint(u), 4, 16, QLatin1Char('0'));
            else
                out += c;
        } else if (needsEscape(u)) {
            out += QStringLiteral("\\x%1").arg(uint(u), 2, 16, QLatin1Char('0'));
        } else {
            out += c;
        }
    }
    return out;
}

} // namespace

QString TextFormat::escape(const QString &text)
{
    return escapeText(text, false);
}

QString TextFormat::escapeLines(const QString &text)
{
    return escapeText(text, true);
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
    return escape(parts.join(QLatin1Char(' ')));
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
