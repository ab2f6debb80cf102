#pragma once

#include "cli/clioutput.h"
#include "core/session.h"

namespace leakscope {

// `leakscope-cli compare --by-test`: one row per leaking test of the pytest
// plugin's snapshots (test, type, growth per run, reason), or JSON.
class ByTestReport
{
public:
    static void print(const Session &session, int fileCount, bool json, CliOutput &io);
};

} // namespace leakscope
