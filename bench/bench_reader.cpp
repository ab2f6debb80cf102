// Reading a large .lsnap file: SnapshotReader::read() against a bare SQLite
// scan of the same rows, measured in the same run.
//
//   bench_reader [snapshots=200] [types=20000] [file]
//
// Prints the figures and the ratio read()/scan; nothing is asserted.

#include "lsnap/snapshotreader.h"
#include "lsnap/snapshotwriter.h"
#include "lsnap/sqlitedatabase.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>

using namespace leakscope;

namespace {

template <typename F>
double bestOf(int runs, F &&f)
{
    double best = 1e300;
    for (int i = 0; i < runs; ++i) {
        QElapsedTimer t;
        t.start();
        f();
        best = std::min(best, double(t.nsecsElapsed()) / 1e9);
    }
    return best;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    const int snapshots = args.size() > 1 ? args.at(1).toInt() : 200;
    const int typeCount = args.size() > 2 ? args.at(2).toInt() : 20000;
    QTemporaryDir dir;
    const QString file = args.size() > 3 ? args.at(3) : dir.filePath(QStringLiteral("bench.lsnap"));

    if (!QFileInfo::exists(file)) {
        TypeRegistry types;
        for (int t = 0; t < typeCount; ++t)
            types.intern(QStringLiteral("package%1.module.Type%2").arg(t % 300).arg(t));
        std::vector<Snapshot> all;
        all.resize(size_t(snapshots));
        std::vector<const Snapshot *> pointers;
        for (int s = 0; s < snapshots; ++s) {
            Snapshot &snap = all[size_t(s)];
            snap.info.label = QStringLiteral("snapshot %1").arg(s + 1);
            snap.info.takenAt = QDateTime::fromSecsSinceEpoch(1767225600 + 2 * s, Qt::UTC);
            snap.info.pid = 4242;
            snap.info.gcObjects = 1000000;
            snap.stats.reserve(size_t(typeCount));
            for (int t = 0; t < typeCount; ++t)
                snap.stats.push_back(TypeStat{t, qint64(1 + (t * 7 + s) % 5000), qint64(56 * (1 + t % 100))});
            pointers.push_back(&snap);
        }
        QElapsedTimer t;
        t.start();
        const Status written = SnapshotWriter::writeFile(file, pointers, types);
        if (!written) {
            std::fprintf(stderr, "%s\n", qPrintable(written.error()));
            return 1;
        }
        std::printf("write (SnapshotWriter::writeFile): %.3f s\n", double(t.nsecsElapsed()) / 1e9);
    }
    std::printf("file: %s, %.1f MB\n", qPrintable(file), double(QFileInfo(file).size()) / 1e6);

    qint64 rows = 0;
    const double countStar = bestOf(3, [&] {
        SqliteDatabase db;
        db.open(file, SqliteDatabase::ReadOnly);
        SqliteStatement st = db.prepare("SELECT count(*) FROM type_count");
        if (st.step() == SqliteStatement::Row)
            rows = st.int64(0);
    });
    qint64 checksum = 0;
    const double scan = bestOf(3, [&] {
        SqliteDatabase db;
        db.open(file, SqliteDatabase::ReadOnly);
        SqliteStatement st = db.prepare("SELECT snapshot, type, count, size FROM type_count ORDER BY snapshot, type");
        checksum = 0;
        while (st.step() == SqliteStatement::Row)
            checksum += st.int64(0) + st.int64(1) + st.int64(2) + st.int64(3);
    });
    const double quickCheck = bestOf(1, [&] {
        SqliteDatabase db;
        db.open(file, SqliteDatabase::ReadOnly);
        SqliteStatement st = db.prepare("PRAGMA quick_check");
        while (st.step() == SqliteStatement::Row) {
        }
    });
    qint64 readRows = 0;
    QString error;
    const double read = bestOf(3, [&] {
        const auto result = SnapshotReader::read(file);
        if (!result) {
            error = result.error();
            return;
        }
        readRows = 0;
        for (const Snapshot &s : result.value().snapshots)
            readRows += qint64(s.stats.size());
    });
    if (!error.isEmpty()) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return 1;
    }
    std::printf("rows: %lld (read back %lld), checksum %lld\n", rows, readRows, checksum);
    std::printf("baseline SELECT count(*):          %.3f s\n", countStar);
    std::printf("baseline scan of all rows:         %.3f s\n", scan);
    std::printf("PRAGMA quick_check alone:          %.3f s\n", quickCheck);
    std::printf("SnapshotReader::read():            %.3f s (%.1f M rows/s)\n", read, double(readRows) / read / 1e6);
    std::printf("ratio read()/scan: %.2f, read()/(scan+quick_check): %.2f\n", read / scan, read / (scan + quickCheck));
    return readRows == rows ? 0 : 1;
}
