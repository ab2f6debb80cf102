#pragma once

#include <QHash>
#include <QString>
#include <QStringList>

#include <functional>
#include <initializer_list>
#include <optional>
#include <vector>

namespace leakscope {

struct CliOutput;

// The command line of one leakscope-cli command, parsed one way for every
// command: options are declared first (flags, options with a value, options
// whose value is optional), then parse() reads "--name VALUE",
// "--name=VALUE", "-o VALUE", flags, and positional arguments; "--" ends the
// options, "-" is positional, -h/--help asks for the usage. A flag given a
// value ("--json=1") and an undeclared option are errors naming the argument.
class CommandLine
{
public:
    // The first name is the one has()/value() know it by; others are aliases.
    CommandLine &flag(std::initializer_list<const char *> names);
    // A value option; `missing` is the error when no value follows (%1: the
    // name as given; default "%1 needs a value"). nonEmpty: an empty value is
    // missing too.
    CommandLine &option(std::initializer_list<const char *> names, const QString &missing = QString(),
                        bool nonEmpty = false);
    // An option whose value may be left out: the next argument is its value
    // only when takesNext(next) says so; "--name=VALUE" always is.
    CommandLine &optionalValue(const char *name, std::function<bool(const QString &)> takesNext);
    // The options end at the first positional argument (record: the command
    // to run starts there and keeps its own options).
    CommandLine &optionsEndAtFirstPositional();

    // False with error() set on a mistake.
    bool parse(const QStringList &arguments);
    const QString &error() const { return m_error; }
    // parse() for a command's run(): a mistake writes the error and the usage
    // (exit code 2), -h/--help the usage (0); nullopt when the command goes on.
    std::optional<int> parseFor(const QStringList &arguments, CliOutput &io, const QString &usage);
    // The option the error is about (its first name), empty for other errors.
    const QString &errorOption() const { return m_errorOption; }

    bool help() const { return m_help; }
    bool has(const char *name) const;
    QString value(const char *name) const;
    const QStringList &positional() const { return m_positional; }

    // A whole number in [minimum, maximum] (fallback when the option is not
    // given); nullopt with *error "NAME needs a whole number from A to B, not 'V'".
    std::optional<qint64> wholeNumber(const char *name, qint64 fallback, qint64 minimum, qint64 maximum,
                                      QString *error) const;

    // A snapshot number as the window's timeline and `info` show it (1 is the
    // first) turned into a 0-based index; nullopt with *error naming the option.
    static std::optional<int> snapshotIndex(const QString &option, const QString &text, QString *error);

private:
    enum class Kind { Flag, Value, OptionalValue };
    struct Spec
    {
        QString canonical;
        Kind kind = Kind::Flag;
        QString missing;
        bool nonEmpty = false;
        std::function<bool(const QString &)> takesNext;
    };
    void add(std::initializer_list<const char *> names, Spec spec);
    static QString missingValue(const Spec &spec, const QString &name);

    std::vector<Spec> m_specs;
    QHash<QString, int> m_byName;
    QHash<QString, QString> m_values; // canonical name -> value ("" for flags)
    QStringList m_positional;
    QString m_error;
    QString m_errorOption;
    bool m_help = false;
    bool m_endAtPositional = false;
};

} // namespace leakscope
