#include "cli/recordcommand.h"


#include "live/agentinstaller.h"
#include "cli/childprocess.h"
#include "cli/reportcommand.h"
#include "core/growth.h"
#include "cli/commandline.h"
#include "live/pythoncommand.h"
#include "lsnap/snapshotreader.h"
#include "cli/textformat.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

#include <cmath>
#include <optional>

#include <unistd.h>

namespace leakscope {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("RecordCommand", text);
}

struct RecordArguments
{
    QString output;
    RecordOptions options;
    bool help = false;
    QStringList command;
};

std::optional<QString> parse(const QStringList &args, RecordArguments &r)
{
    CommandLine line;
    line.optionsEndAtFirstPositional()
        .option({"-o", "--output"}, tr("%1 needs a file name"), true)
        .option({"--every"}, tr("--every needs a number of seconds"))
        .flag({"--no-collect"})
        .flag({"--no-serve"})
        .flag({"--graph"})
        // FRAMES is optional: the next argument is it only when it is a number.
        .optionalValue("--trace", [](const QString &next) {
            bool isNumber = false;
            next.toInt(&isNumber);
            return isNumber;
        });
    if (!line.parse(args))
        return line.error();
    r.help = line.help();
    if (r.help)
        return std::nullopt;
    r.output = line.value("--output");
    if (line.has("--every")) {
        const QString value = line.value("--every");
        bool ok = false;
        const double every = value.toDouble(&ok);
        if (!ok || !std::isfinite(every) || every < 0)
            return tr("--every: '%1' is not a number of seconds").arg(value);
        r.options.every = every;
    }
    r.options.collect = !line.has("--no-collect");
    r.options.serve = !line.has("--no-serve");
    r.options.graph = line.has("--graph");
    if (line.has("--trace")) {
        r.options.trace = 16;
        const QString value = line.value("--trace");
        if (!value.isEmpty() || args.contains(QStringLiteral("--trace="))) {
            bool ok = false;
            const int frames = value.toInt(&ok);
            if (!ok || frames < 1 || frames > 1000)
                return tr("--trace: '%1' is not a number of frames from 1 to 1000").arg(value);
            r.options.trace = frames;
        }
    }
    r.command = line.positional();
    if (r.command.isEmpty() && !r.help)
        return tr("record needs a command to run, e.g. record -- python3 script.py");
    return std::nullopt;
}

QString summarise(const QString &path, qint64 pid)
{
    const QString prefix = QStringLiteral("leakscope: ");
    if (!QFileInfo::exists(path))
        return prefix
            + tr("no snapshots recorded: %1 was not written (was the command a Python program? "
                 "python -I, -E and -S skip the agent)\n")
                  .arg(path);
    Expected<LoadedFile> file = SnapshotReader::read(path);
    if (!file)
        return prefix + file.error() + QLatin1Char('\n');
    Session session;
    session.addFile(file.value());
    const int n = session.snapshotCount();
    int ours = 0;
    for (int i = 0; i < n; ++i)
        if (session.snapshot(i).info.pid == pid)
            ++ours;
    QString out = prefix + tr("%1 snapshots in %2").arg(n).arg(path);
    if (ours != n)
        out += tr(" (%1 from this run)").arg(ours);
    out += QLatin1Char('\n');
    if (n < 2)
        return out;
    // The leak report's text form: every leak, user types before the
    // builtins they explain (folded under them when the run has graphs).
    out += ReportCommand::build(session, {path}, 0, n - 1).toText();
    return out;
}

} // namespace

QString RecordCommand::usage()
{
    return tr("Usage: leakscope-cli record [options] [--] COMMAND [ARGS...]\n"
              "\n"
              "Runs COMMAND (python3 script.py, python3 -m module, or a console script such as\n"
              "pytest) with the Leakscope agent injected through sitecustomize, and records\n"
              "snapshots of the first Python process it starts: one at start, one every S\n"
              "seconds, one at exit. stdin, stdout and stderr are the command's; its exit code\n"
              "is passed through (128+N when signal N ended it, 127 when it was not found).\n"
              "\n"
              "Options:\n"
              "  -o, --output FILE  .lsnap file to record into (appended to if it exists);\n"
              "                     default ./leakscope-<prog>-<pid>.lsnap, where prog is the\n"
              "                     script, module or command name and pid the command's pid\n"
              "  --every S          also take a snapshot every S seconds (fractions allowed)\n"
              "  --no-collect       do not run gc.collect() before each census\n"
              "  --no-serve         do not start the live server in the recorded process\n"
              "  --graph            also store the heap graph with every snapshot (for chain,\n"
              "                     backrefs and retained; larger files, longer pauses)\n"
              "  --trace [FRAMES]   start tracemalloc before the program's first line, FRAMES\n"
              "                     frames per call stack (default 16, 1 to 1000), and store\n"
              "                     where new objects were allocated (see `allocations`)\n"
              "  -h, --help         show this help\n");
}

int RecordCommand::run(const QStringList &arguments, CliOutput &io)
{
    RecordArguments r;
    if (const std::optional<QString> problem = parse(arguments, r)) {
        io.error(*problem);
        io.err += usage();
        return 2;
    }
    if (r.help) {
        io.out += usage();
        return 0;
    }
    const QProcessEnvironment base = QProcessEnvironment::systemEnvironment();
    const QString program = PythonCommand::findExecutable(r.command.first(), base);
    if (program.isEmpty()) {
        io.error(tr("%1: command not found").arg(r.command.first()));
        return 127;
    }
    const QFileInfo programInfo(program);
    if (programInfo.isDir() || !programInfo.isExecutable()) {
        io.error(programInfo.isDir() ? tr("%1: is a directory").arg(program) : tr("%1: permission denied").arg(program));
        return 126;
    }

    // Absolute, because the program may change its directory before the
    // final snapshot is written.
    QString outputPrefix;
    QString outputSuffix;
    if (!r.output.isEmpty()) {
        r.options.output = QDir::cleanPath(QDir::current().absoluteFilePath(r.output));
        const QFileInfo dir(QFileInfo(r.options.output).absolutePath());
        if (!dir.isDir()) {
            io.error(tr("%1: no such directory").arg(dir.filePath()));
            return 2;
        }
        if (QFileInfo(r.options.output).isDir()) {
            io.error(tr("%1: is a directory").arg(r.options.output));
            return 2;
        }
    } else {
        outputPrefix = QDir::current().absoluteFilePath(QStringLiteral("leakscope-")
                                                        + PythonCommand::programName(r.command) + QLatin1Char('-'));
        outputSuffix = QStringLiteral(".lsnap");
    }

    Expected<AgentInstall> install = AgentInstaller::install();
    if (!install) {
        io.error(install.error());
        return 2;
    }

    // The output variable is added by ChildProcess when the name carries
    // the child's pid; recordEnvironment() sets it to a placeholder first.
    QProcessEnvironment env = AgentInstaller::recordEnvironment(base, install.value(), r.options);
    ChildProcess::Spec spec;
    spec.program = QFile::encodeName(program);
    for (const QString &a : r.command)
        spec.arguments << QFile::encodeName(a);
    const QString outputKey = QStringLiteral("LEAKSCOPE_RECORD_OUTPUT");
    if (r.options.output.isEmpty()) {
        env.remove(outputKey);
        spec.hasPidEntry = true;
        spec.pidEnvPrefix = QFile::encodeName(outputKey + QLatin1Char('=') + outputPrefix);
        spec.pidEnvSuffix = QFile::encodeName(outputSuffix);
    }
    // The user's variables go through byte for byte (QProcessEnvironment
    // would re-encode values that are not valid in the locale); only the
    // ones the agent needs are replaced.
    auto ours = [](const QByteArray &key) {
        return key == "PYTHONPATH" || key == "LEAKSCOPE_BOOT_DIR" || key.startsWith("LEAKSCOPE_RECORD_");
    };
    for (char **e = environ; e && *e; ++e) {
        const QByteArray entry(*e);
        const qsizetype eq = entry.indexOf('=');
        if (eq <= 0 || !ours(entry.left(eq)))
            spec.environment << entry;
    }
    const QStringList keys = env.keys();
    for (const QString &key : keys)
        if (ours(QFile::encodeName(key)))
            spec.environment << QFile::encodeName(key + QLatin1Char('=') + env.value(key));

    io.flush();
    Expected<qint64> pid = ChildProcess::start(spec);
    if (!pid) {
        io.error(pid.error());
        return 2;
    }
    const int exitCode = ChildProcess::wait(pid.value());
    const QString output = r.options.output.isEmpty()
        ? outputPrefix + QString::number(pid.value()) + outputSuffix
        : r.options.output;
    io.err += summarise(output, pid.value());
    return exitCode;
}

} // namespace leakscope
