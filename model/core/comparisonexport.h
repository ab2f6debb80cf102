#pragma once

#include "core/growth.h"
#include "core/session.h"

#include <QByteArray>

namespace leakscope {

// Serialises a comparison as JSON or CSV. The JSON object carries at least
// "snapshots" (id, label, taken_at, pid per snapshot) and "types" (name,
// counts, sizes, delta, suspect, score, reason per type).
class ComparisonExport
{
public:
    static QByteArray toJson(const Session &session, const Comparison &comparison);
    static QByteArray toCsv(const Session &session, const Comparison &comparison);
};

} // namespace leakscope
