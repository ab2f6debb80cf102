#include "cli/infocommand.h"

#include "cli/inputfiles.h"
#include "cli/textformat.h"
#include "cli/commandline.h"

#include <QCoreApplication>
#include <QJsonObject>

namespace leakscope {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("InfoCommand", text);
}

// Text from the file, escaped for the terminal.
QString orDash(const QString &s)
{
    return s.isEmpty() ? QStringLiteral("-") : TextFormat::escape(s);
}

// Which passes the agent ran (issue 17): "native" or "python" for the census,
// and for the heap graph when one was dumped with other passes; "-" when
// the file does not say (older agents, imports).
QString implementation(const SnapshotInfo &info)
{
    const QString &census = info.censusImpl;
    const QString &graph = info.graphImpl;
    QString text = orDash(census);
    if (!graph.isEmpty() && graph != census)
        text += tr(", graph %1").arg(TextFormat::escape(graph));
    return text;
}

QString describe(const LoadedFile &file)
{
    QString out;
    TextTable head({TextTable::Left, TextTable::Left}, QStringLiteral(" "));
    head.addRow({tr("file:"), TextFormat::escape(file.path)});
    head.addRow({tr("format:"), fileFormatName(file.format)});
    head.addRow({tr("version:"), file.format == FileFormat::Lsnap ? QString::number(file.formatVersion) : QStringLiteral("-")});
    head.addRow({tr("writer:"), orDash(file.fileMeta.value(QStringLiteral("writer")).toString())});
    const QString created = file.fileMeta.value(QStringLiteral("created_at")).toString();
    if (!created.isEmpty())
        head.addRow({tr("created:"), TextFormat::localTime(QDateTime::fromString(created, Qt::ISODate))});
    head.addRow({tr("snapshots:"), QString::number(file.snapshots.size())});
    out += head.render();
    if (file.snapshots.empty())
        return out;

    TextTable table({TextTable::Right, TextTable::Right, TextTable::Left, TextTable::Left, TextTable::Right,
                     TextTable::Right, TextTable::Right, TextTable::Right, TextTable::Left, TextTable::Left,
                     TextTable::Left});
    table.addRow({QStringLiteral("#"), tr("id"), tr("label"), tr("time"), tr("pid"), tr("objects"), tr("types"),
                  tr("RSS"), tr("python"), tr("impl"), tr("argv")});
    int number = 1; // as the window's timeline numbers them
    for (const Snapshot &s : file.snapshots) {
        const SnapshotInfo &i = s.info;
        QString label = orDash(i.label);
        if (i.partial)
            label += tr(" (partial)");
        if (i.hasGraph)
            label += tr(" [graph]");
        table.addRow({QString::number(number++), QString::number(i.id), label, TextFormat::localTime(i.takenAt),
                      i.pid > 0 ? QString::number(i.pid) : QStringLiteral("-"),
                      QString::number(i.listedObjects >= 0 ? i.listedObjects : s.totalObjects()),
                      QString::number(i.listedTypes >= 0 ? i.listedTypes : qint64(s.stats.size())), i.rss >= 0 ? TextFormat::size(i.rss) : QStringLiteral("-"),
                      orDash(i.pythonVersion), implementation(i), orDash(TextFormat::shellJoin(i.argv))});
    }
    out += table.render();
    return out;
}

} // namespace

QString InfoCommand::usage()
{
    return tr("Usage: leakscope-cli info FILE...\n"
              "\n"
              "Prints each file's format, format version, writer and number of snapshots, and one\n"
              "line per snapshot: its number (# from 1, as the window's timeline shows; what\n"
              "--snapshot and --baseline take), id, label, time (local), pid, objects, types,\n"
              "RSS, Python version, impl (whether the agent's census ran its native or its\n"
              "pure-Python passes) and argv.\n");
}

int InfoCommand::run(const QStringList &arguments, CliOutput &io)
{
    CommandLine line;
    if (const std::optional<int> done = line.parseFor(arguments, io, usage()))
        return *done;
    const QStringList paths = line.positional();
    if (paths.isEmpty()) {
        io.error(tr("info needs at least one file"));
        io.err += usage();
        return 2;
    }
    // Only what it prints: per-snapshot totals, not the per-type rows.
    Expected<std::vector<LoadedFile>> files = InputFiles::readAll(paths, true);
    if (!files) {
        io.error(files.error());
        return 2;
    }
    QString out;
    bool first = true;
    for (const LoadedFile &f : files.value()) {
        if (!first)
            out += QLatin1Char('\n');
        first = false;
        out += describe(f);
    }
    io.out += out;
    return 0;
}

} // namespace leakscope
