#pragma once

#include "cli/clioutput.h"

#include <QStringList>

namespace leakscope {

// `leakscope-cli chain (FILE | --pid PID) --type NAME [--snapshot N]`: the
// shortest chain of references from a root down to an instance of a type.
class ChainCommand
{
public:
    static QString usage();
    static int run(const QStringList &arguments, CliOutput &io);
};

} // namespace leakscope
