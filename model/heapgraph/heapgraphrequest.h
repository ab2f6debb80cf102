#pragma once

#include "heapgraph/heapgraphservice.h"

#include <QObject>
#include <QString>

#include <memory>
#include <vector>

namespace leakscope {

class JobRunner;

// One client's view of the HeapGraphService from the UI thread: gets the
// graphs it shows (with the analyses it needs) on a JobRunner worker, with
// progress and cancel, and holds them while it shows them, so they stay in
// memory for as long as this client (or another) uses them. A new request
// supersedes the one before it.
class HeapGraphRequest : public QObject
{
    Q_OBJECT
public:
    using Key = HeapGraphService::Key;
    struct Item
    {
        Key key;
        HeapGraphService::Analyses analyses = HeapGraphService::GraphOnly;
    };

    HeapGraphRequest(std::shared_ptr<HeapGraphService> service, QObject *parent = nullptr);
    ~HeapGraphRequest() override;

    // Makes these graphs available: when everything is in memory already
    // (with the analyses asked for) the results are set now and true is
    // returned (no signal); otherwise one background job gets them and
    // emits ready() or failed(). What an earlier request got stays held
    // until this one delivers.
    bool request(const std::vector<Item> &items);
    // The result of the last request for `key`; null when not there (yet).
    AnalysedGraphPtr result(const Key &key) const;
    bool isRunning() const;
    QString lastError() const { return m_error; }
    void cancel();
    // Cancels and lets go of every graph.
    void clear();

    JobRunner *runner() const { return m_runner; }
    HeapGraphService *service() const { return m_service.get(); }

signals:
    void ready();
    void failed(const QString &error);

private:
    std::shared_ptr<HeapGraphService> m_service;
    JobRunner *m_runner;
    std::vector<AnalysedGraphPtr> m_results;
    std::vector<Item> m_running; // what the running job fetches
    QString m_error;
};

} // namespace leakscope
