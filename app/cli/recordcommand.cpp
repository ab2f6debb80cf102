#include "cli/recordcommand.h"


#include "live/agentinstaller.h"
#include "cli/childprocess.h"
#include "cli/reportcommand.h"
#include "core/growth.h"
#include "cli/commandline.h"
#include "live/pythoncommand.h"
#include "lsnap/lsnapformat.h"
#include "lsnap/snapshotreader.h"
#include "cli/textformat.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryFile>

#include <cmath>
#include <csignal>
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

// Ok when `path` can be recorded into: an existing Leakscope file (or an
// empty one) we can open for writing, or a new file in a directory where we
// can create files (SQLite also puts its journal there). Otherwise one
// sentence naming the path, before anything is started.
Status checkOutput(const QString &path)
{
    const QFileInfo info(path);
    const QString dir = info.absolutePath();
    if (info.exists()) {
        if (!info.isFile())
            return Status::failure(tr("%1: not a regular file").arg(path));
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            return Status::failure(tr("%1: cannot be read (%2)").arg(path, file.errorString()));
        const QByteArray head = file.read(LsnapFormat::SqliteHeaderSize);
        file.close();
        if (!head.isEmpty()
            && (!LsnapFormat::isSqlite(head) || head.size() < LsnapFormat::SqliteHeaderSize
                || LsnapFormat::parseHeader(head).applicationId != LsnapFormat::ApplicationId))
            return Status::failure(tr("%1: not a Leakscope file; record only appends to its own files").arg(path));
        // Opened for writing without truncating: nothing changes.
        if (!file.open(QIODevice::ReadWrite | QIODevice::ExistingOnly))
            return Status::failure(tr("%1: cannot be written (%2)").arg(path, file.errorString()));
    }
    QTemporaryFile probe(dir + QStringLiteral("/.leakscope-probe-XXXXXX"));
    if (!probe.open())
        return Status::failure(tr("%1: cannot create files in %2 (%3)").arg(path, dir, probe.errorString()));
    return {};
}

// Why the script never ran, when it did not: missing, or a syntax error
// (checked by compiling it, isolated, with the same interpreter: none of the
// program's code runs). Empty when it ran, or when that cannot be told.
QString whyNotRun(const QString &interpreter, const QString &script, int exitCode)
{
    if (script.isEmpty() || exitCode == 0 || exitCode >= 126)
        return QString();
    if (!QFileInfo::exists(script))
        return tr("%1 was not found, so none of it ran").arg(TextFormat::escape(script));
    QProcess check;
    check.setProcessChannelMode(QProcess::SeparateChannels);
    check.start(interpreter, {QStringLiteral("-I"), QStringLiteral("-S"), QStringLiteral("-c"),
                              QStringLiteral("import sys\n"
                                             "p = sys.argv[1]\n"
                                             "try:\n"
                                             "    compile(open(p, 'rb').read(), p, 'exec')\n"
                                             "except SyntaxError as e:\n"
                                             "    print('%s: %s (line %s)' % (type(e).__name__, e.msg, e.lineno))\n"
                                             "except Exception:\n"
                                             "    pass\n"),
                              script});
    if (!check.waitForFinished(20000)) {
        check.kill();
        check.waitForFinished(2000);
        return QString();
    }
    const QString error = QString::fromUtf8(check.readAllStandardOutput()).trimmed();
    if (error.isEmpty() || error.contains(QLatin1Char('\n')))
        return QString();
    return tr("%1 did not run: %2").arg(TextFormat::escape(script), TextFormat::escape(error));
}

QString signalName(int signal)
{
    switch (signal) {
    case SIGKILL: return QStringLiteral("SIGKILL");
    case SIGTERM: return QStringLiteral("SIGTERM");
    case SIGINT: return QStringLiteral("SIGINT");
    case SIGSEGV: return QStringLiteral("SIGSEGV");
    case SIGABRT: return QStringLiteral("SIGABRT");
    case SIGHUP: return QStringLiteral("SIGHUP");
    default: return QStringLiteral("signal %1").arg(signal);
    }
}

struct RunOutcome
{
    QString path;
    qint64 pid = 0;
    int exitCode = 0;
    QString interpreter; // set when the command is a Python interpreter
    QString script;      // the script it runs, if any
    bool createdByRun = false;
};

QString summarise(const RunOutcome &run)
{
    const QString prefix = QStringLiteral("leakscope: ");
    const QString &path = run.path;
    const QString notRun = whyNotRun(run.interpreter, run.script, run.exitCode);
    if (!notRun.isEmpty()) {
        // The agent took its start and exit snapshots around nothing: they
        // would read as a recording of the program. A file this run created
        // holds nothing else, and goes.
        QString out = prefix + tr("nothing of the program was recorded: %1").arg(notRun);
        if (run.createdByRun && QFileInfo::exists(path) && QFile::remove(path))
            out += tr(" (%1 removed)").arg(TextFormat::escape(path));
        else if (QFileInfo::exists(path))
            out += tr(" (the snapshots this run added to %1 show only the interpreter starting and exiting)")
                       .arg(TextFormat::escape(path));
        return out + QLatin1Char('\n');
    }
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
    bool exitSnapshot = false;
    const SnapshotInfo *last = nullptr;
    for (int i = 0; i < n; ++i) {
        const SnapshotInfo &info = session.snapshot(i).info;
        if (info.pid != run.pid)
            continue;
        ++ours;
        last = &info;
        exitSnapshot = exitSnapshot || info.label == QLatin1String("exit");
    }
    QString out;
    if (!exitSnapshot) {
        const QString how = run.exitCode > 128 ? tr("was killed by %1").arg(signalName(run.exitCode - 128))
                                               : tr("ended without running its exit handlers (os._exit(), or "
                                                    "a crash)");
        out += prefix
            + tr("the program %1 before its exit snapshot: the last snapshot of this run is \"%2\" (%3 of %4)\n")
                  .arg(how)
                  .arg(last ? TextFormat::escape(last->label) : QStringLiteral("-"))
                  .arg(ours)
                  .arg(n);
    }
    out += prefix + tr("%1 snapshots in %2").arg(n).arg(path);
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
    // Refused before the program starts: a run whose snapshots cannot be
    // kept is a run for nothing.
    const QString checked = r.options.output.isEmpty() ? outputPrefix + QStringLiteral("PID") + outputSuffix
                                                       : r.options.output;
    if (const Status writable = checkOutput(checked); !writable) {
        io.error(tr("%1; nothing was started").arg(TextFormat::escape(writable.error())));
        return 2;
    }
    const bool existedBefore = !r.options.output.isEmpty() && QFileInfo::exists(r.options.output);

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
    RunOutcome run;
    run.path = output;
    run.pid = pid.value();
    run.exitCode = exitCode;
    run.createdByRun = !existedBefore && QFileInfo::exists(output);
    if (PythonCommand::isPythonInterpreter(r.command.first())) {
        run.interpreter = program;
        run.script = PythonCommand::script(r.command);
    }
    io.err += summarise(run);
    return exitCode;
}

} // namespace leakscope
