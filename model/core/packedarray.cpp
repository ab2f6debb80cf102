#include "core/packedarray.h"

namespace leakscope {

Expected<std::vector<quint64>> PackedArray::decodeWide(const QByteArray &blob, const QString &name, quint64 count)
{
    const quint64 bytes = quint64(blob.size());
    // Divide rather than multiply: count comes from the file and may be huge.
    if (count > 0 && bytes % 4 == 0 && bytes / 4 == count) {
        auto narrow = decode<quint32>(blob, name, qint64(count));
        if (!narrow)
            return Expected<std::vector<quint64>>::failure(narrow.error());
        return std::vector<quint64>(narrow.value().begin(), narrow.value().end());
    }
    if (bytes % 8 == 0 && bytes / 8 == count)
        return decode<quint64>(blob, name, qint64(count));
    return Expected<std::vector<quint64>>::failure(
        tr("array %1: %2 bytes fits neither %3 uint32 nor %3 uint64 entries")
            .arg(name, QString::number(bytes), QString::number(count)));
}

} // namespace leakscope
