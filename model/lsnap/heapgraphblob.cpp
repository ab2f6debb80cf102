#include "lsnap/heapgraphblob.h"

#include "lsnap/heapgraphstore_p.h"

#include <zlib.h>

#include <algorithm>

namespace leakscope {

using namespace HeapGraphFile;

namespace {

// Level 1 compresses these arrays (addresses sharing their high bits, small
// type ids, offsets) nearly as well as level 6 and several times faster.
constexpr int s_zlibLevel = 1;
// Inflate hands out at most this much output per call, so cancel is checked.
constexpr qint64 s_inflateChunk = qint64(16) * 1024 * 1024;
// Deflate cannot do better than about 1032:1; a BLOB claiming more lies.
constexpr qint64 s_maxZlibRatio = 1040;

} // namespace

namespace HeapGraphBlob {

QString inflateCapped(const QByteArray &in, qint64 minBytes, qint64 maxBytes, QByteArray *out,
                      const TaskControl &control)
{
    if (minBytes > qint64(in.size()) * s_maxZlibRatio + 64)
        return tr("%1 compressed bytes cannot hold the %2 bytes the counts imply")
            .arg(num(qint64(in.size())), num(minBytes));

    z_stream zs{};
    if (inflateInit(&zs) != Z_OK)
        return tr("zlib could not start (%1)").arg(QString::fromLatin1(zs.msg ? zs.msg : "?"));
    struct End
    {
        z_stream *zs;
        ~End() { inflateEnd(zs); }
    } end{&zs};

    // An honest stream fills minBytes exactly (the ratio check above bounds
    // what a lying count can make us allocate); one byte more shows a stream
    // that is too long.
    const qint64 limit = maxBytes + 1;
    qint64 capacity = std::min(limit, minBytes + 1);
    out->resize(qsizetype(capacity));
    const auto *next = reinterpret_cast<const Bytef *>(in.constData());
    qint64 inLeft = in.size();
    qint64 produced = 0;
    for (;;) {
        if (produced == capacity) {
            if (capacity >= limit)
                return tr("decompresses to more than the %1 bytes the counts imply").arg(num(maxBytes));
            capacity = std::min(limit, capacity * 2);
            out->resize(qsizetype(capacity));
        }
        zs.next_in = const_cast<Bytef *>(next);
        zs.avail_in = uInt(std::min<qint64>(inLeft, s_inflateChunk));
        zs.next_out = reinterpret_cast<Bytef *>(out->data()) + produced;
        zs.avail_out = uInt(std::min(capacity - produced, s_inflateChunk));
        const uInt outBefore = zs.avail_out;
        const uInt inBefore = zs.avail_in;
        const int rc = inflate(&zs, Z_NO_FLUSH);
        next += inBefore - zs.avail_in;
        inLeft -= inBefore - zs.avail_in;
        produced += outBefore - zs.avail_out;
        if (rc == Z_STREAM_END)
            break;
        if (rc == Z_NEED_DICT || rc == Z_DATA_ERROR || rc == Z_STREAM_ERROR)
            return tr("not a valid zlib stream (%1)").arg(QString::fromLatin1(zs.msg ? zs.msg : "bad data"));
        if (rc == Z_MEM_ERROR)
            return tr("out of memory while decompressing");
        if (inLeft == 0 && zs.avail_out > 0)
            return tr("the zlib stream is truncated");
        if (control.cancelled())
            return tr("loading cancelled");
    }
    if (produced > maxBytes)
        return tr("decompresses to more than the %1 bytes the counts imply").arg(num(maxBytes));
    if (inLeft > 0)
        return tr("%1 bytes follow the end of the zlib stream").arg(num(inLeft));
    out->resize(qsizetype(produced));
    return QString();
}

QByteArray deflateBlob(const QByteArray &in)
{
    uLongf length = compressBound(uLong(in.size()));
    QByteArray out(qsizetype(length), Qt::Uninitialized);
    if (compress2(reinterpret_cast<Bytef *>(out.data()), &length, reinterpret_cast<const Bytef *>(in.constData()),
                  uLong(in.size()), s_zlibLevel)
        != Z_OK)
        return QByteArray();
    out.resize(qsizetype(length));
    return out;
}

} // namespace HeapGraphBlob

} // namespace leakscope
