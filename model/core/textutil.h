#pragma once

#include <QLocale>
#include <QString>
#include <QtGlobal>

namespace leakscope {

// The small text helpers every layer shows data with: byte sizes in IEC units
// (the table, the chart axis, Retainers, References and the CLI all say
// "KiB"), object ids in hex, and one-line versions of text from the examined
// program or from a library (reprs, SQLite messages).
class TextUtil
{
public:
    // "512 B", "32.8 KiB", "10.0 MiB", "1.5 GiB", "2.0 TiB" (one decimal
    // above 1 KiB); negative sizes keep their sign. Numbers in `locale`'s
    // notation: the GUI passes the user's locale, the CLI QLocale::c().
    static QString bytes(qint64 bytes, const QLocale &locale = QLocale());
    // The unit of a scale, 0 = "B", 1 = "KiB", 2 = "MiB", 3 = "GiB", 4 = "TiB"
    // (for axes that scale all values by 1024^power).
    static QString byteUnit(int power);

    // "0x7f3a12c0": how Python prints object addresses.
    static QString hexId(quint64 id);
    // Every control character (newline, tab, ...) replaced by a space.
    static QString oneLine(QString text);
};

} // namespace leakscope
