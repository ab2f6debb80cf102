#pragma once

#include "core/expected.h"

#include <QString>

namespace leakscope {

// The live agent a command talks to, named by a process id: one way for
// snapshot, chain, backrefs, attach and detach.
class AgentTarget
{
public:
    // A process id from the command line; otherwise "WHO needs a process id, not 'TEXT'".
    static Expected<qint64> parsePid(const QString &text, const QString &who);
    // The verified socket of the agent serving in process pid, or why there
    // is none ("no process with pid N", "process N has no Leakscope agent
    // serving", or the refusal of an unsafe directory or socket).
    static Expected<QString> socketOf(qint64 pid);
};

} // namespace leakscope
