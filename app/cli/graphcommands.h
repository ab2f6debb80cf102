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

// `leakscope-cli backrefs (FILE | --pid PID) --type NAME [--depth N]
// [--max-nodes N] (--dot OUT | --svg OUT | --png OUT)`: who refers to a few
// instances of a type, level by level, drawn as DOT, SVG or PNG.
class BackrefsCommand
{
public:
    static QString usage();
    static int run(const QStringList &arguments, CliOutput &io);
};

// `leakscope-cli retained FILE [--snapshot N] [--top N] [--by object|type]
// [--json]`: retained sizes from the dominator tree.
class RetainedCommand
{
public:
    static QString usage();
    static int run(const QStringList &arguments, CliOutput &io);
};

} // namespace leakscope
