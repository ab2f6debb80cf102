#pragma once

#include "cli/clioutput.h"

#include <QStringList>

namespace leakscope {

// `leakscope-cli attach PID [--timeout S] [--unsafe-direct]`: loads the agent
// into a running Python process and starts its live server.
class AttachCommand
{
public:
    static int run(const QStringList &arguments, CliOutput &io);
    static QString usage();
};

// `leakscope-cli detach PID`: stops the server of that process's agent.
class DetachCommand
{
public:
    static int run(const QStringList &arguments, CliOutput &io);
    static QString usage();
};

} // namespace leakscope
