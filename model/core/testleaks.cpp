#include "core/testleaks.h"

#include <QCoreApplication>
#include <QHash>
#include <QJsonArray>
#include <QJsonObject>

#include <algorithm>

namespace leakscope {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("TestLeaks", text);
}

const QLatin1String kPytestKey("pytest");

// One type's counts over the runs: the growth when it is the same positive
// amount in every interval, else 0.
qint64 uniformGrowth(const std::vector<qint64> &counts)
{
    if (counts.size() < 2)
        return 0;
    const qint64 growth = counts[1] - counts[0];
    if (growth <= 0)
        return 0;
    for (size_t i = 2; i < counts.size(); ++i)
        if (counts[i] - counts[i - 1] != growth)
            return 0;
    return growth;
}

std::vector<qint64> countsOf(const Session &session, const TestRuns &test, int type)
{
    std::vector<qint64> counts;
    counts.reserve(test.snapshots.size());
    for (int index : test.snapshots)
        counts.push_back(session.count(index, type));
    return counts;
}

void findLeaks(const Session &session, TestRuns &test)
{
    if (test.snapshots.size() < 2)
        return;
    const QJsonObject last =
        session.snapshot(test.snapshots.back()).info.meta.value(kPytestKey).toObject();
    const QJsonValue verdict = last.value(QLatin1String("leaks"));
    if (verdict.isArray()) {
        // The plugin's verdict: the types it named (after the test's marker),
        // kept where the file's own counts agree.
        for (const QJsonValue &entry : verdict.toArray()) {
            const QJsonObject leak = entry.toObject();
            const QString name = leak.value(QLatin1String("type")).toString();
            const int type = session.types().find(name);
            if (type < 0)
                continue;
            TestLeakType found{type, name, 0, countsOf(session, test, type), {}};
            found.growthPerRun = uniformGrowth(found.counts);
            if (found.growthPerRun <= 0)
                continue;
            found.chain = leak.value(QLatin1String("chain")).toString();
            test.leaks.push_back(std::move(found));
        }
        return;
    }
    for (int type = 0; type < session.typeCount(); ++type) {
        const QString &name = session.types().name(type);
        if (!TestLeaks::isUserType(name))
            continue;
        TestLeakType found{type, name, 0, countsOf(session, test, type), {}};
        found.growthPerRun = uniformGrowth(found.counts);
        if (found.growthPerRun > 0)
            test.leaks.push_back(std::move(found));
    }
    std::sort(test.leaks.begin(), test.leaks.end(), [](const TestLeakType &a, const TestLeakType &b) {
        return a.growthPerRun != b.growthPerRun ? a.growthPerRun > b.growthPerRun : a.name < b.name;
    });
}

} // namespace

QString TestRuns::reason() const
{
    if (leaks.empty())
        return tr("no user type grew in every repeat");
    const TestLeakType &top = leaks.front();
    QString text = tr("+%1 %2 per run in each of %3 repeats (%4 -> %5)")
                       .arg(top.growthPerRun)
                       .arg(top.name)
                       .arg(repeats())
                       .arg(top.counts.front())
                       .arg(top.counts.back());
    if (!top.chain.isEmpty())
        text += tr("; chain: %1").arg(top.chain);
    if (leaks.size() > 1) {
        QStringList others;
        for (size_t i = 1; i < leaks.size() && i <= 4; ++i)
            others << QStringLiteral("+%1 %2").arg(leaks[i].growthPerRun).arg(leaks[i].name);
        text += tr("; also %1").arg(others.join(QStringLiteral(", ")));
        if (leaks.size() > 5)
            text += tr(" and %1 more types").arg(leaks.size() - 5);
    }
    return text;
}

bool TestLeaks::isUserType(const QString &name)
{
    const qsizetype dot = name.indexOf(QLatin1Char('.'));
    if (dot <= 0)
        return false;
    static const QStringList machinery = {
        QStringLiteral("_pytest"), QStringLiteral("pytest"),        QStringLiteral("pluggy"),
        QStringLiteral("py"),      QStringLiteral("_py"),           QStringLiteral("iniconfig"),
        QStringLiteral("tomli"),   QStringLiteral("exceptiongroup"), QStringLiteral("leakscope_agent"),
    };
    return !machinery.contains(name.left(dot));
}

std::vector<TestRuns> TestLeaks::group(const Session &session)
{
    std::vector<TestRuns> tests;
    // (pid, node id) -> index in tests; a file two pytest runs appended to
    // holds each test twice.
    QHash<QString, int> byKey;
    for (int i = 0; i < session.snapshotCount(); ++i) {
        const SnapshotInfo &info = session.snapshot(i).info;
        const QJsonValue value = info.meta.value(kPytestKey);
        if (!value.isObject())
            continue;
        const QString nodeId = value.toObject().value(QLatin1String("nodeid")).toString();
        if (nodeId.isEmpty())
            continue;
        const QString key = QString::number(info.pid) + QLatin1Char(' ') + info.sourceFile + QLatin1Char(' ') + nodeId;
        auto it = byKey.constFind(key);
        if (it == byKey.constEnd()) {
            it = byKey.insert(key, int(tests.size()));
            tests.push_back(TestRuns{nodeId, info.pid, {}, {}});
        }
        tests[size_t(*it)].snapshots.push_back(i);
    }
    for (TestRuns &test : tests)
        findLeaks(session, test);
    return tests;
}

void TestLeaks::sortLeakingFirst(std::vector<TestRuns> &tests)
{
    std::stable_partition(tests.begin(), tests.end(), [](const TestRuns &t) { return t.leaking(); });
}

} // namespace leakscope
