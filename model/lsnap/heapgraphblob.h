#pragma once

// Compressed BLOBs of the heap-graph tables (zlib streams): the only code of
// the heap-graph store that includes zlib.

#include "core/taskcontrol.h"

#include <QByteArray>
#include <QString>

namespace leakscope {

namespace HeapGraphBlob {

// Inflates one zlib stream into at most maxBytes bytes. The output buffer
// grows with what the stream really yields and never past maxBytes + 1, so a
// stream that expands beyond what the counts allow fails without exhausting
// memory. Returns an error (without the array name) or an empty string.
QString inflateCapped(const QByteArray &in, qint64 minBytes, qint64 maxBytes, QByteArray *out,
                      const TaskControl &control);
// One zlib stream (level 1) of `in`; empty when zlib fails.
QByteArray deflateBlob(const QByteArray &in);

} // namespace HeapGraphBlob

} // namespace leakscope
