#pragma once

#include "cli/clioutput.h"

#include <QStringList>

namespace leakscope {

// `leakscope-cli retained FILE [--snapshot N] [--top N] [--by object|type]
// [--json]`: retained sizes from the dominator tree.
class RetainedCommand
{
public:
    static QString usage();
    static int run(const QStringList &arguments, CliOutput &io);
};

} // namespace leakscope
