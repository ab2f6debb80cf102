#pragma once

#include "cli/clioutput.h"

#include <QStringList>

namespace leakscope {

// `leakscope-cli ps`: one line per live agent of this user.
class PsCommand
{
public:
    static int run(const QStringList &arguments, CliOutput &io);
    static QString usage();
};

// `leakscope-cli snapshot --pid PID -o FILE [--label L]`: one census through
// the agent's socket, appended to FILE.
class SnapshotCommand
{
public:
    static int run(const QStringList &arguments, CliOutput &io);
    static QString usage();
};

} // namespace leakscope
