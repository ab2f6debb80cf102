#pragma once

#include <QtGlobal>

#include <limits>
#include <optional>

namespace leakscope {

// Overflow-checked integer arithmetic for sizes computed from numbers a file
// declares (counts, ids, offsets). Every result is std::nullopt on overflow,
// so a caller cannot forget to look.
namespace checked {

inline std::optional<qint64> add(qint64 a, qint64 b)
{
    qint64 r = 0;
    if (__builtin_add_overflow(a, b, &r))
        return std::nullopt;
    return r;
}

inline std::optional<qint64> sub(qint64 a, qint64 b)
{
    qint64 r = 0;
    if (__builtin_sub_overflow(a, b, &r))
        return std::nullopt;
    return r;
}

inline std::optional<qint64> mul(qint64 a, qint64 b)
{
    qint64 r = 0;
    if (__builtin_mul_overflow(a, b, &r))
        return std::nullopt;
    return r;
}

// b - a for a <= b as an unsigned distance, exact over the whole int64 range
// (INT64_MAX - INT64_MIN fits in uint64 but not in int64).
inline quint64 span(qint64 a, qint64 b)
{
    return quint64(b) - quint64(a);
}

} // namespace checked

} // namespace leakscope
