#pragma once

#include <QtGlobal>

#include <atomic>
#include <functional>

namespace leakscope {

// Cancel flag and progress sink handed to long graph computations (loading a
// heap graph, dominators), so a GUI worker can show progress and stop them.
// Both parts are optional; a default TaskControl never cancels or reports.
struct TaskControl
{
    const std::atomic_bool *cancel = nullptr;
    // Called with done <= total from the computing thread, at most about a
    // hundred times per phase; phase names the step ("in-edges", "dominators").
    std::function<void(const char *phase, qint64 done, qint64 total)> progress;

    bool cancelled() const { return cancel && cancel->load(std::memory_order_relaxed); }
    void report(const char *phase, qint64 done, qint64 total) const
    {
        if (progress)
            progress(phase, done, total);
    }
};

} // namespace leakscope
