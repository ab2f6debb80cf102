// JsonWriter: what it writes parses back to the same values, compact and
// indented, with strings of every kind; device failures are reported.
#include "core/jsonwriter.h"

#include <QBuffer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <cmath>
#include <limits>

using namespace leakscope;

namespace {

QString hostile()
{
    QString s = QStringLiteral("q\" b\\ / \b\f\n\r\t");
    s += QChar(0x01);
    s += QChar(0x1f);
    s += QChar(0x7f);
    s += QStringLiteral(" caf\u00e9 \u2028 \u4e2d ");
    s += QString::fromUtf8("\xF0\x9F\x98\x80"); // U+1F600, a surrogate pair in UTF-16
    return s;
}

void writeSample(JsonWriter &w)
{
    w.beginObject();
    w.member("int", qint64(-42));
    w.member("big", std::numeric_limits<qint64>::max());
    w.member("small", std::numeric_limits<qint64>::min());
    w.member("double", 0.1);
    w.member("time", 1767225600.125);
    w.member("tiny", 5e-324);
    w.member("nan", std::nan(""));
    w.member("inf", std::numeric_limits<double>::infinity());
    w.member("yes", true);
    w.member("no", false);
    w.key("null");
    w.nullValue();
    w.member("latin1", "plain");
    w.member("text", hostile());
    w.key(QStringView(hostile()));
    w.value(1);
    w.key("nulled");
    w.stringOrNull(QString());
    w.key("empty");
    w.stringOrNull(QStringLiteral(""));
    w.key("emptyArray");
    w.beginArray();
    w.endArray();
    w.key("emptyObject");
    w.beginObject();
    w.endObject();
    w.key("nested");
    w.beginArray();
    for (int i = 0; i < 3; ++i) {
        w.beginObject();
        w.member("i", i);
        w.key("list");
        w.beginArray();
        w.value(i);
        w.value(QStringLiteral("x"));
        w.endArray();
        w.endObject();
    }
    w.endArray();
    w.endObject();
}

QJsonObject expected()
{
    QJsonObject o;
    o.insert(QStringLiteral("int"), -42);
    o.insert(QStringLiteral("big"), std::numeric_limits<qint64>::max());
    o.insert(QStringLiteral("small"), std::numeric_limits<qint64>::min());
    o.insert(QStringLiteral("double"), 0.1);
    o.insert(QStringLiteral("time"), 1767225600.125);
    o.insert(QStringLiteral("tiny"), 5e-324);
    o.insert(QStringLiteral("nan"), QJsonValue::Null);
    o.insert(QStringLiteral("inf"), QJsonValue::Null);
    o.insert(QStringLiteral("yes"), true);
    o.insert(QStringLiteral("no"), false);
    o.insert(QStringLiteral("null"), QJsonValue::Null);
    o.insert(QStringLiteral("latin1"), QStringLiteral("plain"));
    o.insert(QStringLiteral("text"), hostile());
    o.insert(hostile(), 1);
    o.insert(QStringLiteral("nulled"), QJsonValue::Null);
    o.insert(QStringLiteral("empty"), QStringLiteral(""));
    o.insert(QStringLiteral("emptyArray"), QJsonArray());
    o.insert(QStringLiteral("emptyObject"), QJsonObject());
    QJsonArray nested;
    for (int i = 0; i < 3; ++i)
        nested.append(QJsonObject{{QStringLiteral("i"), i}, {QStringLiteral("list"), QJsonArray{i, QStringLiteral("x")}}});
    o.insert(QStringLiteral("nested"), nested);
    return o;
}

// Counts the writes that reach the device.
class CountingDevice : public QIODevice
{
public:
    QByteArray bytes;
    int writes = 0;

protected:
    qint64 readData(char *, qint64) override { return -1; }
    qint64 writeData(const char *data, qint64 size) override
    {
        ++writes;
        bytes.append(data, size);
        return size;
    }
};

} // namespace

class TestJsonWriter : public QObject
{
    Q_OBJECT

private slots:
    void compactAndIndentedParseBack_data()
    {
        QTest::addColumn<int>("style");
        QTest::newRow("compact") << int(JsonWriter::Compact);
        QTest::newRow("indented") << int(JsonWriter::Indented);
    }

    void compactAndIndentedParseBack()
    {
        QFETCH(int, style);
        QByteArray bytes;
        QBuffer buffer(&bytes);
        QVERIFY(buffer.open(QIODevice::WriteOnly));
        {
            JsonWriter w(&buffer, JsonWriter::Style(style));
            writeSample(w);
            QVERIFY(w.finish());
            QVERIFY(w.ok());
        }
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(bytes, &error);
        QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(error.errorString()));
        QCOMPARE(doc.object(), expected());
        QCOMPARE(doc.object().value(QStringLiteral("big")).toInteger(), std::numeric_limits<qint64>::max());
        // UTF-8 straight through, control characters escaped.
        QVERIFY(bytes.contains("caf\xC3\xA9"));
        QVERIFY(bytes.contains("\xF0\x9F\x98\x80"));
        QVERIFY(bytes.contains("\\u0001\\u001f"));
        QVERIFY(bytes.contains("\\\"") && bytes.contains("\\\\") && bytes.contains("\\t"));
        if (style == JsonWriter::Compact) {
            QVERIFY(!bytes.contains('\n'));
            QVERIFY(bytes.contains("\"emptyArray\":[],\"emptyObject\":{}"));
        } else {
            // The layout of QJsonDocument::Indented.
            QVERIFY(bytes.startsWith("{\n    \"int\": -42,\n    \"big\": "));
            QVERIFY(bytes.contains("\n    \"nested\": [\n        {\n            \"i\": 0,\n"));
            QVERIFY(bytes.endsWith("\n}\n"));
        }
    }

    void loneSurrogateBecomesReplacement()
    {
        QByteArray bytes;
        QBuffer buffer(&bytes);
        QVERIFY(buffer.open(QIODevice::WriteOnly));
        JsonWriter w(&buffer);
        w.beginArray();
        w.value(QString(QChar(0xd800)) + QLatin1Char('a'));
        w.value(QString(QChar(0xdc00)));
        w.endArray();
        QVERIFY(w.finish());
        QCOMPARE(bytes, QByteArray("[\"\xEF\xBF\xBD" "a\",\"\xEF\xBF\xBD\"]"));
    }

    void bigDocumentIsWrittenInPieces()
    {
        // More than the buffer: the device sees several writes and the whole
        // document parses.
        CountingDevice device;
        QVERIFY(device.open(QIODevice::WriteOnly | QIODevice::Unbuffered));
        JsonWriter w(&device);
        w.beginArray();
        for (int i = 0; i < 100000; ++i)
            w.value(qint64(i) * 1000003);
        w.endArray();
        QVERIFY(w.finish());
        QVERIFY(device.writes > 5);
        const QByteArray &bytes = device.bytes;
        const QJsonArray a = QJsonDocument::fromJson(bytes).array();
        QCOMPARE(a.size(), 100000);
        QCOMPARE(a.at(99999).toInteger(), qint64(99999) * 1000003);
    }

    void deviceFailureIsReported()
    {
        QFile full(QStringLiteral("/dev/full"));
        if (!full.exists())
            QSKIP("no /dev/full on this system");
        QVERIFY(full.open(QIODevice::WriteOnly | QIODevice::Unbuffered));
        JsonWriter w(&full);
        w.beginArray();
        for (int i = 0; i < 100000; ++i)
            w.value(i);
        w.endArray();
        QVERIFY(!w.finish());
        QVERIFY(!w.ok());
        QVERIFY(!w.errorString().isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestJsonWriter)
#include "tst_jsonwriter.moc"
