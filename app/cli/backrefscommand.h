#pragma once

#include "cli/clioutput.h"

#include <QStringList>

namespace leakscope {

// `leakscope-cli backrefs (FILE | --pid PID) --type NAME [--depth N]
// [--max-nodes N] (--dot OUT | --svg OUT | --png OUT)`: who refers to a few
// instances of a type, level by level, drawn as DOT, SVG or PNG.
class BackrefsCommand
{
public:
    static QString usage();
    static int run(const QStringList &arguments, CliOutput &io);
};

} // namespace leakscope
