#include "cli/comparecommand.h"

#include "cli/bytestreport.h"
#include "cli/containersreport.h"
#include "core/comparisonexport.h"
#include "core/growth.h"
#include "cli/inputfiles.h"
#include "cli/commandline.h"
#include "cli/textformat.h"

#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QSaveFile>

#include <cstdio>
#include <memory>
#include <optional>

namespace leakscope {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("CompareCommand", text);
}

struct CompareOptions
{
    BaselineMode baselineMode = BaselineMode::First;
    int baselineIndex = 0;
    int top = 20;
    bool topGiven = false;
    bool all = false;
    bool json = false;
    bool pretty = false;
    bool csv = false;
    QString output; // -o FILE; stdout when empty
    bool byTest = false;
    bool failOnSuspect = false;
    QString failPattern;
    int growthThreshold = 0; // 0: no --fail-on-growth
    bool growthFilterGiven = false;
    QString growthFilter;
    QStringList files;
    bool help = false;
};

// The optional REGEX of --fail-on-suspect must not swallow an input file:
// an argument that names an existing path or ends in .lsnap is a file.
bool looksLikeInputFile(const QString &arg)
{
    return arg.endsWith(QLatin1String(".lsnap")) || QFileInfo::exists(arg) || arg.startsWith(QLatin1Char('-'));
}

bool parseInt(const QString &text, int *value)
{
    bool ok = false;
    const int v = text.toInt(&ok);
    if (ok)
        *value = v;
    return ok;
}

struct ParseProblem
{
    QString message;
    // A bad value of the CI gates is one stderr line: a CI log should show
    // the reason, not the whole usage text.
    bool showUsage = true;
};

std::optional<ParseProblem> parse(const QStringList &args, CompareOptions &o)
{
    CommandLine line;
    line.option({"--baseline"}, tr("--baseline needs a value: first, previous or a snapshot number"))
        .option({"--top"}, tr("--top needs a number"))
        .flag({"--all"})
        .flag({"--json"})
        .flag({"--pretty"})
        .flag({"--csv"})
        .flag({"--by-test"})
        .option({"-o", "--output"}, tr("%1 needs a file name"), true)
        .optionalValue("--fail-on-suspect", [](const QString &next) { return !looksLikeInputFile(next); })
        .option({"--fail-on-growth"}, tr("--fail-on-growth needs a number of objects (a positive integer)"))
        .option({"--growth-filter"}, tr("--growth-filter needs a regular expression"));
    if (!line.parse(args)) {
        // A bad value of the CI gates is one stderr line.
        const bool gate = line.errorOption() == QLatin1String("--fail-on-growth")
            || line.errorOption() == QLatin1String("--growth-filter");
        return ParseProblem{line.error(), !gate};
    }
    o.help = line.help();
    o.files = line.positional();
    if (line.has("--baseline")) {
        const QString value = line.value("--baseline");
        if (value == QLatin1String("first")) {
            o.baselineMode = BaselineMode::First;
        } else if (value == QLatin1String("previous")) {
            o.baselineMode = BaselineMode::Previous;
        } else {
            QString error;
            const std::optional<int> index = CommandLine::snapshotIndex(QStringLiteral("--baseline"), value, &error);
            if (!index)
                return ParseProblem{tr("--baseline: '%1' is not first, previous or a snapshot number (1, 2, ...)")
                                        .arg(TextFormat::escape(value))};
            o.baselineMode = BaselineMode::Index;
            o.baselineIndex = *index;
        }
    }
    if (line.has("--top")) {
        const QString value = line.value("--top");
        if (!parseInt(value, &o.top) || o.top < 1)
            return ParseProblem{tr("--top: '%1' is not a positive number").arg(value)};
        o.topGiven = true;
    }
    o.all = line.has("--all");
    o.json = line.has("--json");
    o.pretty = line.has("--pretty");
    o.csv = line.has("--csv");
    o.byTest = line.has("--by-test");
    o.output = line.value("--output");
    o.failOnSuspect = line.has("--fail-on-suspect");
    o.failPattern = line.value("--fail-on-suspect");
    if (line.has("--fail-on-growth")) {
        const QString value = line.value("--fail-on-growth");
        if (!parseInt(value, &o.growthThreshold) || o.growthThreshold < 1)
            return ParseProblem{tr("--fail-on-growth: '%1' is not a positive number of objects").arg(value), false};
    }
    o.growthFilterGiven = line.has("--growth-filter");
    o.growthFilter = line.value("--growth-filter");
    if (o.help)
        return std::nullopt;
    if (o.json && o.csv)
        return ParseProblem{tr("--json and --csv cannot be used together")};
    if (o.pretty && !o.json)
        return ParseProblem{tr("--pretty only applies to --json")};
    if (o.byTest && (o.csv || o.failOnSuspect || o.growthThreshold > 0 || o.baselineMode != BaselineMode::First ||
                     o.topGiven || o.all || o.pretty || !o.output.isEmpty()))
        return ParseProblem{tr("--by-test takes only --json")};
    if (o.growthFilterGiven && o.growthThreshold == 0)
        return ParseProblem{tr("--growth-filter only applies to --fail-on-growth N"), false};
    if (o.files.isEmpty())
        return ParseProblem{tr("compare needs at least one file")};
    return std::nullopt;
}

QString describeSnapshot(const Session &session, int index)
{
    const SnapshotInfo &info = session.snapshot(index).info;
    const QString label =
        info.label.isEmpty() ? tr("no label") : QLatin1Char('"') + TextFormat::escape(info.label) + QLatin1Char('"');
    const QString time = info.takenAt.isValid() ? TextFormat::localTime(info.takenAt) : tr("no time");
    return QStringLiteral("%1 (%2, %3)").arg(index + 1).arg(label, time);
}

QString sizeCell(qint64 bytes, bool known, bool isDelta)
{
    if (!known)
        return QStringLiteral("-");
    return isDelta ? TextFormat::signedSize(bytes) : TextFormat::size(bytes);
}

QString renderTable(const Session &session, const Comparison &comparison, const std::vector<GrowthRow> &rows,
                    int fileCount, int hidden, int total)
{
    const SnapshotInfo &current = session.snapshot(comparison.current).info;
    const SnapshotInfo &baseline = session.snapshot(comparison.baseline).info;
    const bool sizesKnown = current.hasSizes && baseline.hasSizes;

    QString out = tr("Comparing snapshot %1 against %2 — %3 snapshots from %4 files\n")
                      .arg(describeSnapshot(session, comparison.current), describeSnapshot(session, comparison.baseline))
                      .arg(session.snapshotCount())
                      .arg(fileCount);
    if (fileCount == 1)
        out.replace(QStringLiteral(" from 1 files\n"), QStringLiteral(" from 1 file\n"));

    if (rows.empty()) {
        out += tr("No type changed (%1 types unchanged; --all shows them).\n").arg(total);
        return out;
    }

    // The first three columns are objgraph's show_growth line,
    // '%-*s%9d %+9d' % (width, name, count, delta), with the name column as
    // wide as the longest name shown.
    qsizetype width = QStringLiteral("type").size();
    for (const GrowthRow &r : rows)
        width = std::max(width, TextFormat::escape(session.types().name(r.type)).size());
    auto objgraphPart = [width](const QString &name, const QString &count, const QString &delta) -> QString {
        return name.leftJustified(width) + count.rightJustified(9) + QLatin1Char(' ') + delta.rightJustified(9);
    };

    // objgraph part, Δ first, size, Δ size, suspect, score, reason
    TextTable table({TextTable::Left, TextTable::Right, TextTable::Right, TextTable::Right, TextTable::Left,
                     TextTable::Right, TextTable::Left});
    table.addRow({objgraphPart(QStringLiteral("type"), tr("count"), tr("delta")), tr("Δ first"), tr("size"),
                  tr("Δ size"), tr("suspect"), tr("score"), tr("reason")});
    for (const GrowthRow &r : rows) {
        table.addRow({objgraphPart(TextFormat::escape(session.types().name(r.type)), QString::number(r.count),
                                   TextFormat::signedNumber(r.deltaBaseline)),
                      TextFormat::signedNumber(r.deltaFirst), sizeCell(r.size, sizesKnown, false),
                      sizeCell(r.deltaSize, sizesKnown, true),
                      r.verdict.suspect ? (r.verdict.byBytes ? tr("SUSPECT (bytes)") : QStringLiteral("SUSPECT")) : QString(), QString::number(r.verdict.score, 'f', 0),
                      SuspectDetector::reasonText(r.verdict)});
    }
    out += table.render();
    if (hidden > 0 || int(rows.size()) + hidden < total)
        out += tr("(%1 of %2 types shown; --all shows every type, --top N more rows)\n").arg(rows.size()).arg(total);
    return out;
}

// Writes the JSON or CSV (or, with -o, the table text) to -o FILE or stdout.
bool writeOutput(const CompareOptions &o, const Session &session, const Comparison &comparison, const QString &text,
                 QString *error, const ComparisonExport::ExtraMembers &extra)
{
    std::unique_ptr<QFileDevice> device;
    QSaveFile *saveFile = nullptr;
    if (!o.output.isEmpty()) {
        auto file = std::make_unique<QSaveFile>(o.output);
        saveFile = file.get();
        device = std::move(file);
        if (!device->open(QIODevice::WriteOnly)) {
            *error = tr("cannot write %1: %2").arg(o.output, device->errorString());
            return false;
        }
    } else {
        std::fflush(stdout);
        auto file = std::make_unique<QFile>();
        if (!file->open(stdout, QIODevice::WriteOnly | QIODevice::Unbuffered, QFileDevice::DontCloseHandle)) {
            *error = tr("cannot write to stdout: %1").arg(file->errorString());
            return false;
        }
        device = std::move(file);
    }
    bool ok = true;
    QString reason;
    if (o.json) {
        JsonWriter w(device.get(), o.pretty ? JsonWriter::Indented : JsonWriter::Compact);
        ComparisonExport::writeJson(w, session, comparison, extra);
        ok = w.finish();
        reason = w.errorString();
        if (ok && !o.pretty)
            ok = device->write("\n", 1) == 1; // a terminal's prompt on its own line
    } else if (o.csv) {
        ok = ComparisonExport::writeCsv(device.get(), session, comparison);
    } else {
        const QByteArray bytes = text.toUtf8();
        ok = device->write(bytes) == bytes.size();
    }
    if (!ok && reason.isEmpty())
        reason = device->errorString();
    if (saveFile) {
        if (ok && !saveFile->commit()) {
            ok = false;
            reason = saveFile->errorString();
        }
        if (!ok)
            saveFile->cancelWriting();
    } else {
        device->close();
    }
    if (!ok)
        *error = tr("cannot write %1: %2").arg(saveFile ? o.output : tr("to stdout"), reason);
    return ok;
}

} // namespace

QString CompareCommand::usage()
{
    return tr("Usage: leakscope-cli compare [options] FILE...\n"
              "\n"
              "Reads .lsnap files and objgraph outputs, merges them in time order and compares\n"
              "the last snapshot against a baseline, like objgraph.show_growth().\n"
              "\n"
              "Options:\n"
              "  --baseline first|previous|N  baseline snapshot (default first; N numbers the\n"
              "                               merged session's snapshots from 1, as the\n"
              "                               window's timeline and `info` do)\n"
              "  --top N                      show at most N rows (default 20)\n"
              "  --all                        show every type, unchanged ones too\n"
              "  --json                       print the comparison as compact JSON (all types\n"
              "                               unless --top), written as it is formatted\n"
              "  --pretty                     with --json: indent the JSON\n"
              "  --csv                        print the comparison as CSV (all types unless --top)\n"
              "  --fail-on-suspect [REGEX]    exit 3 when a suspect type or container (its type,\n"
              "                               name or holder matching REGEX) is found;\n"
              "                               the next argument is REGEX unless it is an existing\n"
              "                               path, ends in .lsnap or starts with '-'\n"
              "                               (--fail-on-suspect=REGEX is always a REGEX)\n"
              "  --fail-on-growth N           exit 3 when a type's count grew by at least N objects\n"
              "                               from the baseline to the last snapshot (the delta column),\n"
              "                               or a container by at least N items\n"
              "  --growth-filter REGEX        only types matching REGEX count for --fail-on-growth\n"
              "  -o, --output FILE            write the table, JSON or CSV to FILE instead of\n"
              "                               stdout; FILE appears only when complete\n"
              "  --by-test                    one row per leaking test of the pytest plugin's\n"
              "                               snapshots (test, type, growth per run, reason);\n"
              "                               takes --json too\n"
              "  -h, --help                   show this help\n");
}

int CompareCommand::run(const QStringList &arguments, CliOutput &io)
{
    CompareOptions o;
    if (const std::optional<ParseProblem> problem = parse(arguments, o)) {
        io.error(problem->message);
        if (problem->showUsage)
            io.err += usage();
        return 2;
    }
    if (o.help) {
        io.out += usage();
        return 0;
    }
    QRegularExpression failRe;
    if (!o.failPattern.isEmpty()) {
        failRe.setPattern(o.failPattern);
        if (!failRe.isValid()) {
            io.error(tr("--fail-on-suspect: invalid regular expression '%1': %2").arg(o.failPattern, failRe.errorString()));
            return 2;
        }
    }

    QRegularExpression growthRe;
    if (o.growthFilterGiven) {
        growthRe.setPattern(o.growthFilter);
        if (!growthRe.isValid()) {
            io.error(tr("--growth-filter: invalid regular expression '%1': %2").arg(o.growthFilter, growthRe.errorString()));
            return 2;
        }
    }

    // The snapshots' meta_json objects only for --by-test (the pytest key).
    Expected<Session> read = InputFiles::readSession(o.files, o.byTest);
    if (!read) {
        io.error(read.error());
        return 2;
    }
    const Session &session = read.value();
    if (o.byTest) {
        ByTestReport::print(session, int(o.files.size()), o.json, io);
        return 0;
    }
    const int current = session.snapshotCount() - 1;
    const int baseline = GrowthAnalysis::resolveBaseline(session, o.baselineMode, o.baselineIndex, current);
    if (baseline < 0) {
        io.error(tr("--baseline %1 is out of range: the files hold %2 snapshots (1..%2)")
                     .arg(o.baselineIndex + 1)
                     .arg(session.snapshotCount()));
        return 2;
    }

    Comparison comparison = GrowthAnalysis::compare(session, baseline, current);
    GrowthAnalysis::sortForReport(comparison.rows, session);
    const ContainersReport containers(session, baseline, current);

    bool suspectFound = false;
    for (const GrowthRow &r : comparison.rows) {
        if (!r.verdict.suspect)
            continue;
        if (o.failPattern.isEmpty() || failRe.match(session.types().name(r.type)).hasMatch()) {
            suspectFound = true;
            break;
        }
    }

    if (o.failOnSuspect && !suspectFound)
        suspectFound = !containers.suspectMatching(o.failPattern.isEmpty() ? nullptr : &failRe).isEmpty();

    // The worst offender among all types, before --top trims the rows.
    const GrowthRow *worstGrowth = nullptr;
    if (o.growthThreshold > 0) {
        for (const GrowthRow &r : comparison.rows) {
            if (r.deltaBaseline < o.growthThreshold || (worstGrowth && r.deltaBaseline <= worstGrowth->deltaBaseline))
                continue;
            if (o.growthFilterGiven && !growthRe.match(session.types().name(r.type)).hasMatch())
                continue;
            worstGrowth = &r;
        }
    }
    QString growthMessage;
    if (worstGrowth)
        growthMessage = tr("%1 grew by %2 (>= %3) from snapshot %4 to %5")
                            .arg(session.types().name(worstGrowth->type))
                            .arg(worstGrowth->deltaBaseline)
                            .arg(o.growthThreshold)
                            .arg(comparison.baseline + 1)
                            .arg(comparison.current + 1);

    if (growthMessage.isEmpty() && o.growthThreshold > 0)
        growthMessage = containers.growthAtLeast(o.growthThreshold, o.growthFilterGiven ? &growthRe : nullptr);

    const int total = int(comparison.rows.size());
    QString text;
    if (o.json || o.csv) {
        if (o.topGiven && int(comparison.rows.size()) > o.top)
            comparison.rows.resize(size_t(o.top));
    } else {
        std::vector<GrowthRow> shown;
        int hidden = 0;
        // Against itself every delta is 0; show the most common types then,
        // as objgraph.show_most_common_types() would.
        const bool againstItself = comparison.baseline == comparison.current;
        for (const GrowthRow &r : comparison.rows) {
            if (!o.all && !againstItself && r.deltaBaseline == 0 && !r.verdict.suspect) {
                ++hidden;
                continue;
            }
            shown.push_back(r);
        }
        const bool limit = o.topGiven || !o.all;
        if (limit && int(shown.size()) > o.top)
            shown.resize(size_t(o.top));
        text = renderTable(session, comparison, shown, int(o.files.size()), hidden, total);
        text += containers.text(o.top, o.all);
    }
    if (o.output.isEmpty() && !(o.json || o.csv)) {
        io.out += text;
    } else {
        // JSON and CSV go out as they are formatted, never whole in memory;
        // -o FILE through a QSaveFile, so FILE appears only when complete.
        QString writeError;
        if (!writeOutput(o, session, comparison, text, &writeError, [&containers](JsonWriter &w) { containers.writeJsonMembers(w); })) {
            io.error(writeError);
            return 2;
        }
    }
    if (!growthMessage.isEmpty())
        io.error(growthMessage);
    return (o.failOnSuspect && suspectFound) || !growthMessage.isEmpty() ? 3 : 0;
}

} // namespace leakscope
