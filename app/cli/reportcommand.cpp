#include "cli/reportcommand.h"

#include "cli/inputfiles.h"
#include "cli/commandline.h"
#include "core/growth.h"
#include "heapgraph/leakreportgraph.h"
#include "lsnap/heapgraphstore.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QSaveFile>

#include <optional>

namespace leakscope {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("ReportCommand", text);
}

struct ReportOptions
{
    int baseline = 1; // from 1, as the timeline shows
    bool baselineGiven = false;
    QString format = QStringLiteral("text");
    QString output;
    QStringList files;
    bool help = false;
};

std::optional<QString> parse(const QStringList &args, ReportOptions &o)
{
    CommandLine line;
    line.option({"--baseline"}, tr("--baseline needs a snapshot number (1 is the first, as the timeline shows)"))
        .option({"--format"}, tr("--format needs text, markdown, html or json"))
        .option({"-o", "--output"}, tr("%1 needs a file name"), true);
    if (!line.parse(args))
        return line.error();
    o.help = line.help();
    o.files = line.positional();
    if (line.has("--baseline")) {
        const QString value = line.value("--baseline");
        QString error;
        const std::optional<int> index = CommandLine::snapshotIndex(QStringLiteral("--baseline"), value, &error);
        if (!index)
            return error;
        o.baseline = *index + 1;
        o.baselineGiven = true;
    }
    if (line.has("--format")) {
        const QString value = line.value("--format");
        if (value != QLatin1String("text") && value != QLatin1String("markdown") && value != QLatin1String("html")
            && value != QLatin1String("json"))
            return tr("--format: '%1' is not text, markdown, html or json").arg(value);
        o.format = value;
    }
    o.output = line.value("--output");
    if (o.help)
        return std::nullopt;
    if (o.files.isEmpty())
        return tr("report needs at least one file");
    return std::nullopt;
}

} // namespace

LeakReport ReportCommand::build(const Session &session, const QStringList &files, int baseline, int current,
                                const TaskControl &control)
{
    return LeakReportGraph::build(session, files, baseline, current, HeapGraphStore::readArrays, control);
}

QString ReportCommand::usage()
{
    return tr("Usage: leakscope-cli report FILE... [--baseline N] [--format text|markdown|html|json] [-o OUT]\n"
              "\n"
              "The leak report: one entry per leak (a type or a container that keeps growing),\n"
              "never capped, user types before the builtins they explain. With heap graphs\n"
              "(record --graph), builtin suspects such as list, dict or method are folded under\n"
              "the user type or container that holds them, and each entry gets its chain from a\n"
              "root (from an instance new since the baseline) and its retained growth.\n"
              "\n"
              "Options:\n"
              "  --baseline N      compare the last snapshot against snapshot N (1 is the\n"
              "                    first, as the timeline and `info` number them; default 1)\n"
              "  --format F        text (default), markdown, html (one self-contained page with\n"
              "                    inline SVG of each chain and trend) or json\n"
              "  -o, --output OUT  write the report to OUT (atomically) instead of stdout\n"
              "  -h, --help        show this help\n"
              "\n"
              "Exit codes: 0 ok (leaks or not), 2 bad usage or unreadable file.\n");
}

int ReportCommand::run(const QStringList &arguments, CliOutput &io)
{
    ReportOptions o;
    if (const std::optional<QString> problem = parse(arguments, o)) {
        io.error(*problem);
        io.err += usage();
        return 2;
    }
    if (o.help) {
        io.out += usage();
        return 0;
    }
    if (!o.output.isEmpty()) {
        const QFileInfo out(QDir::current().absoluteFilePath(o.output));
        if (out.isDir()) {
            io.error(tr("%1: is a directory").arg(o.output));
            return 2;
        }
        if (!QFileInfo(out.absolutePath()).isDir()) {
            io.error(tr("%1: no such directory").arg(out.absolutePath()));
            return 2;
        }
    }
    Expected<Session> read = InputFiles::readSession(o.files);
    if (!read) {
        io.error(read.error());
        return 2;
    }
    const Session &session = read.value();
    const int current = session.snapshotCount() - 1;
    if (o.baseline > session.snapshotCount()) {
        io.error(tr("--baseline %1 is out of range: the files hold %2 snapshots (1..%2)")
                     .arg(o.baseline)
                     .arg(session.snapshotCount()));
        return 2;
    }
    const LeakReport report = build(session, o.files, o.baseline - 1, current);
    QByteArray bytes;
    if (o.format == QLatin1String("json"))
        bytes = report.toJson();
    else if (o.format == QLatin1String("markdown"))
        bytes = report.toMarkdown().toUtf8();
    else if (o.format == QLatin1String("html"))
        bytes = report.toHtml().toUtf8();
    else
        bytes = report.toText().toUtf8();

    if (o.output.isEmpty()) {
        io.exactOut = o.format != QLatin1String("text");
        io.out += QString::fromUtf8(bytes);
        return 0;
    }
    QSaveFile file(o.output);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit()) {
        io.error(tr("%1: cannot write: %2").arg(o.output, file.errorString()));
        return 2;
    }
    io.out += QCoreApplication::translate("ReportCommand", "%1: %2 report, %n leak(s)\n", nullptr, int(report.entries.size())).arg(o.output, o.format);
    return 0;
}

} // namespace leakscope
