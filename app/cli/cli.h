#pragma once

#include <QStringList>

namespace leakscope {

// leakscope-cli: runs one subcommand with the given arguments (without the
// program name) and returns the process exit code.
int runCli(const QStringList &arguments);

} // namespace leakscope
