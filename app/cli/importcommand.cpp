#include "cli/importcommand.h"

#include "cli/inputfiles.h"
#include "lsnap/snapshotwriter.h"

#include "cli/commandline.h"

#include <QCoreApplication>

namespace leakscope {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("ImportCommand", text);
}

} // namespace

QString ImportCommand::usage()
{
    return tr("Usage: leakscope-cli import OBJGRAPH_FILE... -o FILE.lsnap\n"
              "\n"
              "Reads objgraph outputs (a JSON dump of objgraph.typestats(), or a text log of\n"
              "objgraph.show_growth() calls; .lsnap files are accepted too) and writes their\n"
              "snapshots, in order, to a new .lsnap file. The file is written atomically and\n"
              "replaces FILE.lsnap if it exists.\n"
              "\n"
              "Options:\n"
              "  -o, --output FILE  the .lsnap file to write (required)\n"
              "  -h, --help         show this help\n");
}

int ImportCommand::run(const QStringList &arguments, CliOutput &io)
{
    CommandLine line;
    line.option({"-o", "--output"}, tr("%1 needs a file name"));
    if (const std::optional<int> done = line.parseFor(arguments, io, usage()))
        return *done;
    const QStringList inputs = line.positional();
    const QString output = line.value("--output");
    if (inputs.isEmpty() || output.isEmpty()) {
        io.error(inputs.isEmpty() ? tr("import needs at least one input file") : tr("import needs -o FILE.lsnap"));
        io.err += usage();
        return 2;
    }

    Expected<Session> read = InputFiles::readSession(inputs);
    if (!read) {
        io.error(read.error());
        return 2;
    }
    const Session &session = read.value();
    std::vector<const Snapshot *> snapshots;
    snapshots.reserve(size_t(session.snapshotCount()));
    for (int i = 0; i < session.snapshotCount(); ++i)
        snapshots.push_back(&session.snapshot(i));
    const Status written = SnapshotWriter::writeFile(output, snapshots, session.types());
    if (!written) {
        io.error(written.error());
        return 2;
    }
    io.out += tr("imported %1 snapshots from %2 files into %3\n").arg(session.snapshotCount()).arg(inputs.size()).arg(output);
    return 0;
}

} // namespace leakscope
