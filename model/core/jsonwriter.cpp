#include "core/jsonwriter.h"

#include <QIODevice>

#include <charconv>
#include <cmath>

namespace leakscope {

namespace {

constexpr qsizetype s_flushSize = 64 * 1024;

const char s_hex[] = "0123456789abcdef";

} // namespace

JsonWriter::JsonWriter(QIODevice *device, Style style) : m_device(device), m_style(style)
{
    m_buffer.reserve(s_flushSize + 1024);
}

JsonWriter::~JsonWriter()
{
    flush();
}

void JsonWriter::append(const char *data, qsizetype size)
{
    m_buffer.append(data, size);
}

void JsonWriter::maybeFlush()
{
    if (m_buffer.size() >= s_flushSize)
        flush();
}

bool JsonWriter::flush()
{
    if (m_failed) {
        m_buffer.clear();
        return false;
    }
    if (m_buffer.isEmpty())
        return true;
    if (!m_device || m_device->write(m_buffer) != m_buffer.size()) {
        m_failed = true;
        m_error = m_device ? m_device->errorString() : QStringLiteral("no output device");
    }
    m_buffer.clear();
    return !m_failed;
}

bool JsonWriter::finish()
{
    Q_ASSERT(m_levels.empty());
    if (m_style == Indented && m_levels.empty())
        m_buffer.append('\n'); // as QJsonDocument::Indented ends
    return flush();
}

void JsonWriter::newline(int depth)
{
    m_buffer.append('\n');
    m_buffer.append(QByteArray(4 * depth, ' '));
}

void JsonWriter::beforeValue()
{
    if (m_afterKey) {
        m_afterKey = false;
        return;
    }
    if (m_levels.empty())
        return;
    Level &level = m_levels.back();
    Q_ASSERT(!level.object); // an object member needs key() first
    if (!level.empty)
        m_buffer.append(',');
    level.empty = false;
    if (m_style == Indented)
        newline(int(m_levels.size()));
}

void JsonWriter::openLevel(char bracket, bool object)
{
    beforeValue();
    m_buffer.append(bracket);
    m_levels.push_back(Level{object, true});
}

void JsonWriter::closeLevel(char bracket, bool object)
{
    Q_ASSERT(!m_levels.empty() && m_levels.back().object == object && !m_afterKey);
    Q_UNUSED(object);
    const bool empty = m_levels.back().empty;
    m_levels.pop_back();
    if (m_style == Indented && !empty)
        newline(int(m_levels.size()));
    m_buffer.append(bracket);
    maybeFlush();
}

void JsonWriter::beginObject()
{
    openLevel('{', true);
}

void JsonWriter::beginArray()
{
    openLevel('[', false);
}

void JsonWriter::endObject()
{
    closeLevel('}', true);
}

void JsonWriter::endArray()
{
    closeLevel(']', false);
}

template <typename Text>
void JsonWriter::writeKey(Text name)
{
    Q_ASSERT(!m_levels.empty() && m_levels.back().object && !m_afterKey);
    Level &level = m_levels.back();
    if (!level.empty)
        m_buffer.append(',');
    level.empty = false;
    if (m_style == Indented)
        newline(int(m_levels.size()));
    writeString(name);
    m_buffer.append(m_style == Indented ? ": " : ":");
    m_afterKey = true;
}

void JsonWriter::key(QLatin1StringView name)
{
    writeKey(name);
}

void JsonWriter::key(QStringView name)
{
    writeKey(name);
}

// A number, true, false or null: text that needs no escaping.
void JsonWriter::writeScalar(const char *text, qsizetype size)
{
    beforeValue();
    append(text, size);
    maybeFlush();
}

void JsonWriter::value(qint64 v)
{
    char text[24];
    const std::to_chars_result r = std::to_chars(text, text + sizeof text, v);
    writeScalar(text, r.ptr - text);
}

void JsonWriter::value(double v)
{
    if (!std::isfinite(v)) {
        nullValue();
        return;
    }
    // The shortest text that reads back as the same double.
    char text[32];
    const std::to_chars_result r = std::to_chars(text, text + sizeof text, v);
    writeScalar(text, r.ptr - text);
}

void JsonWriter::value(bool v)
{
    if (v)
        writeScalar("true", 4);
    else
        writeScalar("false", 5);
}

void JsonWriter::nullValue()
{
    writeScalar("null", 4);
}

void JsonWriter::value(QStringView v)
{
    beforeValue();
    writeString(v);
    maybeFlush();
}

void JsonWriter::value(QLatin1StringView v)
{
    beforeValue();
    writeString(v);
    maybeFlush();
}

void JsonWriter::stringOrNull(const QString &v)
{
    if (v.isNull())
        nullValue();
    else
        value(QStringView(v));
}

// Escapes as RFC 8259 requires: quote, backslash and control characters;
// everything else goes out as UTF-8.
void JsonWriter::writeString(QStringView s)
{
    m_buffer.append('"');
    const qsizetype n = s.size();
    for (qsizetype i = 0; i < n; ++i) {
        char32_t c = s[i].unicode();
        if (c < 0x80) {
            switch (c) {
            case '"': append("\\\"", 2); continue;
            case '\\': append("\\\\", 2); continue;
            case '\b': append("\\b", 2); continue;
            case '\f': append("\\f", 2); continue;
            case '\n': append("\\n", 2); continue;
            case '\r': append("\\r", 2); continue;
            case '\t': append("\\t", 2); continue;
            default:
                break;
            }
            if (c < 0x20) {
                const char esc[6] = {'\\', 'u', '0', '0', s_hex[c >> 4], s_hex[c & 0xf]};
                append(esc, 6);
            } else {
                m_buffer.append(char(c));
            }
            continue;
        }
        if (QChar::isHighSurrogate(c) && i + 1 < n && QChar::isLowSurrogate(s[i + 1].unicode())) {
            c = QChar::surrogateToUcs4(char16_t(c), s[i + 1].unicode());
            ++i;
        } else if (QChar::isSurrogate(c)) {
            c = 0xfffd; // a lone surrogate is no character; UTF-8 cannot carry it
        }
        char out[4];
        qsizetype len;
        if (c < 0x800) {
            out[0] = char(0xc0 | (c >> 6));
            out[1] = char(0x80 | (c & 0x3f));
            len = 2;
        } else if (c < 0x10000) {
            out[0] = char(0xe0 | (c >> 12));
            out[1] = char(0x80 | ((c >> 6) & 0x3f));
            out[2] = char(0x80 | (c & 0x3f));
            len = 3;
        } else {
            out[0] = char(0xf0 | (c >> 18));
            out[1] = char(0x80 | ((c >> 12) & 0x3f));
            out[2] = char(0x80 | ((c >> 6) & 0x3f));
            out[3] = char(0x80 | (c & 0x3f));
            len = 4;
        }
        append(out, len);
    }
    m_buffer.append('"');
}

void JsonWriter::writeString(QLatin1StringView s)
{
    // Keys and fixed words: ASCII in practice; Latin-1 above 0x7f is widened.
    bool plain = true;
    for (const char ch : s) {
        const uchar c = uchar(ch);
        if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) {
            plain = false;
            break;
        }
    }
    if (!plain) {
        writeString(QStringView(QString(s)));
        return;
    }
    m_buffer.append('"');
    append(s.data(), s.size());
    m_buffer.append('"');
}

} // namespace leakscope
