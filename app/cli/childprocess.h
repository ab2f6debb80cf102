#pragma once

#include "core/expected.h"

#include <QByteArray>
#include <QList>

namespace leakscope {

// Runs a command the way a shell does (fork + execve): it shares our
// terminal, stdin, stdout and stderr, and gets the signals the terminal
// sends to the foreground process group by itself. Signals sent to us
// directly (kill PID: SIGINT, SIGTERM, SIGHUP, SIGQUIT) are forwarded to it.
// POSIX only; one child at a time.
class ChildProcess
{
public:
    struct Spec
    {
        QByteArray program;          // resolved path for execve
        QList<QByteArray> arguments; // argv, argv[0] included
        QList<QByteArray> environment; // "KEY=VALUE" entries
        // When set, one more entry: pidEnvPrefix + <the child's pid> +
        // pidEnvSuffix, built inside the child, so a file name can carry
        // the pid of the process that writes it.
        bool hasPidEntry = false;
        QByteArray pidEnvPrefix;
        QByteArray pidEnvSuffix;
    };

    // Starts the child and returns its pid. An exec failure inside the child
    // is reported by the child on stderr and ends it with 126 or 127.
    static Expected<qint64> start(const Spec &spec);
    // Waits for the child; its exit code, or 128 + signal when a signal ended it.
    static int wait(qint64 pid);
};

} // namespace leakscope
