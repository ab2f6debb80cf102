#pragma once

#include <QDateTime>
#include <QString>
#include <QStringList>

#include <vector>

namespace leakscope {

// Number, size and time formatting for terminal output, plus a plain
// aligned table.
class TextFormat
{
public:
    static QString size(qint64 bytes);        // "512 B", "12.3 KiB", "4.0 MiB"
    static QString signedSize(qint64 bytes);  // "+12.3 KiB", "-512 B", "0 B"
    static QString signedNumber(qint64 value); // "+5", "-3", "+0"
    static QString localTime(const QDateTime &utc); // ISO 8601 local time, "-" when invalid
    static QString shellJoin(const QStringList &argv); // quotes arguments that need it, escaped

    // Text from files and agents (labels, type names, argv, paths), made safe
    // for a terminal: control characters (C0, DEL, C1) become visible escapes
    // (\n, \r, \t, \x1b, \x9b), as do bidirectional overrides, line and
    // paragraph separators and lone surrogates (\u202e); U+FFFD stands for
    // bytes that were not UTF-8. Idempotent (a backslash stays as it is), so
    // text escaped twice reads the same. JSON output never goes through it.
    static QString escape(const QString &text);
    // The same for whole lines of output: newlines stay, the rest is escaped.
    static QString escapeLines(const QString &text);
};

// Columns padded to their widest cell; the last column is never padded.
class TextTable
{
public:
    enum Align { Left, Right };
    explicit TextTable(std::vector<Align> aligns, QString separator = QStringLiteral("  "));
    void addRow(QStringList cells);
    QString render() const;

private:
    std::vector<Align> m_aligns;
    QString m_separator;
    std::vector<QStringList> m_rows;
};

} // namespace leakscope
