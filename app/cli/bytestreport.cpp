#include "cli/bytestreport.h"

#include "core/testleaks.h"
#include "cli/textformat.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace leakscope {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("ByTestReport", text);
}

QJsonArray toJsonArray(const std::vector<qint64> &values)
{
    QJsonArray array;
    for (qint64 v : values)
        array.append(v);
    return array;
}

QByteArray toJson(const std::vector<TestRuns> &tests)
{
    QJsonArray leaking;
    QJsonArray all;
    for (const TestRuns &test : tests) {
        QJsonObject entry{{QStringLiteral("test"), test.nodeId},
                          {QStringLiteral("pid"), test.pid},
                          {QStringLiteral("repeats"), test.repeats()},
                          {QStringLiteral("leaking"), test.leaking()}};
        all.append(entry);
        if (!test.leaking())
            continue;
        const TestLeakType &top = test.leaks.front();
        QJsonArray types;
        for (const TestLeakType &leak : test.leaks) {
            QJsonObject t{{QStringLiteral("type"), leak.name},
                          {QStringLiteral("growth_per_run"), leak.growthPerRun},
                          {QStringLiteral("counts"), toJsonArray(leak.counts)}};
            if (!leak.chain.isEmpty())
                t.insert(QStringLiteral("chain"), leak.chain);
            types.append(t);
        }
        leaking.append(QJsonObject{{QStringLiteral("test"), test.nodeId},
                                   {QStringLiteral("type"), top.name},
                                   {QStringLiteral("growth_per_run"), top.growthPerRun},
                                   {QStringLiteral("repeats"), test.repeats()},
                                   {QStringLiteral("reason"), test.reason()},
                                   {QStringLiteral("types"), types}});
    }
    const QJsonObject root{{QStringLiteral("tests_checked"), int(tests.size())},
                           {QStringLiteral("leaking_tests"), leaking},
                           {QStringLiteral("tests"), all}};
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

} // namespace

void ByTestReport::print(const Session &session, int fileCount, bool json, CliOutput &io)
{
    const std::vector<TestRuns> tests = TestLeaks::group(session);
    if (json) {
        io.out += QString::fromUtf8(toJson(tests));
        return;
    }
    if (tests.empty()) {
        io.out += (fileCount == 1 ? tr("No test snapshots in 1 file") : tr("No test snapshots in %1 files").arg(fileCount)) +
                  tr(": record them with pytest -p leakscope_agent.pytest_plugin --leakscope=FILE.\n");
        return;
    }
    int leaking = 0;
    for (const TestRuns &test : tests)
        leaking += test.leaking() ? 1 : 0;
    if (leaking == 0) {
        io.out += (tests.size() == 1 ? tr("No leaking test among 1 test.\n")
                                      : tr("No leaking test among %1 tests.\n").arg(tests.size()));
        return;
    }
    io.out += (tests.size() == 1 ? tr("1 of 1 test leaks:\n") : tr("%1 of %2 tests leak:\n").arg(leaking).arg(tests.size()));
    TextTable table({TextTable::Left, TextTable::Left, TextTable::Right, TextTable::Left});
    table.addRow({tr("test"), tr("type"), tr("growth/run"), tr("reason")});
    for (const TestRuns &test : tests) {
        if (!test.leaking())
            continue;
        const TestLeakType &top = test.leaks.front();
        table.addRow({test.nodeId, top.name, TextFormat::signedNumber(top.growthPerRun), test.reason()});
    }
    io.out += table.render();
}

} // namespace leakscope
