#include "core/textutil.h"

#include <QCoreApplication>

#include <cstdlib>

namespace leakscope {

QString TextUtil::byteUnit(int power)
{
    switch (power) {
    case 0:
        return QCoreApplication::translate("leakscope::TextUtil", "B");
    case 1:
        return QCoreApplication::translate("leakscope::TextUtil", "KiB");
    case 2:
        return QCoreApplication::translate("leakscope::TextUtil", "MiB");
    case 3:
        return QCoreApplication::translate("leakscope::TextUtil", "GiB");
    default:
        return QCoreApplication::translate("leakscope::TextUtil", "TiB");
    }
}

QString TextUtil::bytes(qint64 bytes, const QLocale &locale)
{
    const qint64 magnitude = bytes < 0 ? -bytes : bytes;
    if (magnitude < 1024)
        return locale.toString(bytes) + QLatin1Char(' ') + byteUnit(0);
    double value = double(bytes) / 1024.0;
    int power = 1;
    while (std::abs(value) >= 1024.0 && power < 4) {
        value /= 1024.0;
        ++power;
    }
    return locale.toString(value, 'f', 1) + QLatin1Char(' ') + byteUnit(power);
}

QString TextUtil::hexId(quint64 id)
{
    return QStringLiteral("0x") + QString::number(id, 16);
}

QString TextUtil::oneLine(QString text)
{
    for (QChar &c : text) {
        if (c.category() == QChar::Other_Control)
            c = QLatin1Char(' ');
    }
    return text;
}

} // namespace leakscope
