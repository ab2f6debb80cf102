#pragma once

#include <QString>
#include <QStringList>

namespace leakscope {

// One option on a command line: "--name=value", "--name value" or "-o value".
// The value comes after '=' or from the next argument, which then counts as
// consumed (the caller's index moves on).
class OptionArgument
{
public:
    OptionArgument(const QStringList &arguments, int &index);

    const QString &name() const { return m_name; }
    // True for "--name=value": a flag given a value is a mistake.
    bool hasInlineValue() const { return m_hasInlineValue; }
    // False when the option has no value left to take.
    bool takeValue(QString &value);

private:
    const QStringList &m_arguments;
    int &m_index;
    QString m_name;
    QString m_inlineValue;
    bool m_hasInlineValue = false;
};

} // namespace leakscope
