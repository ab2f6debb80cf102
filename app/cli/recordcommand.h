#pragma once

#include "cli/clioutput.h"

#include <QStringList>

namespace leakscope {

// `leakscope-cli record`: runs a command with the agent injected through
// sitecustomize and summarises the recording when it ends.
class RecordCommand
{
public:
    static QString usage();
    static int run(const QStringList &arguments, CliOutput &io);
};

} // namespace leakscope
