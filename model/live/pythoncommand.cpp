#include "live/pythoncommand.h"

#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>

#include <unistd.h>

namespace leakscope {

namespace {

QString baseName(const QString &path)
{
    QString name = QFileInfo(path).fileName();
    for (const QLatin1String suffix : {QLatin1String(".pyw"), QLatin1String(".py")}) {
        if (name.size() > suffix.size() && name.endsWith(suffix)) {
            name.chop(suffix.size());
            break;
        }
    }
    return name;
}

QString sanitized(const QString &name)
{
    QString out;
    out.reserve(name.size());
    for (const QChar c : name) {
        const bool ok = (c >= QLatin1Char('a') && c <= QLatin1Char('z')) || (c >= QLatin1Char('A') && c <= QLatin1Char('Z'))
            || (c >= QLatin1Char('0') && c <= QLatin1Char('9')) || c == QLatin1Char('.') || c == QLatin1Char('-')
            || c == QLatin1Char('_');
        out += ok ? c : QLatin1Char('_');
    }
    // A leading dot would hide the file; dots alone are no name.
    while (out.startsWith(QLatin1Char('.')))
        out.remove(0, 1);
    return out.isEmpty() ? QStringLiteral("python") : out;
}

// The interpreter's own options that consume the next argument when not
// attached ("-W ignore" as well as "-Wignore").
bool takesArgument(QChar option)
{
    return option == QLatin1Char('W') || option == QLatin1Char('X');
}

} // namespace

bool PythonCommand::isPythonInterpreter(const QString &program)
{
    static const QRegularExpression re(QStringLiteral("^(python|pypy)(\\d+(\\.\\d+)*)?[dmu]*(\\.exe)?$"));
    return re.match(QFileInfo(program).fileName()).hasMatch();
}

namespace {

// What an interpreter command line runs: a script, a module, code or stdin.
struct Target
{
    enum Kind { Nothing, Script, Module, Code, Stdin } kind = Nothing;
    QString value;
};

Target pythonTarget(const QStringList &command)
{
    for (int i = 1; i < command.size(); ++i) {
        const QString &arg = command.at(i);
        if (arg == QLatin1String("-"))
            return {Target::Stdin, QString()};
        if (arg == QLatin1String("--check-hash-based-pycs")) {
            ++i;
            continue;
        }
        if (arg.startsWith(QLatin1String("--")))
            continue;
        if (arg.startsWith(QLatin1Char('-')) && arg.size() > 1) {
            for (int k = 1; k < arg.size(); ++k) {
                const QChar c = arg.at(k);
                if (c == QLatin1Char('m'))
                    return {Target::Module, k + 1 < arg.size() ? arg.mid(k + 1) : command.value(i + 1)};
                if (c == QLatin1Char('c'))
                    return {Target::Code, QString()};
                if (takesArgument(c)) {
                    if (k + 1 == arg.size())
                        ++i;
                    break;
                }
            }
            continue;
        }
        return {Target::Script, arg};
    }
    return {};
}

} // namespace

QString PythonCommand::programName(const QStringList &command)
{
    if (command.isEmpty())
        return QStringLiteral("python");
    if (!isPythonInterpreter(command.first()))
        return sanitized(baseName(command.first()));
    const QString interpreter = sanitized(QFileInfo(command.first()).fileName());
    const Target t = pythonTarget(command);
    switch (t.kind) {
    case Target::Stdin:
        return QStringLiteral("stdin");
    case Target::Module:
        return t.value.isEmpty() ? interpreter : sanitized(t.value);
    case Target::Script:
        return sanitized(baseName(t.value));
    case Target::Code: // `python3 -c CODE` has no script name
    case Target::Nothing:
        break;
    }
    return interpreter;
}

QString PythonCommand::script(const QStringList &command)
{
    if (command.isEmpty() || !isPythonInterpreter(command.first()))
        return QString();
    const Target t = pythonTarget(command);
    return t.kind == Target::Script ? t.value : QString();
}

QString PythonCommand::findExecutable(const QString &program, const QProcessEnvironment &env)
{
    if (program.isEmpty())
        return QString();
    auto executable = [](const QString &path) {
        const QFileInfo info(path);
        return info.isFile() && ::access(QFile::encodeName(path).constData(), X_OK) == 0;
    };
    if (program.contains(QLatin1Char('/'))) {
        const QString path = QDir::cleanPath(QDir::current().absoluteFilePath(program));
        return QFileInfo(path).exists() ? path : QString();
    }
    const QStringList dirs = env.value(QStringLiteral("PATH")).split(QLatin1Char(':'));
    for (QString dir : dirs) {
        // An empty PATH entry means the current directory, as in the shell.
        if (dir.isEmpty())
            dir = QStringLiteral(".");
        const QString candidate = QDir(dir).absoluteFilePath(program);
        if (executable(candidate))
            return QDir::cleanPath(candidate);
    }
    return QString();
}

} // namespace leakscope
