#pragma once

#include "core/growth.h"
#include "core/session.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <vector>

namespace leakscope {

// The leak in words: one entry per leak (never capped), the story a newcomer
// needs without reading the growth table. Built from a Session's comparison
// (LeakReport::fromSession); when the recording has heap graphs,
// LeakReportGraph (heapgraph) folds builtin suspects under the user type or
// container that holds them and adds chains and retained growth.
struct LeakEntry
{
    enum class Kind {
        Type,                // a type whose instances pile up
        Container,           // one object (a global list or dict) that keeps growing
        MemoryOutsidePython, // resident memory that Python's objects do not explain
    };
    // What the entry's next step opens on it: References or Allocations on
    // a type, the Trend chart, the Containers view on a container (by
    // objectId), or Allocations' growing lines (no subject).
    enum class NextStep { References, Trend, Allocations, Containers };

    // A builtin suspect explained by this entry: `growth` of its new
    // instances are held by (or hold) this entry's objects.
    struct Folded
    {
        QString type;
        qint64 growth = 0;
        QString how; // "held by it" / "holding it"
    };

    Kind kind = Kind::Type;
    int type = -1;   // session type id (Type entries; -1 otherwise)
    QString name;    // qualified type name, or the container's name
    quint64 objectId = 0;  // Container: the container's object id (0: unknown)
    QString containerType; // Container: its type ("list", "collections.deque")
    QString heldBy;        // Container: who holds it, as the agent named it
    bool builtin = false;
    qint64 baselineCount = 0;
    qint64 count = 0;
    qint64 growth = 0;       // count - baselineCount
    qint64 growthBytes = 0;  // shallow bytes, current - baseline
    bool bytesKnown = true;
    double perSnapshot = 0.0;
    double perMinute = 0.0;  // NaN without times
    qint64 retainedGrowth = 0;
    bool retainedKnown = false;
    double score = 0.0;
    QString reason;
    std::vector<qint64> series; // count per snapshot, all of the session
    std::vector<Folded> folded;
    // The chain from a root, root first, each step as a person reads it
    // ("__main__ globals", "_REQUEST_LOG (dict)", "HttpRequest").
    QStringList chain;
    QString chainObject;       // hex id of the instance the chain leads to
    bool chainObjectNew = false; // that instance is new since the baseline
    bool chainFromRoot = true;   // false: starts at an unreferenced object
    QString allocationSite;    // empty when the recording has none
    // MemoryOutsidePython: RSS growth and what Python objects explain of it
    // (growthBytes holds the RSS growth; counts are RSS bytes).
    qint64 explainedBytes = 0;
    NextStep next = NextStep::Trend;
    QString nextType; // the type the next step opens; empty: `name`

    QString chainLine() const; // the steps joined by " → "
    QString shortName() const;
    QString target() const;    // nextType, or name when empty // "HttpRequest" for "__main__.HttpRequest"
};

struct LeakReport
{
    QStringList files;
    int snapshotCount = 0;
    int baseline = 0; // 0-based in the session; shown from 1
    int current = 0;
    double minutes = 0.0;   // from baseline to current; 0 without times
    bool hasTimes = false;
    bool hasGraph = false;  // a heap graph folded and chained the entries
    int graphSnapshot = -1; // the 0-based snapshot whose graph was used
    QString graphNote;      // why there is no graph analysis, when there is none
    std::vector<double> timeAxis; // seconds (or indices) of every snapshot
    std::vector<LeakEntry> entries; // in ranking order
    bool traced = false;        // the current snapshot has tracemalloc data
    bool containerTables = false; // some snapshot has a container pass

    // One entry per suspect of `comparison` (GrowthAnalysis::compare), per
    // steadily growing container (ContainerAnalysis) and, when RSS grows
    // beyond what Python objects explain, one for that memory; in the
    // shared ranking. With tracemalloc data each gets its allocation site.
    // Next steps: Allocations (traced types), Containers, Trend, until a
    // graph says References.
    static LeakReport fromComparison(const Session &session, const Comparison &comparison);
    static LeakReport fromSession(const Session &session, int baseline, int current);

    // Entries in the shared ranking (LeakRanking::lessEntry).
    void sortEntries();

    // The renderings. `files` are named in the CLI commands of the next steps.
    QString toText() const;
    QString toMarkdown() const;
    // One self-contained HTML file (inline CSS and SVG, no external asset).
    // With `links`, each next step is an <a href="leakscope:references?type=…">
    // link the Summary view follows instead of a CLI command.
    QString toHtml(bool links = false) const;
    QByteArray toJson() const;
};

// The one ranking used by the report, record's summary, compare and the
// growth table: suspects first; among them user types and containers before
// the builtins (list, dict, method, ...) they explain; then by score, growth,
// count and name.
class LeakRanking
{
public:
    // True for types of the builtins module (unqualified names: "list",
    // "method", "builtin_function_or_method").
    static bool isBuiltin(const QString &typeName);
    // Strict weak order on growth rows; `name` maps a row to its type name.
    static bool lessRow(const GrowthRow &a, const GrowthRow &b, const QString &nameA, const QString &nameB);
    static void sortRows(std::vector<GrowthRow> &rows, const TypeRegistry &types);
    static bool lessEntry(const LeakEntry &a, const LeakEntry &b);
};

} // namespace leakscope
