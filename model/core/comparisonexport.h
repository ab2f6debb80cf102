#pragma once

#include "core/growth.h"
#include "core/jsonwriter.h"
#include "core/session.h"

#include <QByteArray>

#include <functional>

class QIODevice;

namespace leakscope {

// Serialises a comparison as JSON or CSV. The JSON object carries "format",
// "version", "baseline", "current", "snapshots" (index, id, label, taken_at,
// pid, rss, objects, source per snapshot) and "types" (name, counts, sizes,
// deltas, suspect, score, reason per type, in the order of the comparison's
// rows). The write functions stream into a device as they go, so the output
// never exists whole in memory.
class ComparisonExport
{
public:
    // Called inside the top-level object after the comparison's own keys,
    // for callers that add keys of their own (w.key(...); w.value(...)).
    using ExtraMembers = std::function<void(JsonWriter &w)>;

    // Writes the whole JSON document into w (which may be inside nothing
    // else); check w.ok() / w.finish() afterwards.
    static void writeJson(JsonWriter &w, const Session &session, const Comparison &comparison,
                          const ExtraMembers &extra = {});
    // The CSV, header and one row per type, CRLF line ends (RFC 4180);
    // false when the device refused a write.
    static bool writeCsv(QIODevice *device, const Session &session, const Comparison &comparison);

    // The same in memory (the window's export): JSON indented.
    static QByteArray toJson(const Session &session, const Comparison &comparison);
    static QByteArray toCsv(const Session &session, const Comparison &comparison);
};

} // namespace leakscope
