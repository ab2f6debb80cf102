#pragma once

#include "cli/clioutput.h"

#include <QStringList>

namespace leakscope {

// `leakscope-cli allocations FILE [--type NAME | --container ID] [--top N]
// [--json]`: where the new objects of a type or container were allocated,
// and the lines whose traced memory grew most (recorded with --trace).
class AllocationsCommand
{
public:
    static QString usage();
    static int run(const QStringList &arguments, CliOutput &io);
};

} // namespace leakscope
