#include "cli/optionargument.h"

namespace leakscope {

OptionArgument::OptionArgument(const QStringList &arguments, int &index) : m_arguments(arguments), m_index(index)
{
    const QString &arg = arguments.at(index);
    m_name = arg;
    const qsizetype eq = arg.indexOf(QLatin1Char('='));
    if (arg.startsWith(QLatin1String("--")) && eq > 0) {
        m_name = arg.left(eq);
        m_inlineValue = arg.mid(eq + 1);
        m_hasInlineValue = true;
    }
}

bool OptionArgument::takeValue(QString &value)
{
    if (m_hasInlineValue) {
        value = m_inlineValue;
        return true;
    }
    if (m_index + 1 >= m_arguments.size())
        return false;
    value = m_arguments.at(++m_index);
    return true;
}

} // namespace leakscope
