#include "cli/allocationscommand.h"

#include "cli/inputfiles.h"
#include "cli/commandline.h"
#include "cli/textformat.h"
#include "core/allocations.h"

#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace leakscope {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("AllocationsCommand", text);
}

// The source line, when the file is a readable regular file of sensible size.
QString sourceLine(const QString &filename, int line, const QString &lsnapDir)
{
    if (line < 1 || filename.startsWith(QLatin1Char('<')))
        return QString();
    QFileInfo info(filename);
    if (info.isRelative() && !info.exists())
        info = QFileInfo(lsnapDir + QLatin1Char('/') + filename);
    if (!info.isFile() || info.size() > 16 * 1024 * 1024)
        return QString();
    QFile file(info.filePath());
    if (!file.open(QIODevice::ReadOnly))
        return QString();
    for (int i = 1; !file.atEnd(); ++i) {
        const QByteArray text = file.readLine(64 * 1024);
        if (i == line)
            return TextFormat::escape(QString::fromUtf8(text).trimmed());
    }
    return QString();
}

QJsonArray framesJson(const std::vector<AllocFrame> &frames)
{
    QJsonArray array;
    for (const AllocFrame &f : frames) {
        QJsonObject o;
        o.insert(QStringLiteral("file"), f.filename);
        o.insert(QStringLiteral("line"), f.lineno);
        o.insert(QStringLiteral("function"), f.function.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(f.function));
        array.append(o);
    }
    return array;
}

} // namespace

QString AllocationsCommand::usage()
{
    return tr("Usage: leakscope-cli allocations FILE [--type NAME | --container ID] [--top N] [--json]\n"
              "\n"
              "Where objects were allocated, in a file recorded with `record --trace`: the call\n"
              "stacks that created the new objects of a type (--type) or the new items of a\n"
              "container (--container, its id as `compare` lists it), grouped and counted, and\n"
              "the lines whose traced memory grew most from the first to the last snapshot.\n"
              "\n"
              "Options:\n"
              "  --type NAME       a type name as `compare` prints it (\"__main__.Item\", \"list\")\n"
              "  --container ID    a container's id (decimal, or hex as 0x...)\n"
              "  --top N           at most N stacks and N lines (default 10)\n"
              "  --json            print JSON\n"
              "  -h, --help        show this help\n");
}

int AllocationsCommand::run(const QStringList &arguments, CliOutput &io)
{
    QString file, type, containerText;
    int top = 10;
    bool json = false;
    CommandLine line;
    line.flag({"--json"})
        .option({"--type"}, tr("--type needs a type name"), true)
        .option({"--container"}, tr("--container needs a container id"), true)
        .option({"--top"}, tr("--top needs a positive number"));
    if (!line.parse(arguments)) {
        io.error(line.error());
        if (line.errorOption().isEmpty())
            io.err += usage();
        return 2;
    }
    if (line.help()) {
        io.out += usage();
        return 0;
    }
    if (line.positional().size() > 1) {
        io.error(tr("allocations takes one file"));
        io.err += usage();
        return 2;
    }
    file = line.positional().value(0);
    json = line.has("--json");
    type = line.value("--type");
    containerText = line.value("--container");
    if (line.has("--top")) {
        bool ok = false;
        top = line.value("--top").toInt(&ok);
        if (!ok || top < 1) {
            io.error(tr("--top needs a positive number"));
            return 2;
        }
    }
    if (file.isEmpty()) {
        io.error(tr("allocations needs a file"));
        io.err += usage();
        return 2;
    }
    if (!type.isEmpty() && !containerText.isEmpty()) {
        io.error(tr("--type and --container cannot be used together"));
        return 2;
    }
    QString subject = type;
    if (!containerText.isEmpty()) {
        bool ok = false;
        const qint64 id = containerText.startsWith(QLatin1String("0x"), Qt::CaseInsensitive)
            ? qint64(containerText.mid(2).toULongLong(&ok, 16))
            : containerText.toLongLong(&ok);
        if (!ok) {
            io.error(tr("--container: '%1' is not a container id").arg(containerText));
            return 2;
        }
        subject = QString::number(id);
    }

    Expected<Session> read = InputFiles::readSession({file});
    if (!read) {
        io.error(read.error());
        return 2;
    }
    const Session &session = read.value();
    const int current = session.snapshotCount() - 1;
    if (current < 0) {
        io.error(tr("%1 holds no snapshots").arg(file));
        return 2;
    }
    const AllocationReport report =
        AllocationAnalysis::analyze(session, 0, current, !containerText.isEmpty(), subject, top);
    const QString dir = QFileInfo(file).absolutePath();

    if (json) {
        io.exactOut = true;
        QJsonObject root;
        root.insert(QStringLiteral("file"), file);
        root.insert(QStringLiteral("traced"), report.traced);
        root.insert(QStringLiteral("baseline"), report.baseline + 1);
        root.insert(QStringLiteral("current"), report.current + 1);
        if (!report.traced)
            root.insert(QStringLiteral("message"), report.tablesPresent ? AllocationAnalysis::notTracedMessage()
                                                                          : AllocationAnalysis::predatesMessage());
        QJsonArray stacks, lines;
        for (const AllocationSite &s : report.stacks) {
            QJsonObject o;
            o.insert(QStringLiteral("objects"), double(s.objects));
            o.insert(QStringLiteral("frames"), framesJson(s.frames));
            stacks.append(o);
        }
        for (const AllocationSite &s : report.lines) {
            QJsonObject o;
            o.insert(QStringLiteral("file"), s.frames.front().filename);
            o.insert(QStringLiteral("line"), s.frames.front().lineno);
            o.insert(QStringLiteral("size_before"), double(s.sizeBefore));
            o.insert(QStringLiteral("size_after"), double(s.sizeAfter));
            o.insert(QStringLiteral("delta_size"), double(s.deltaSize));
            o.insert(QStringLiteral("delta_count"), double(s.deltaCount));
            o.insert(QStringLiteral("frames"), framesJson(s.frames));
            lines.append(o);
        }
        if (!subject.isEmpty()) {
            root.insert(QStringLiteral("subject"), subject);
            root.insert(QStringLiteral("stacks"), stacks);
            root.insert(QStringLiteral("objects_without_traceback"), double(report.objectsWithout));
            root.insert(QStringLiteral("fallback"), report.fallback);
            root.insert(QStringLiteral("note"), report.note.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(report.note));
        }
        root.insert(QStringLiteral("lines"), lines);
        io.out += QString::fromUtf8(QJsonDocument(root).toJson(QJsonDocument::Indented));
        return 0;
    }

    if (!report.traced) {
        io.out += file + QStringLiteral(": ")
            + (report.tablesPresent ? AllocationAnalysis::notTracedMessage() : AllocationAnalysis::predatesMessage())
            + QLatin1Char('\n');
        return 0;
    }
    QString out = tr("Allocations in %1, snapshot %2 to %3 (%4 frames per traceback)\n")
                      .arg(file)
                      .arg(report.baseline + 1)
                      .arg(report.current + 1)
                      .arg(report.frames);
    if (!subject.isEmpty()) {
        const QString what = containerText.isEmpty() ? tr("the new objects of %1").arg(TextFormat::escape(type))
                                                     : tr("the new items of container %1").arg(containerText);
        out += tr("\nWhere %1 were allocated:\n").arg(what);
        if (report.stacks.empty())
            out += QStringLiteral("  ") + report.note + QLatin1Char('\n');
        for (const AllocationSite &s : report.stacks) {
            out += QStringLiteral("  %1 objects\n").arg(s.objects);
            for (size_t d = 0; d < s.frames.size(); ++d) {
                out += QStringLiteral("    ") + TextFormat::escape(AllocationAnalysis::frameText(s.frames[d])) + QLatin1Char('\n');
                if (d == 0) {
                    const QString source = sourceLine(s.frames[d].filename, s.frames[d].lineno, dir);
                    if (!source.isEmpty())
                        out += QStringLiteral("        ") + source + QLatin1Char('\n');
                }
            }
        }
        if (report.objectsWithout > 0 && !report.stacks.empty())
            out += tr("  (%1 objects without a traceback)\n").arg(report.objectsWithout);
    }
    out += tr("\nLines whose traced memory grew most from snapshot %1 to %2:\n").arg(report.baseline + 1).arg(report.current + 1);
    if (report.lines.empty())
        out += tr("  none grew\n");
    TextTable table({TextTable::Right, TextTable::Right, TextTable::Left, TextTable::Left});
    for (const AllocationSite &s : report.lines) {
        const AllocFrame &f = s.frames.front();
        table.addRow({TextFormat::signedSize(s.deltaSize), tr("%1 blocks").arg(TextFormat::signedNumber(s.deltaCount)),
                      TextFormat::escape(AllocationAnalysis::frameText(f)), sourceLine(f.filename, f.lineno, dir)});
    }
    if (!report.lines.empty()) {
        const QString rendered = table.render();
        for (const QString &row : rendered.split(QLatin1Char('\n'), Qt::SkipEmptyParts))
            out += QStringLiteral("  ") + row + QLatin1Char('\n');
    }
    io.out += out;
    return 0;
}

} // namespace leakscope
