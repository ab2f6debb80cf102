#include "cli/commandline.h"

#include "cli/clioutput.h"
#include "cli/textformat.h"

#include <QCoreApplication>

namespace leakscope {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("CommandLine", text);
}

} // namespace

QString CommandLine::missingValue(const Spec &spec, const QString &name)
{
    if (spec.missing.isEmpty())
        return tr("%1 needs a value").arg(name);
    return spec.missing.contains(QLatin1String("%1")) ? spec.missing.arg(name) : spec.missing;
}

void CommandLine::add(std::initializer_list<const char *> names, Spec spec)
{
    spec.canonical = QLatin1String(*names.begin());
    m_specs.push_back(std::move(spec));
    for (const char *name : names)
        m_byName.insert(QLatin1String(name), int(m_specs.size() - 1));
}

CommandLine &CommandLine::flag(std::initializer_list<const char *> names)
{
    add(names, Spec{QString(), Kind::Flag, QString(), false, {}});
    return *this;
}

CommandLine &CommandLine::option(std::initializer_list<const char *> names, const QString &missing, bool nonEmpty)
{
    add(names, Spec{QString(), Kind::Value, missing, nonEmpty, {}});
    return *this;
}

CommandLine &CommandLine::optionalValue(const char *name, std::function<bool(const QString &)> takesNext)
{
    add({name}, Spec{QString(), Kind::OptionalValue, QString(), false, std::move(takesNext)});
    return *this;
}

CommandLine &CommandLine::optionsEndAtFirstPositional()
{
    m_endAtPositional = true;
    return *this;
}

bool CommandLine::parse(const QStringList &arguments)
{
    bool optionsDone = false;
    for (int i = 0; i < arguments.size(); ++i) {
        const QString &arg = arguments.at(i);
        if (optionsDone || !arg.startsWith(QLatin1Char('-')) || arg == QLatin1String("-")) {
            if (m_endAtPositional) {
                m_positional += arguments.mid(i);
                return true;
            }
            m_positional << arg;
            continue;
        }
        if (arg == QLatin1String("--")) {
            optionsDone = true;
            continue;
        }
        if (arg == QLatin1String("-h") || arg == QLatin1String("--help")) {
            m_help = true;
            return true;
        }
        const qsizetype eq = arg.startsWith(QLatin1String("--")) ? arg.indexOf(QLatin1Char('=')) : -1;
        const QString name = eq > 0 ? arg.left(eq) : arg;
        const auto found = m_byName.constFind(name);
        if (found == m_byName.constEnd() || (m_specs[size_t(*found)].kind == Kind::Flag && eq > 0)) {
            m_error = tr("unknown option '%1'").arg(TextFormat::escape(arg));
            return false;
        }
        const Spec &spec = m_specs[size_t(*found)];
        QString value;
        switch (spec.kind) {
        case Kind::Flag:
            break;
        case Kind::Value:
            if (eq > 0) {
                value = arg.mid(eq + 1);
            } else if (i + 1 < arguments.size()) {
                value = arguments.at(++i);
            } else {
                m_error = missingValue(spec, name);
                m_errorOption = spec.canonical;
                return false;
            }
            if (spec.nonEmpty && value.isEmpty()) {
                m_error = missingValue(spec, name);
                m_errorOption = spec.canonical;
                return false;
            }
            break;
        case Kind::OptionalValue:
            if (eq > 0)
                value = arg.mid(eq + 1);
            else if (i + 1 < arguments.size() && spec.takesNext(arguments.at(i + 1)))
                value = arguments.at(++i);
            break;
        }
        m_values.insert(spec.canonical, value);
    }
    return true;
}

std::optional<int> CommandLine::parseFor(const QStringList &arguments, CliOutput &io, const QString &usage)
{
    if (!parse(arguments))
        return io.usageError(m_error, usage);
    if (m_help) {
        io.out += usage;
        return 0;
    }
    return std::nullopt;
}

bool CommandLine::has(const char *name) const
{
    const auto found = m_byName.constFind(QLatin1String(name));
    return found != m_byName.constEnd() && m_values.contains(m_specs[size_t(*found)].canonical);
}

QString CommandLine::value(const char *name) const
{
    const auto found = m_byName.constFind(QLatin1String(name));
    return found == m_byName.constEnd() ? QString() : m_values.value(m_specs[size_t(*found)].canonical);
}

std::optional<int> CommandLine::snapshotIndex(const QString &option, const QString &text, QString *error)
{
    bool ok = false;
    const int number = text.toInt(&ok);
    if (!ok || number < 1) {
        *error = tr("%1: '%2' is not a snapshot number (1 is the first, as the timeline and `info` show)")
                     .arg(option, TextFormat::escape(text));
        return std::nullopt;
    }
    return number - 1;
}

std::optional<qint64> CommandLine::wholeNumber(const char *name, qint64 fallback, qint64 minimum, qint64 maximum,
                                               QString *error) const
{
    if (!has(name))
        return fallback;
    bool ok = false;
    const QString text = value(name);
    const qint64 number = text.toLongLong(&ok);
    if (!ok || number < minimum || number > maximum) {
        *error = tr("%1 needs a whole number from %2 to %3, not '%4'")
                     .arg(QLatin1String(name))
                     .arg(minimum)
                     .arg(maximum)
                     .arg(TextFormat::escape(text));
        return std::nullopt;
    }
    return number;
}

} // namespace leakscope
