#pragma once

#include "expected.h"
#include "growth.h"
#include "jobrunner.h"
#include "loadedfile.h"
#include "session.h"

#include <QObject>
#include <QStringList>

#include <memory>
#include <vector>

namespace leakscope {

// Owns the session shown by the main window and every slow operation on it.
// Each change is computed on a worker thread on a copy of the session and
// published whole (sessionChanged, then comparisonChanged), so views reset
// once per batch. Files today; a live feed adds batches with addLoadedFiles()
// or addSnapshots() in the same way.
class SessionController : public QObject
{
    Q_OBJECT
public:
    explicit SessionController(QObject *parent = nullptr);
    ~SessionController() override;

    std::shared_ptr<const Session> session() const { return m_session; }
    std::shared_ptr<const Comparison> comparison() const { return m_comparison; }
    int baseline() const { return m_baseline; }
    int current() const { return m_current; }
    QStringList files() const { return m_files; }
    bool isBusy() const;

    // Reads the files in the background and merges them into the session;
    // files that fail are reported by fileFailed and leave the others alone.
    void openFiles(const QStringList &paths);
    // Merges data that is already in memory (tests, imports, a live feed).
    void addLoadedFiles(std::vector<LoadedFile> files);
    void addSnapshots(const std::vector<Snapshot> &snapshots, const TypeRegistry &types, const QString &source);
    // Compares `current` against `baseline` (indices into the session).
    void setComparedSnapshots(int baseline, int current);
    void clear();
    // Cancels loading and comparing.
    void cancel();

    // Writes every snapshot of the session to one .lsnap file (background).
    void saveSessionAs(const QString &path);

    JobRunner *loader() const { return m_loader; }
    JobRunner *comparer() const { return m_comparer; }
    JobRunner *saver() const { return m_saver; }

signals:
    void sessionChanged();
    void comparisonChanged();
    void fileOpened(const QString &path);
    void fileFailed(const QString &path, const QString &error);
    void sessionSaved(const QString &path);
    void saveFailed(const QString &path, const QString &error);
    void busyChanged(bool busy);

private:
    struct Batch
    {
        QStringList paths;
        std::vector<LoadedFile> inMemory;
    };
    void startNextBatch();
    void publish(std::shared_ptr<const Session> session, std::shared_ptr<const Comparison> comparison);

    JobRunner *m_loader;
    JobRunner *m_comparer;
    JobRunner *m_saver;
    std::vector<Batch> m_pending;
    std::shared_ptr<const Session> m_session;
    std::shared_ptr<const Comparison> m_comparison;
    QStringList m_files;
    int m_baseline = -1;
    int m_current = -1;
    bool m_busy = false;
};

} // namespace leakscope
