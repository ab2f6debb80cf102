#include "lsnap/objgraphreader.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>

#include <cmath>
#include <vector>

namespace leakscope {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("ObjgraphReader", text);
}

// No real heap has more objects of one type; larger numbers are not counts.
constexpr qint64 s_maxCount = qint64(1) << 40;

bool isSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

// Digits [begin, end) as a number; false when there are too many to be a count.
bool parseDigits(const char *begin, const char *end, qint64 *value)
{
    if (end - begin < 1 || end - begin > 18)
        return false;
    qint64 v = 0;
    for (const char *p = begin; p < end; ++p)
        v = v * 10 + (*p - '0');
    *value = v;
    return true;
}

bool allSpaces(const char *begin, const char *end)
{
    for (const char *p = begin; p < end; ++p) {
        if (*p != ' ')
            return false;
    }
    return true;
}

qsizetype skipBomAndSpace(const QByteArray &text)
{
    qsizetype i = text.startsWith("\xEF\xBB\xBF") ? 3 : 0;
    while (i < text.size() && isSpace(text.at(i)))
        ++i;
    return i;
}

} // namespace

bool ObjgraphReader::looksLikeJsonObject(const QByteArray &text)
{
    const qsizetype i = skipBomAndSpace(text);
    return i < text.size() && text.at(i) == '{';
}

Expected<LoadedFile> ObjgraphReader::parseTypestats(const QByteArray &text, const QString &path,
                                                    const QDateTime &fileModified)
{
    auto malformed = [&](const QString &why) {
        return Expected<LoadedFile>::failure(path + QStringLiteral(": ")
                                             + tr("malformed objgraph typestats JSON (%1)").arg(why));
    };

    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(text.mid(skipBomAndSpace(text)), &error);
    if (error.error != QJsonParseError::NoError)
        return malformed(tr("%1 at offset %2").arg(error.errorString()).arg(error.offset));
    if (!doc.isObject())
        return malformed(tr("not a JSON object"));

    const QJsonObject object = doc.object();
    LoadedFile file;
    file.path = path;
    file.format = FileFormat::ObjgraphTypestats;

    Snapshot snapshot;
    snapshot.stats.reserve(size_t(object.size()));
    // QJsonObject iterates in key order, so interning in this order keeps the
    // stats sorted by type id.
    for (auto it = object.constBegin(); it != object.constEnd(); ++it) {
        const QString name = it.key();
        if (name.isEmpty())
            return malformed(tr("empty type name"));
        const QJsonValue value = it.value();
        const double number = value.toDouble(-1);
        if (!value.isDouble() || !(number >= 0) || number > double(s_maxCount) || std::floor(number) != number)
            return malformed(tr("the count of \"%1\" is not a non-negative integer").arg(name));
        TypeStat stat;
        stat.type = file.types.intern(name);
        stat.count = qint64(number);
        snapshot.stats.push_back(stat);
    }

    SnapshotInfo &info = snapshot.info;
    info.id = 1;
    info.label = QFileInfo(path).fileName();
    info.sourceFile = path;
    info.origin = SnapshotOrigin::ObjgraphTypestats;
    info.hasSizes = false;
    info.meta.insert(QStringLiteral("origin"), QStringLiteral("objgraph-typestats"));
    info.meta.insert(QStringLiteral("has_sizes"), false);
    // typestats() has no time; the file's mtime is a hint for the user, not a
    // census time, so it stays out of takenAt.
    if (fileModified.isValid())
        info.meta.insert(QStringLiteral("file_mtime"), fileModified.toUTC().toString(Qt::ISODateWithMs));
    file.snapshots.push_back(std::move(snapshot));
    return file;
}

bool ObjgraphReader::parseGrowthLine(const QByteArray &line, GrowthLine *out)
{
    // Checked against the exact layout '%-*s%9d %+9d' so that ordinary log
    // text is not mistaken for a line: name padded to the call's width, the
    // count right-aligned in 9 columns, one space, the signed delta
    // right-aligned in 9 columns.
    const char *const begin = line.constData();
    const char *end = begin + line.size();
    while (end > begin && isSpace(end[-1]))
        --end;
    if (end == begin || isSpace(*begin))
        return false;

    const char *p = end;
    while (p > begin && isDigit(p[-1]))
        --p;
    const char *const deltaDigits = p;
    if (deltaDigits == end || p == begin || (p[-1] != '+' && p[-1] != '-'))
        return false;
    const char *const deltaSign = p - 1;
    const qsizetype deltaWidth = qMax<qsizetype>(9, end - deltaSign);
    if (end - begin < deltaWidth + 1)
        return false;
    const char *const deltaField = end - deltaWidth;
    if (!allSpaces(deltaField, deltaSign) || deltaField[-1] != ' ')
        return false;
    const char *const countEnd = deltaField - 1;

    p = countEnd;
    while (p > begin && isDigit(p[-1]))
        --p;
    const char *const countDigits = p;
    const qsizetype countWidth = qMax<qsizetype>(9, countEnd - countDigits);
    if (countEnd - begin <= countWidth) // no room for a name
        return false;
    const char *const countField = countEnd - countWidth;
    if (!allSpaces(countField, countDigits))
        return false;

    const char *nameEnd = countField;
    while (nameEnd > begin && nameEnd[-1] == ' ')
        --nameEnd;
    for (const char *q = begin; q < nameEnd; ++q) {
        if (isSpace(*q))
            return false;
    }

    qint64 count = 0;
    qint64 delta = 0;
    if (!parseDigits(countDigits, countEnd, &count) || !parseDigits(deltaDigits, end, &delta))
        return false;
    if (*deltaSign == '-')
        delta = -delta;
    // growth() lists a type only when its count rose above its peak, and the
    // delta is against that peak (>= 0), so 0 < delta <= count.
    if (delta <= 0 || delta > count || count > s_maxCount)
        return false;

    out->name = QByteArray(begin, nameEnd - begin);
    out->count = count;
    out->delta = delta;
    out->countEnd = int(countEnd - begin);
    return true;
}

Expected<LoadedFile> ObjgraphReader::parseGrowthLog(const QByteArray &text, const QString &path,
                                                    const Progress &progress, const std::atomic_bool *cancel)
{
    LoadedFile file;
    file.path = path;
    file.format = FileFormat::ObjgraphGrowthLog;

    std::vector<qint64> lastCount;  // by type id; -1 until a call printed it
    std::vector<int> listedInBlock; // by type id; number of the last block that listed it
    bool inBlock = false;
    int blockNumber = 0;
    int blockCountEnd = 0;
    qint64 blockLastDelta = 0;
    int blockFirstLine = 0;
    int blockListed = 0;

    auto closeBlock = [&] {
        if (!inBlock)
            return;
        inBlock = false;
        Snapshot snapshot;
        SnapshotInfo &info = snapshot.info;
        info.id = blockNumber;
        info.label = QStringLiteral("show_growth #%1").arg(blockNumber);
        info.sourceFile = path;
        info.origin = SnapshotOrigin::ObjgraphGrowthLog;
        info.hasSizes = false;
        // A call lists only the types above their peak (and at most `limit`
        // of them); the others keep their last printed count.
        info.partial = true;
        info.meta.insert(QStringLiteral("origin"), QStringLiteral("objgraph-growth-log"));
        info.meta.insert(QStringLiteral("has_sizes"), false);
        info.meta.insert(QStringLiteral("partial"), true);
        info.meta.insert(QStringLiteral("first_line"), blockFirstLine);
        info.meta.insert(QStringLiteral("listed"), blockListed);
        snapshot.stats.reserve(lastCount.size());
        for (size_t id = 0; id < lastCount.size(); ++id) {
            if (lastCount[id] >= 0)
                snapshot.stats.push_back(TypeStat{int(id), lastCount[id], 0});
        }
        file.snapshots.push_back(std::move(snapshot));
    };

    const qint64 total = text.size();
    qsizetype pos = 0;
    int lineNumber = 0;
    GrowthLine g;
    while (pos < text.size()) {
        qsizetype next = text.indexOf('\n', pos);
        if (next < 0)
            next = text.size();
        const QByteArray line = QByteArray::fromRawData(text.constData() + pos, next - pos);
        pos = next + 1;
        ++lineNumber;
        if ((lineNumber & 4095) == 0) {
            if (cancel && cancel->load(std::memory_order_relaxed))
                return Expected<LoadedFile>::failure(path + QStringLiteral(": ") + tr("cancelled"));
            if (progress)
                progress(qMin<qint64>(pos, total), total);
        }

        if (!parseGrowthLine(line, &g)) {
            closeBlock(); // other text ends a call's output
            continue;
        }
        const int id = file.types.intern(QString::fromUtf8(g.name));
        if (size_t(id) >= lastCount.size()) {
            lastCount.resize(size_t(id) + 1, -1);
            listedInBlock.resize(size_t(id) + 1, 0);
        }
        // A new call starts where a name repeats, where the columns move (the
        // width is the call's longest name), or where the deltas stop
        // descending (growth() sorts each call by delta, largest first).
        if (inBlock && (g.countEnd != blockCountEnd || listedInBlock[size_t(id)] == blockNumber
                        || g.delta > blockLastDelta))
            closeBlock();
        if (!inBlock) {
            inBlock = true;
            ++blockNumber;
            blockCountEnd = g.countEnd;
            blockFirstLine = lineNumber;
            blockListed = 0;
        }
        listedInBlock[size_t(id)] = blockNumber;
        lastCount[size_t(id)] = g.count;
        blockLastDelta = g.delta;
        ++blockListed;
    }
    closeBlock();
    if (progress)
        progress(total, total);
    return file;
}

} // namespace leakscope
