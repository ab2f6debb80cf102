#include "cli.h"

#include <QTextStream>

namespace leakscope {

int runCli(const QStringList &arguments)
{
    QTextStream err(stderr);
    err << "leakscope-cli: no commands yet (" << arguments.join(QLatin1Char(' ')) << ")\n";
    return 2;
}

} // namespace leakscope
