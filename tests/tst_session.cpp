#include "growth.h"
#include "session.h"

#include <QTest>

using namespace leakscope;

class TestSession : public QObject
{
    Q_OBJECT
private slots:
    void placeholder() { QVERIFY(true); }
};

QTEST_GUILESS_MAIN(TestSession)
#include "tst_session.moc"
