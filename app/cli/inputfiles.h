#pragma once

#include "core/expected.h"
#include "core/loadedfile.h"
#include "core/session.h"

#include <QStringList>

#include <vector>

namespace leakscope {

// Reads every input file of a command (stopping at the first failure, whose
// error names the file) and merges them into one Session.
class InputFiles
{
public:
    static Expected<std::vector<LoadedFile>> readAll(const QStringList &paths);
    // readAll() merged in time order; fails when the files hold no snapshot.
    static Expected<Session> readSession(const QStringList &paths);
};

} // namespace leakscope
