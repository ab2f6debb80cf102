#include "cli/childprocess.h"

#include <QCoreApplication>
#include <QString>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <vector>

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

namespace leakscope {

namespace {

constexpr int s_forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
constexpr size_t s_forwardedCount = sizeof(s_forwarded) / sizeof(s_forwarded[0]);

volatile sig_atomic_t s_child = 0;
struct sigaction s_previous[s_forwardedCount];

void forwardSignal(int signal, siginfo_t *info, void *)
{
    // A signal from the terminal (Ctrl-C: si_code SI_KERNEL > 0) already
    // reached the child, which is in our process group; sending it again
    // would interrupt the child's own clean-up (and its final snapshot).
    // Forward only what was sent to us alone (kill(2): si_code <= 0).
    if (info && info->si_code > 0)
        return;
    const pid_t child = s_child;
    if (child > 0)
        ::kill(child, signal);
}

void restoreHandlers()
{
    for (size_t i = 0; i < s_forwardedCount; ++i)
        ::sigaction(s_forwarded[i], &s_previous[i], nullptr);
}

// Async-signal-safe decimal formatting for the child.
char *writeDecimal(char *out, long value)
{
    char digits[24];
    int n = 0;
    do {
        digits[n++] = char('0' + value % 10);
        value /= 10;
    } while (value > 0 && n < 23);
    while (n > 0)
        *out++ = digits[--n];
    return out;
}

void writeAll(int fd, const char *data, size_t size)
{
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            return;
        }
        data += n;
        size -= size_t(n);
    }
}

} // namespace

Expected<qint64> ChildProcess::start(const Spec &spec)
{
    // Everything the child needs is built before fork(): after it, the
    // child only calls async-signal-safe functions until execve.
    std::vector<char *> argv;
    argv.reserve(size_t(spec.arguments.size()) + 1);
    for (const QByteArray &a : spec.arguments)
        argv.push_back(const_cast<char *>(a.constData()));
    argv.push_back(nullptr);

    std::vector<char> pidEntry;
    char *pidSlot = nullptr;
    if (spec.hasPidEntry) {
        pidEntry.assign(size_t(spec.pidEnvPrefix.size() + spec.pidEnvSuffix.size()) + 32, '\0');
        std::memcpy(pidEntry.data(), spec.pidEnvPrefix.constData(), size_t(spec.pidEnvPrefix.size()));
        pidSlot = pidEntry.data() + spec.pidEnvPrefix.size();
    }
    std::vector<char *> envp;
    envp.reserve(size_t(spec.environment.size()) + 2);
    for (const QByteArray &e : spec.environment)
        envp.push_back(const_cast<char *>(e.constData()));
    if (pidSlot)
        envp.push_back(pidEntry.data());
    envp.push_back(nullptr);

    const QByteArray execErrorPrefix = "leakscope-cli: " + spec.program + ": ";
    const char *program = spec.program.constData();
    const char *suffix = spec.pidEnvSuffix.constData();
    const size_t suffixSize = size_t(spec.pidEnvSuffix.size());

    // Block the forwarded signals around fork() so none arrives before the
    // handler knows the child's pid.
    sigset_t block, previousMask;
    sigemptyset(&block);
    for (const int s : s_forwarded)
        sigaddset(&block, s);
    ::sigprocmask(SIG_BLOCK, &block, &previousMask);
    for (size_t i = 0; i < s_forwardedCount; ++i) {
        struct sigaction action;
        std::memset(&action, 0, sizeof action);
        action.sa_sigaction = forwardSignal;
        action.sa_flags = SA_SIGINFO | SA_RESTART;
        sigemptyset(&action.sa_mask);
        ::sigaction(s_forwarded[i], &action, &s_previous[i]);
    }
    std::fflush(nullptr);

    const pid_t pid = ::fork();
    if (pid == 0) {
        // Child: the caller's dispositions (e.g. SIGINT ignored under nohup)
        // and signal mask, as if the shell had started it.
        for (size_t i = 0; i < s_forwardedCount; ++i)
            ::sigaction(s_forwarded[i], &s_previous[i], nullptr);
        ::sigprocmask(SIG_SETMASK, &previousMask, nullptr);
        if (pidSlot) {
            char *end = writeDecimal(pidSlot, long(::getpid()));
            std::memcpy(end, suffix, suffixSize);
            end[suffixSize] = '\0';
        }
        ::execve(program, argv.data(), envp.data());
        const int error = errno;
        writeAll(2, execErrorPrefix.constData(), size_t(execErrorPrefix.size()));
        const char *reason = std::strerror(error);
        writeAll(2, reason, std::strlen(reason));
        writeAll(2, "\n", 1);
        ::_exit(error == ENOENT ? 127 : 126);
    }
    if (pid < 0) {
        const int error = errno;
        restoreHandlers();
        ::sigprocmask(SIG_SETMASK, &previousMask, nullptr);
        return Expected<qint64>::failure(QString::fromLocal8Bit(spec.program)
                                         + QCoreApplication::translate("ChildProcess", ": cannot start (%1)")
                                               .arg(QString::fromLocal8Bit(std::strerror(error))));
    }
    s_child = pid;
    ::sigprocmask(SIG_SETMASK, &previousMask, nullptr);
    return qint64(pid);
}

int ChildProcess::wait(qint64 pid)
{
    int status = 0;
    pid_t r;
    do {
        r = ::waitpid(pid_t(pid), &status, 0);
    } while (r < 0 && errno == EINTR);
    s_child = 0;
    restoreHandlers();
    if (r < 0)
        return 127;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return 1;
}

} // namespace leakscope
