#pragma once

#include "expected.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QHash>
#include <QJsonObject>
#include <QObject>
#include <QString>

class QLocalSocket;
class QTimer;

namespace leakscope {

// Asynchronous client of one agent's Unix socket (docs/protocol.md): one JSON
// object per line, requests matched to replies by id, per-request timeouts,
// partial lines buffered, large replies parsed on a worker thread.
class AgentClient : public QObject
{
    Q_OBJECT
public:
    explicit AgentClient(QObject *parent = nullptr);
    ~AgentClient() override;

    void connectToAgent(const QString &socketPath);
    void disconnectFromAgent();
    bool isConnected() const;
    QString socketPath() const { return m_socketPath; }

    // Sends {"id": N, "op": op, ...params}; the answer arrives as replied(N, result)
    // or failed(N, message), also when not connected, the connection drops or
    // the timeout passes. Returns N.
    qint64 request(const QString &op, const QJsonObject &params = {}, int timeoutMs = 30000);

    // Replies at most this long are parsed on the calling thread; longer ones
    // on a worker thread so a big census never freezes the UI.
    static constexpr int s_inlineParseLimit = 64 * 1024;
    static constexpr qint64 s_maxReplyBytes = qint64(1) << 30;

    // Blocking convenience for the command line: connect, one request, wait.
    static Expected<QJsonObject> call(const QString &socketPath, const QString &op, const QJsonObject &params = {},
                                      int timeoutMs = 30000);

Q_SIGNALS:
    void connected();
    void disconnected(const QString &reason);
    void replied(qint64 id, const QJsonObject &result);
    void failed(qint64 id, const QString &message);

private:
    void onReadyRead();
    void onDisconnected();
    void onTimerTick();
    void handleLine(QByteArray line);
    void handleReply(const QJsonObject &reply, const QString &parseError);
    void failAll(const QString &message);

    struct Pending
    {
        QString op;
        qint64 deadlineMs = 0;
    };

    QLocalSocket *m_socket = nullptr;
    QTimer *m_timer = nullptr;
    QString m_socketPath;
    QByteArray m_buffer;
    QHash<qint64, Pending> m_pending;
    QElapsedTimer m_clock;
    qint64 m_nextId = 1;
    bool m_closing = false;
};

} // namespace leakscope
