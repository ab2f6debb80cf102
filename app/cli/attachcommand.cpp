#include "cli/attachcommand.h"

#include "cli/agenttarget.h"
#include "cli/commandline.h"
#include "cli/textformat.h"
#include "live/agentattacher.h"
#include "live/agentdiscovery.h"

#include <QCoreApplication>
#include <QFileInfo>

#include <cstdio>

namespace leakscope {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("Cli", text);
}

} // namespace

QString AttachCommand::usage()
{
    return tr("Usage: leakscope-cli attach PID [--timeout S] [--unsafe-direct] [--verbose]\n"
              "\n"
              "Loads Leakscope's agent into the running Python 3.8+ process PID (started\n"
              "without Leakscope) and starts its live server; prints the socket path. Then\n"
              "ps, snapshot --pid, chain --pid, backrefs --pid and the window's live\n"
              "features work on it; `leakscope-cli detach PID` stops the server again.\n"
              "A process whose agent already serves is just connected to.\n"
              "\n"
              "How: gdb (Debian package `gdb`) stops the process, queues a call with\n"
              "Py_AddPendingCall and waits for the main thread to run it between two\n"
              "bytecodes; there it loads the agent (without touching sys.path) and starts\n"
              "the server thread, then leaves. Nothing else runs in the program's threads.\n"
              "\n"
              "  --timeout S      seconds to wait for that safe point (default 10). A main\n"
              "                   thread blocked in a C call (sleep, I/O, a long C loop)\n"
              "                   never reaches one: the attach then fails and leaves the\n"
              "                   process exactly as it was.\n"
              "  --unsafe-direct  load the agent right where the main thread stands\n"
              "                   (PyGILState_Ensure + PyRun_SimpleString from gdb): works\n"
              "                   while it sleeps or waits, but can crash or deadlock a\n"
              "                   process stopped inside the allocator or the interpreter.\n"
              "  --verbose        print each step on stderr\n"
              "\n"
              "Needs ptrace rights on the process: the same user, and\n"
              "/proc/sys/kernel/yama/ptrace_scope 0 (or root; CAP_SYS_PTRACE in containers).\n"
              "Exit codes: 0 attached (or already serving), 2 not attached (one line says why;\n"
              "the process was left as it was).\n");
}

int AttachCommand::run(const QStringList &arguments, CliOutput &io)
{
    CommandLine line;
    line.option({"--timeout"}).flag({"--unsafe-direct"}).flag({"--verbose", "-v"});
    if (!line.parse(arguments) || (!line.help() && line.positional().size() > 1)) {
        io.error(line.error().isEmpty() ? tr("unexpected argument '%1'").arg(TextFormat::escape(line.positional().at(1)))
                                        : line.error());
        io.err += usage();
        return 2;
    }
    if (line.help()) {
        io.out += usage();
        return 0;
    }
    if (line.positional().isEmpty()) {
        io.error(tr("attach needs a process id"));
        io.err += usage();
        return 2;
    }
    const Expected<qint64> parsed = AgentTarget::parsePid(line.positional().first(), QStringLiteral("attach"));
    if (!parsed) {
        io.error(parsed.error());
        return 2;
    }
    const qint64 pid = parsed.value();
    AttachOptions options;
    options.unsafeDirect = line.has("--unsafe-direct");
    const bool verbose = line.has("--verbose");
    if (line.has("--timeout")) {
        bool ok = false;
        options.timeoutSeconds = line.value("--timeout").toDouble(&ok);
        if (!ok || !(options.timeoutSeconds > 0) || options.timeoutSeconds > 86400) {
            io.error(tr("--timeout needs a positive number of seconds"));
            return 2;
        }
    }
    const Expected<QString> socket = AgentAttacher::attach(pid, options, [verbose](const QString &text) {
        if (verbose) {
            std::fputs(qPrintable(QStringLiteral("leakscope-cli: %1\n").arg(text)), stderr);
            std::fflush(stderr);
        }
    });
    if (!socket) {
        io.error(socket.error());
        return 2;
    }
    io.out += socket.value() + QLatin1Char('\n');
    // The agent follows the process's environment (docs/protocol.md); other
    // commands look where ours says.
    if (AgentDiscovery::socketPathForPid(pid) != socket.value())
        io.err += tr("leakscope-cli: note: the socket is outside %1 (the process has another LEAKSCOPE_SOCKET_DIR or "
                     "XDG_RUNTIME_DIR): set LEAKSCOPE_SOCKET_DIR=%2 for snapshot --pid and the other commands\n")
                      .arg(AgentDiscovery::socketDirectories().join(QStringLiteral(", ")),
                           QFileInfo(socket.value()).absolutePath());
    return 0;
}

QString DetachCommand::usage()
{
    return tr("Usage: leakscope-cli detach PID\n"
              "\n"
              "Asks the agent of process PID to stop its live server (op stop_server) and\n"
              "removes its socket. The program keeps running; `attach` starts it again.\n"
              "Exit codes: 0 stopped, 2 no agent serves there / the process is gone.\n");
}

int DetachCommand::run(const QStringList &arguments, CliOutput &io)
{
    CommandLine line;
    if (!line.parse(arguments) || (!line.help() && line.positional().size() != 1)) {
        io.error(line.error().isEmpty() ? tr("detach needs one process id") : line.error());
        io.err += usage();
        return 2;
    }
    if (line.help()) {
        io.out += usage();
        return 0;
    }
    const Expected<qint64> parsed = AgentTarget::parsePid(line.positional().first(), QStringLiteral("detach"));
    if (!parsed) {
        io.error(parsed.error());
        io.err += usage();
        return 2;
    }
    const qint64 pid = parsed.value();
    const Status stopped = AgentAttacher::detach(pid);
    if (!stopped) {
        io.error(stopped.error());
        return 2;
    }
    io.out += tr("process %1: live server stopped\n").arg(pid);
    return 0;
}

} // namespace leakscope
