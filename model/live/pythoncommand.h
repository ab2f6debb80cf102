#pragma once

#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

namespace leakscope {

// Looks at a command line the user wants to run with the agent: is it a
// Python interpreter, which script or module does it run, where is the
// executable. Shared by `leakscope-cli record` and the GUI's Run Script.
class PythonCommand
{
public:
    // "python", "python3", "python3.11", "pypy3", "python3.12d", ...
    static bool isPythonInterpreter(const QString &program);

    // A short name for output files: the script's basename without ".py"
    // (`python3 x.py` -> "x"), the module (`python3 -m pkg.mod` -> "pkg.mod"),
    // otherwise the command's basename (`pytest` -> "pytest"). Characters that
    // do not belong in a file name become '_'. Never empty.
    static QString programName(const QStringList &command);

    // The script a Python interpreter command runs (`python3 -u x.py a` ->
    // "x.py", as given); empty for -m, -c, stdin and other commands.
    static QString script(const QStringList &command);

    // The executable the command would run: a path containing '/' as given
    // (made absolute), otherwise the first executable match on PATH from env.
    // Empty when there is none.
    static QString findExecutable(const QString &program, const QProcessEnvironment &env);
};

} // namespace leakscope
