#include "cli/livecommands.h"

#include "live/agentclient.h"
#include "live/agentdiscovery.h"
#include "live/protocol.h"
#include "lsnap/snapshotreader.h"
#include "lsnap/snapshotwriter.h"
#include "cli/agenttarget.h"
#include "cli/commandline.h"
#include "cli/textformat.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QJsonObject>

#include <cmath>

namespace leakscope {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("Cli", text);
}

QString formatUptime(double seconds)
{
    if (seconds < 0 || !std::isfinite(seconds))
        return QStringLiteral("?");
    const qint64 s = qint64(seconds);
    if (s < 60)
        return QStringLiteral("%1s").arg(s);
    if (s < 3600)
        return QStringLiteral("%1m%2s").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
    if (s < 86400)
        return QStringLiteral("%1h%2m").arg(s / 3600).arg((s % 3600) / 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1d%2h").arg(s / 86400).arg((s % 86400) / 3600, 2, 10, QLatin1Char('0'));
}

// The agent's graph_dump reply ({"snapshot_id": N, "path": P}) checked
// against the file itself: a write is reported only when FILE holds
// snapshot N with a heap graph.
Expected<qint64> checkGraphDump(const QJsonObject &reply, const QString &path, qint64 pid)
{
    using R = Expected<qint64>;
    const Expected<qint64> reported = Protocol::parseGraphDump(reply, path, tr("pid %1").arg(pid));
    if (!reported)
        return reported;
    const qint64 id = reported.value();
    const Expected<LoadedFile> file = SnapshotReader::read(path);
    if (!file)
        return R::failure(tr("pid %1: the agent reported snapshot %2, but the file cannot be read back: %3")
                              .arg(pid)
                              .arg(id)
                              .arg(file.error()));
    for (const Snapshot &s : file.value().snapshots)
        if (s.info.id == id && s.info.hasGraph)
            return id;
    return R::failure(tr("pid %1: the agent reported snapshot %2, but %3 holds no such snapshot with a heap graph")
                          .arg(pid)
                          .arg(id)
                          .arg(path));
}

} // namespace

QString PsCommand::usage()
{
    return tr("Usage: leakscope-cli ps\n"
              "\n"
              "Lists the live Python processes of this user whose Leakscope agent serves\n"
              "(started by `leakscope-cli record`, `python3 -m leakscope_agent run`, or\n"
              "leakscope_agent.start_server()), one per line: pid, Python version, uptime,\n"
              "command line. Sockets left behind by processes that died are removed.\n"
              "Only a socket directory that is a real directory of yours with mode 0700,\n"
              "sockets of yours in it and agents running as you are used; anything else is\n"
              "named on stderr with the reason and left alone.\n");
}

int PsCommand::run(const QStringList &arguments, CliOutput &io)
{
    CommandLine line;
    if (!line.parse(arguments) || (!line.help() && !line.positional().isEmpty())) {
        io.error(line.error().isEmpty() ? tr("ps takes no arguments") : line.error());
        io.err += usage();
        return 2;
    }
    if (line.help()) {
        io.out += usage();
        return 0;
    }
    const AgentList found = AgentDiscovery::list(true, 2000);
    const std::vector<AgentEndpoint> &agents = found.agents;
    for (const QString &refusal : found.refused)
        io.err += tr("leakscope-cli: %1\n").arg(refusal);
    for (const AgentEndpoint &a : agents) {
        if (!a.error.isEmpty()) {
            io.out += QStringLiteral("%1  %2  %3  (%4)\n").arg(a.pid).arg(QStringLiteral("?"), QStringLiteral("?"), TextFormat::escape(a.error));
            continue;
        }
        io.out += QStringLiteral("%1  %2  %3  %4\n")
                      .arg(a.pid)
                      .arg(TextFormat::escape(a.python), formatUptime(a.uptimeSeconds), TextFormat::shellJoin(a.argv));
    }
    if (agents.empty())
        io.err += tr("leakscope-cli: no live agents (looked in %1)\n")
                      .arg(AgentDiscovery::socketDirectories().join(QStringLiteral(", ")));
    return 0;
}

QString SnapshotCommand::usage()
{
    return tr("Usage: leakscope-cli snapshot --pid PID -o FILE [--label L] [--graph] [--no-collect]\n"
              "                             [--timeout S]\n"
              "\n"
              "Asks the agent in process PID for a census (after gc.collect() unless\n"
              "--no-collect) and appends it to FILE as one snapshot (created if missing).\n"
              "--graph: the agent appends the snapshot with its whole heap graph itself\n"
              "         (for chain, backrefs and retained; the process pauses while it is\n"
              "         recorded, about 3 s per million objects).\n"
              "--timeout: seconds to wait for the census (default 120, 600 with --graph).\n"
              "Exit codes: 0 ok, 2 no agent / the process died / bad file.\n");
}

int SnapshotCommand::run(const QStringList &arguments, CliOutput &io)
{
    CommandLine line;
    line.option({"--pid"})
        .option({"-o", "--output"}, tr("%1 needs a file name"), true)
        .option({"--label"})
        .flag({"--no-collect"})
        .flag({"--graph"})
        .option({"--timeout"});
    if (!line.parse(arguments) || (!line.help() && !line.positional().isEmpty())) {
        io.error(line.error().isEmpty() ? tr("unexpected argument '%1'").arg(TextFormat::escape(line.positional().first()))
                                        : line.error());
        io.err += usage();
        return 2;
    }
    if (line.help()) {
        io.out += usage();
        return 0;
    }
    const QString output = line.value("--output");
    const QString label = line.value("--label");
    const bool collect = !line.has("--no-collect");
    const bool graph = line.has("--graph");
    double timeout = 0;
    if (line.has("--timeout")) {
        bool ok = false;
        timeout = line.value("--timeout").toDouble(&ok);
        if (!ok || !(timeout > 0)) {
            io.error(tr("--timeout needs a positive number of seconds"));
            return 2;
        }
    }
    if (!line.has("--pid") || output.isEmpty()) {
        io.error(tr("snapshot needs --pid PID and -o FILE"));
        io.err += usage();
        return 2;
    }
    const Expected<qint64> parsedPid = AgentTarget::parsePid(line.value("--pid"), QStringLiteral("--pid"));
    if (!parsedPid) {
        io.error(parsedPid.error());
        return 2;
    }
    const qint64 pid = parsedPid.value();
    const Expected<QString> target = AgentTarget::socketOf(pid);
    if (!target) {
        io.error(target.error());
        return 2;
    }
    const QString &socket = target.value();
    if (timeout <= 0)
        timeout = graph ? 600 : 120;
    const int timeoutMs = int(std::min(timeout, 86400.0) * 1000);
    if (graph) {
        // The agent writes the file itself (with the process's permissions,
        // which are the caller's): it needs an absolute path.
        const QString path = QFileInfo(output).absoluteFilePath();
        const Expected<QJsonObject> dumped =
            AgentClient::call(socket, Protocol::graphDump(path, label, collect), timeoutMs);
        if (!dumped) {
            io.error(tr("pid %1: %2").arg(pid).arg(dumped.error()));
            return 2;
        }
        const Expected<qint64> written = checkGraphDump(dumped.value(), path, pid);
        if (!written) {
            io.error(written.error());
            return 2;
        }
        io.out += tr("snapshot %1 of pid %2, with its heap graph, appended to %3\n")
                      .arg(written.value())
                      .arg(pid)
                      .arg(output);
        return 0;
    }
    const Expected<QJsonObject> census = AgentClient::call(socket, Protocol::census(collect, false, true), timeoutMs);
    if (!census) {
        io.error(tr("pid %1: %2").arg(pid).arg(census.error()));
        return 2;
    }
    Expected<LiveSnapshot> live = Protocol::parseCensus(census.value(), QStringLiteral("pid %1").arg(pid));
    if (!live) {
        io.error(live.error());
        return 2;
    }
    if (census.value().contains(QStringLiteral("pid")) && live.value().snapshot.info.pid != pid) {
        io.error(tr("pid %1: the agent's census says it comes from pid %2").arg(pid).arg(live.value().snapshot.info.pid));
        return 2;
    }
    live.value().snapshot.info.label = label;
    SnapshotWriter writer;
    const Status opened = writer.open(output);
    if (!opened) {
        io.error(opened.error());
        return 2;
    }
    const Expected<qint64> id = writer.append(live.value().snapshot, live.value().types);
    if (!id) {
        io.error(id.error());
        return 2;
    }
    io.out += tr("snapshot %1 of pid %2 appended to %3 (%4 objects, %5 types)\n")
                  .arg(id.value())
                  .arg(pid)
                  .arg(output)
                  .arg(live.value().snapshot.totalObjects())
                  .arg(live.value().snapshot.stats.size());
    return 0;
}

} // namespace leakscope
