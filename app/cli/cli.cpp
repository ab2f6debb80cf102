#include "cli/cli.h"

#include "cli/attachcommand.h"
#include "cli/clioutput.h"
#include "cli/comparecommand.h"
#include "cli/allocationscommand.h"
#include "cli/reportcommand.h"
#include "cli/backrefscommand.h"
#include "cli/chaincommand.h"
#include "cli/retainedcommand.h"
#include "cli/importcommand.h"
#include "cli/infocommand.h"
#include "cli/livecommands.h"
#include "cli/recordcommand.h"
#include "cli/repaircommand.h"

#include <QCoreApplication>

#ifndef LEAKSCOPE_VERSION
#define LEAKSCOPE_VERSION "0.0.0"
#endif

namespace leakscope {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("Cli", text);
}

QString generalUsage()
{
    return tr("Usage: leakscope-cli COMMAND [options] [arguments]\n"
              "\n"
              "Finds memory leaks in Python programs by counting live objects per type across\n"
              "snapshots and reporting the types that keep growing.\n"
              "\n"
              "Commands:\n"
              "  record [-o FILE] [--every S] [--no-collect] [--no-serve] [--graph] -- COMMAND...\n"
              "                 run a Python program with the agent and record snapshots\n"
              "  compare [options] FILE...\n"
              "                 compare the last snapshot against a baseline (show_growth table,\n"
              "                 --json, --csv; --fail-on-suspect, --fail-on-growth N for CI;\n"
              "                 --by-test: the leaking tests of pytest --leakscope snapshots)\n"
              "  report FILE... [--baseline N] [--format text|markdown|html|json] [-o OUT]\n"
              "                 the leak report: one entry per leak, its chain and next step\n"
              "  info FILE...   describe files and their snapshots\n"
              "  import OBJGRAPH_FILE... -o FILE.lsnap\n"
              "                 convert objgraph output into a .lsnap file\n"
              "  ps             list the live Python processes whose agent serves\n"
              "  snapshot --pid PID -o FILE [--label L] [--graph]\n"
              "                 append one snapshot taken through a live agent's socket\n"
              "  chain (FILE | --pid PID) --type NAME [--snapshot N]\n"
              "                 shortest chain of references from a root to an instance of NAME\n"
              "  backrefs (FILE | --pid PID) --type NAME [--depth N] [--max-nodes N] [--skip-cycles]\n"
              "           (--dot OUT | --svg OUT | --png OUT)\n"
              "                 draw who refers to instances of NAME (from a heap graph)\n"
              "  retained FILE [--snapshot N] [--top N] [--by object|type] [--json]\n"
              "                 retained sizes from the heap graph's dominator tree\n"
              "  repair FILE... roll back an interrupted write (kill -9 during a write), keeping a backup\n"
              "  attach PID [--timeout S] [--unsafe-direct]\n"
              "                 load the agent into a running Python process (gdb) and serve\n"
              "  detach PID     stop the live server of that process's agent\n"
              "  help [COMMAND] show help for a command\n"
              "\n"
              "Options:\n"
              "  -h, --help     show this help\n"
              "  --version      show the version\n"
              "\n"
              "Exit codes: 0 ok, 2 bad usage or bad input, 3 suspect found (--fail-on-suspect)\n"
              "or growth over the threshold (--fail-on-growth), record: the command's own exit code.\n");
}

using Runner = int (*)(const QStringList &, CliOutput &);
using Usage = QString (*)();

struct Command
{
    const char *name;
    Runner run;
    Usage usage;
};

const Command s_commands[] = {
    {"record", &RecordCommand::run, &RecordCommand::usage},
    {"compare", &CompareCommand::run, &CompareCommand::usage},
    {"report", &ReportCommand::run, &ReportCommand::usage},
    {"info", &InfoCommand::run, &InfoCommand::usage},
    {"allocations", &AllocationsCommand::run, &AllocationsCommand::usage},
    {"import", &ImportCommand::run, &ImportCommand::usage},
    {"ps", &PsCommand::run, &PsCommand::usage},
    {"snapshot", &SnapshotCommand::run, &SnapshotCommand::usage},
    {"chain", &ChainCommand::run, &ChainCommand::usage},
    {"backrefs", &BackrefsCommand::run, &BackrefsCommand::usage},
    {"retained", &RetainedCommand::run, &RetainedCommand::usage},
    {"repair", &RepairCommand::run, &RepairCommand::usage},
    {"attach", &AttachCommand::run, &AttachCommand::usage},
    {"detach", &DetachCommand::run, &DetachCommand::usage},
};

const Command *findCommand(const QString &name)
{
    for (const Command &c : s_commands)
        if (name == QLatin1String(c.name))
            return &c;
    return nullptr;
}

int dispatch(const QStringList &arguments, CliOutput &io)
{
    if (arguments.isEmpty()) {
        io.err += generalUsage();
        return 2;
    }
    const QString &first = arguments.first();
    if (first == QLatin1String("-h") || first == QLatin1String("--help")) {
        io.out += generalUsage();
        return 0;
    }
    if (first == QLatin1String("--version") || first == QLatin1String("-V")) {
        io.out += QStringLiteral("leakscope-cli ") + QLatin1String(LEAKSCOPE_VERSION) + QLatin1Char('\n');
        return 0;
    }
    if (first == QLatin1String("help")) {
        if (arguments.size() == 1) {
            io.out += generalUsage();
            return 0;
        }
        const Command *c = findCommand(arguments.at(1));
        if (!c || arguments.size() > 2) {
            io.error(c ? tr("help takes one command name") : tr("unknown command '%1'").arg(arguments.at(1)));
            io.err += generalUsage();
            return 2;
        }
        io.out += c->usage();
        return 0;
    }
    if (const Command *c = findCommand(first))
        return c->run(arguments.mid(1), io);
    io.error(first.startsWith(QLatin1Char('-')) ? tr("unknown option '%1'").arg(first)
                                                : tr("unknown command '%1'").arg(first));
    io.err += generalUsage();
    return 2;
}

} // namespace

int runCli(const QStringList &arguments)
{
    CliOutput io;
    const int code = dispatch(arguments, io);
    io.flush();
    return code;
}

} // namespace leakscope
