#pragma once

#include "cli/clioutput.h"

#include <QStringList>

namespace leakscope {

// `leakscope-cli repair FILE...`: rolls back the hot journal an interrupted
// write (a writer killed mid-transaction) left beside a .lsnap file, in place,
// after keeping the file and its journal as they were in FILE.before-repair
// (and FILE.before-repair-journal, itself a pair SQLite can roll back).
class RepairCommand
{
public:
    static QString usage();
    static int run(const QStringList &arguments, CliOutput &io);
};

} // namespace leakscope
