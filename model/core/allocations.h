#pragma once

#include "core/session.h"

#include <QString>

#include <vector>

namespace leakscope {

// One call stack that allocated objects, or one allocating line.
struct AllocationSite
{
    std::vector<AllocFrame> frames; // depth 0 (the allocating line) first
    qint64 objects = 0;             // object tracebacks grouped here
    qint64 sizeBefore = 0;          // line statistics: traced bytes at A
    qint64 sizeAfter = 0;           // ... at B
    qint64 deltaSize = 0;
    qint64 deltaCount = 0;          // memory blocks
};

struct AllocationReport
{
    bool tablesPresent = false;  // some snapshot has a container pass or allocation data
    bool traced = false;         // the snapshot pair has tracemalloc data
    int baseline = 0;
    int current = 0;
    int frames = 0;              // tracemalloc frames per traceback
    // Where the subject's new objects were allocated (object_traceback over
    // the snapshots (baseline, current]), most objects first.
    std::vector<AllocationSite> stacks;
    qint64 objectsWithout = 0;   // objects the interpreter gave no traceback for
    bool fallback = false;       // no object tracebacks: see `lines`
    QString note;                // the fallback's reason, once
    // The lines whose traced memory grew most from baseline to current.
    std::vector<AllocationSite> lines;
};

class AllocationAnalysis
{
public:
    // subject: a type name, or a container's object id in decimal; empty: only
    // the lines. top limits both lists.
    static AllocationReport analyze(const Session &session, int baseline, int current, bool container,
                                    const QString &subject, int top);
    // What a file recorded without --trace says instead.
    static QString notTracedMessage();
    static QString predatesMessage();
    // "file.py:12 in handle"
    static QString frameText(const AllocFrame &frame);
};

} // namespace leakscope
