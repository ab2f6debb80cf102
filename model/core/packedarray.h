#pragma once

#include "core/expected.h"

#include <QByteArray>
#include <QCoreApplication>
#include <QString>
#include <QtEndian>

#include <cstring>
#include <type_traits>
#include <vector>

namespace leakscope {

// Packed little-endian integer arrays, the way heap-graph arrays are stored in
// .lsnap BLOBs: no header, count = bytes / sizeof(T). Decoding checks that the
// length is a whole number of entries and, when given, the expected count.
class PackedArray
{
public:
    template <typename T>
    static Expected<std::vector<T>> decode(const QByteArray &blob, const QString &name, qint64 expectedCount = -1)
    {
        static_assert(std::is_integral_v<T>, "packed arrays hold integers");
        const qint64 bytes = blob.size();
        if (bytes % qint64(sizeof(T)) != 0)
            return Expected<std::vector<T>>::failure(
                tr("array %1: %2 bytes is not a whole number of %3-byte entries")
                    .arg(name, QString::number(bytes), QString::number(sizeof(T))));
        const qint64 count = bytes / qint64(sizeof(T));
        if (expectedCount >= 0 && count != expectedCount)
            return Expected<std::vector<T>>::failure(
                tr("array %1 has %2 entries, expected %3")
                    .arg(name, QString::number(count), QString::number(expectedCount)));
        std::vector<T> values(static_cast<size_t>(count));
        if (count > 0) {
#if Q_BYTE_ORDER == Q_LITTLE_ENDIAN
            std::memcpy(values.data(), blob.constData(), size_t(bytes));
#else
            for (qint64 i = 0; i < count; ++i)
                values[size_t(i)] = qFromLittleEndian<T>(blob.constData() + i * qint64(sizeof(T)));
#endif
        }
        return values;
    }

    template <typename T>
    static QByteArray encode(const std::vector<T> &values)
    {
        static_assert(std::is_integral_v<T>, "packed arrays hold integers");
        QByteArray blob(qsizetype(values.size() * sizeof(T)), Qt::Uninitialized);
        if (!values.empty()) {
#if Q_BYTE_ORDER == Q_LITTLE_ENDIAN
            std::memcpy(blob.data(), values.data(), values.size() * sizeof(T));
#else
            for (size_t i = 0; i < values.size(); ++i)
                qToLittleEndian<T>(values[i], blob.data() + i * sizeof(T));
#endif
        }
        return blob;
    }

    // Arrays that may be stored as uint32 or uint64 entries (CSR offsets,
    // sizes); the blob length tells which (count entries of either width).
    // Widened to uint64.
    static Expected<std::vector<quint64>> decodeWide(const QByteArray &blob, const QString &name, quint64 count);
    static Expected<std::vector<quint64>> decodeOffsets(const QByteArray &blob, const QString &name, quint64 count)
    {
        return decodeWide(blob, name, count);
    }

private:
    static QString tr(const char *text) { return QCoreApplication::translate("leakscope::PackedArray", text); }
};

} // namespace leakscope
