#pragma once

#include "core/expected.h"

#include <QString>

namespace leakscope {

// The bundled example session (a real recording of
// resources/examples/leaky_cache.py), compiled in as a resource and unpacked
// to the cache directory, because SQLite needs a real file.
Expected<QString> exampleSessionPath();

} // namespace leakscope
