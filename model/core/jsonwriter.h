#pragma once

#include <QByteArray>
#include <QLatin1StringView>
#include <QString>
#include <QStringView>

#include <vector>

class QIODevice;

namespace leakscope {

// Writes JSON as it goes, UTF-8 straight into a QIODevice through a small
// buffer, so a big document never exists whole in memory (unlike
// QJsonDocument, which also converts through UTF-16). Compact output has no
// whitespace; Indented looks like QJsonDocument::Indented (4 spaces,
// "key": value). Misuse (a value where a key is due, unbalanced ends) is a
// programming error caught by Q_ASSERT; write failures of the device are
// remembered and reported by ok() and errorString(), and later writes are
// dropped.
//
//     JsonWriter w(&file);
//     w.beginObject();
//     w.key("types");
//     w.beginArray();
//     ...
//     w.endArray();
//     w.endObject();
//     if (!w.finish()) ... w.errorString()
class JsonWriter
{
public:
    enum Style { Compact, Indented };

    explicit JsonWriter(QIODevice *device, Style style = Compact);
    ~JsonWriter(); // flushes what is buffered
    JsonWriter(const JsonWriter &) = delete;
    JsonWriter &operator=(const JsonWriter &) = delete;

    void beginObject();
    void endObject();
    void beginArray();
    void endArray();

    // The next member's name, inside an object.
    void key(QLatin1StringView name);
    void key(const char *name) { key(QLatin1StringView(name)); }
    void key(QStringView name);

    void value(qint64 v);
    void value(int v) { value(qint64(v)); }
    void value(double v); // NaN and infinities are written as null
    void value(bool v);
    void value(QStringView v);
    void value(const QString &v) { value(QStringView(v)); }
    void value(QLatin1StringView v);
    void value(const char *v) { value(QLatin1StringView(v)); }
    void nullValue();
    // A string, or null when the QString is null (not merely empty).
    void stringOrNull(const QString &v);

    // key(name) then value(v).
    template<typename T>
    void member(const char *name, const T &v)
    {
        key(name);
        value(v);
    }

    // Writes the buffer to the device; false once any write failed.
    bool flush();
    // Flushes and checks that every container was closed.
    bool finish();
    bool ok() const { return !m_failed; }
    QString errorString() const { return m_error; }

private:
    void beforeValue();
    void openLevel(char bracket, bool object);
    void closeLevel(char bracket, bool object);
    template <typename Text>
    void writeKey(Text name);
    void writeScalar(const char *text, qsizetype size);
    void newline(int depth);
    void writeString(QStringView s);
    void writeString(QLatin1StringView s);
    void append(const char *data, qsizetype size);
    void maybeFlush();

    struct Level
    {
        bool object;
        bool empty;
    };

    QIODevice *m_device;
    Style m_style;
    QByteArray m_buffer;
    std::vector<Level> m_levels;
    bool m_afterKey = false;
    bool m_failed = false;
    QString m_error;
};

} // namespace leakscope
