// Issue 17, "identical results": every leak the pure-Python agent finds in
// the bundled example programs and the test suite's real-leak programs, the
// native agent finds too, with the same chain from its root. Each program is
// recorded twice by the real `leakscope-cli record --graph` (the agent the
// CLI embeds, with its native module for LEAKSCOPE_PYTHON; LEAKSCOPE_NATIVE=0
// for the pure-Python passes), then `report --format json` reads both files.

#include "testutil/processrun.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QTemporaryDir>
#include <QTest>

namespace {

using testutil::Run;

struct Leak
{
    QString chain;
    qint64 growth = 0;
};

} // namespace

class TestNativeEquivalence : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void sameLeaksAndChains_data();
    void sameLeaksAndChains();

private:
    Run cli(const QStringList &args, bool native);
    // name -> chain of every non-builtin leak entry (types and containers).
    QMap<QString, Leak> leaks(const QString &file, QString *error);
    // The impl column of `info`: "native" or "python" for every snapshot,
    // or what differed.
    QString impl(const QString &file, bool native);

    QTemporaryDir m_dir;
};

Run TestNativeEquivalence::cli(const QStringList &args, bool native)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("XDG_CACHE_HOME"), m_dir.filePath(QStringLiteral("cache")));
    env.remove(QStringLiteral("PYTHONPATH"));
    if (native)
        env.remove(QStringLiteral("LEAKSCOPE_NATIVE"));
    else
        env.insert(QStringLiteral("LEAKSCOPE_NATIVE"), QStringLiteral("0"));
    return testutil::runProcess(QStringLiteral(LEAKSCOPE_BIN_DIR "/leakscope-cli"), args, m_dir.path(), env);
}

QMap<QString, Leak> TestNativeEquivalence::leaks(const QString &file, QString *error)
{
    QMap<QString, Leak> result;
    const Run r = cli({QStringLiteral("report"), QStringLiteral("--format"), QStringLiteral("json"), file}, true);
    if (r.code != 0) {
        *error = QStringLiteral("report exited %1: %2").arg(r.code).arg(r.err);
        return result;
    }
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(r.out.toUtf8(), &parseError);
    if (!doc.isObject()) {
        *error = QStringLiteral("report --format json: %1").arg(parseError.errorString());
        return result;
    }
    if (doc.object().value(QStringLiteral("heap_graph_snapshot")).isNull())
        *error = QStringLiteral("%1: the report used no heap graph").arg(file);
    for (const QJsonValue &v : doc.object().value(QStringLiteral("leaks")).toArray()) {
        const QJsonObject leak = v.toObject();
        if (leak.value(QStringLiteral("builtin")).toBool())
            continue;
        result.insert(leak.value(QStringLiteral("name")).toString(),
                      {leak.value(QStringLiteral("chain_text")).toString(),
                       qint64(leak.value(QStringLiteral("growth")).toDouble())});
    }
    return result;
}

QString TestNativeEquivalence::impl(const QString &file, bool native)
{
    const Run r = cli({QStringLiteral("info"), file}, true);
    if (r.code != 0)
        return QStringLiteral("info exited %1: %2").arg(r.code).arg(r.err);
    const QString want = native ? QStringLiteral(" native ") : QStringLiteral(" python ");
    int rows = 0;
    bool header = false;
    for (const QString &line : r.out.split(QLatin1Char('\n'))) {
        if (line.startsWith(QLatin1Char('#'))) {
            header = true;
            continue;
        }
        if (!header || line.trimmed().isEmpty())
            continue;
        ++rows;
        if (!line.contains(want))
            return QStringLiteral("a snapshot without%1: %2").arg(want, line);
    }
    return rows >= 3 ? QString() : QStringLiteral("only %1 snapshots in %2").arg(rows).arg(file);
}

void TestNativeEquivalence::initTestCase()
{
    QVERIFY(m_dir.isValid());
}

void TestNativeEquivalence::sameLeaksAndChains_data()
{
    QTest::addColumn<QStringList>("program");
    QTest::addColumn<QStringList>("expected"); // leaks both must find

    const QString examples = QStringLiteral(LEAKSCOPE_SOURCE_DIR "/resources/examples/");
    QTest::newRow("two_leaks") << QStringList{examples + QStringLiteral("two_leaks.py"), QStringLiteral("200"),
                                              QStringLiteral("0.015")}
                               << QStringList{QStringLiteral("__main__.HttpRequest"), QStringLiteral("__main__.Tracer")};
    QTest::newRow("leaky_cache") << QStringList{examples + QStringLiteral("leaky_cache.py"), QStringLiteral("--iterations"),
                                                QStringLiteral("150"), QStringLiteral("--interval"), QStringLiteral("0.02")}
                                 << QStringList{QStringLiteral("__main__.Session")};
    QTest::newRow("leaky_listeners") << QStringList{examples + QStringLiteral("leaky_listeners.py"), QStringLiteral("--iterations"),
                                                    QStringLiteral("150"), QStringLiteral("--interval"), QStringLiteral("0.02")}
                                     << QStringList{QStringLiteral("__main__.Widget")};
    QTest::newRow("leaky_traceback") << QStringList{examples + QStringLiteral("leaky_traceback.py"), QStringLiteral("--iterations"),
                                                    QStringLiteral("150"), QStringLiteral("--interval"), QStringLiteral("0.02")}
                                     << QStringList{QStringLiteral("__main__.Query")};
}

void TestNativeEquivalence::sameLeaksAndChains()
{
    QFETCH(QStringList, program);
    QFETCH(QStringList, expected);
    const QString tag = QString::fromLatin1(QTest::currentDataTag());

    QMap<QString, Leak> found[2];
    for (bool native : {false, true}) {
        const QString file = m_dir.filePath(tag + (native ? QStringLiteral("-native") : QStringLiteral("-python")) +
                                            QStringLiteral(".lsnap"));
        const Run rec = cli(QStringList{QStringLiteral("record"), QStringLiteral("--every"), QStringLiteral("0.5"),
                                        QStringLiteral("--graph"), QStringLiteral("--no-serve"), QStringLiteral("-o"), file,
                                        QStringLiteral("--"), QStringLiteral(LEAKSCOPE_PYTHON)} +
                                program,
                            native);
        QVERIFY2(rec.code == 0, qPrintable(rec.err));
        const QString implError = impl(file, native);
        QVERIFY2(implError.isEmpty(), qPrintable(implError));
        QString error;
        found[native] = leaks(file, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        for (const QString &name : expected)
            QVERIFY2(found[native].contains(name),
                     qPrintable(QStringLiteral("%1 agent: no leak entry for %2 (found: %3)")
                                    .arg(native ? QStringLiteral("native") : QStringLiteral("pure-Python"), name,
                                         QStringList(found[native].keys()).join(QStringLiteral(", ")))));
    }
    // Every leak of the pure-Python path, with its chain, in the native one.
    const QMap<QString, Leak> &pure = found[0], &native = found[1];
    for (auto it = pure.cbegin(); it != pure.cend(); ++it) {
        QVERIFY2(native.contains(it.key()), qPrintable(QStringLiteral("native agent misses %1").arg(it.key())));
        QCOMPARE(native.value(it.key()).chain, it.value().chain);
        QVERIFY2(!it.value().chain.isEmpty(), qPrintable(it.key()));
    }
}

QTEST_GUILESS_MAIN(TestNativeEquivalence)
#include "tst_nativeequivalence.moc"
