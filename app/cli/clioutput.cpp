#include "cli/clioutput.h"

#include "cli/textformat.h"

#include <cstdio>

namespace leakscope {

void CliOutput::error(const QString &message)
{
    err += QStringLiteral("leakscope-cli: ") + TextFormat::escape(message) + QLatin1Char('\n');
}

int CliOutput::usageError(const QString &message, const QString &usage)
{
    error(message);
    err += usage;
    return 2;
}

void CliOutput::flush()
{
    if (!out.isEmpty()) {
        const QByteArray bytes = (exactOut ? out : TextFormat::escapeLines(out)).toUtf8();
        std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stdout);
        out.clear();
    }
    std::fflush(stdout);
    if (!err.isEmpty()) {
        const QByteArray bytes = TextFormat::escapeLines(err).toUtf8();
        std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stderr);
        err.clear();
    }
    std::fflush(stderr);
}

} // namespace leakscope
