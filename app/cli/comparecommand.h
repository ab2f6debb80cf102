#pragma once

#include "cli/clioutput.h"

#include <QStringList>

namespace leakscope {

// `leakscope-cli compare`: growth of the last snapshot against a baseline,
// as a show_growth-shaped table, JSON or CSV.
class CompareCommand
{
public:
    static QString usage();
    static int run(const QStringList &arguments, CliOutput &io);
};

} // namespace leakscope
