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
    static QString shellJoin(const QStringList &argv); // quotes arguments that need it
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
