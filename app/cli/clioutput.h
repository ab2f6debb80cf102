#pragma once

#include <QString>

namespace leakscope {

// What a command prints, collected first and written at the end, so a
// command that fails half-way prints its error and nothing else.
struct CliOutput
{
    QString out;
    QString err;
    // Set by commands whose stdout is data (JSON, CSV) that must stay exact;
    // otherwise flush() escapes control characters other than newlines in
    // out, as it always does in err (TextFormat::escapeLines), a last guard
    // in case some text from a file or agent was not escaped where it was put.
    bool exactOut = false;

    // Appends "leakscope-cli: <message>\n" to err, the message escaped
    // (TextFormat::escape: one line, whatever a file put into it).
    void error(const QString &message);
    // error(message) followed by the command's usage; the exit code of a
    // usage mistake (2).
    int usageError(const QString &message, const QString &usage);
    // Writes and clears both buffers (stdout first).
    void flush();
};

} // namespace leakscope
