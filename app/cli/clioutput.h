#pragma once

#include <QString>

namespace leakscope {

// What a command prints, collected first and written at the end, so a
// command that fails half-way prints its error and nothing else.
struct CliOutput
{
    QString out;
    QString err;

    // Appends "leakscope-cli: <message>\n" to err.
    void error(const QString &message);
    // Writes and clears both buffers (stdout first).
    void flush();
};

} // namespace leakscope
