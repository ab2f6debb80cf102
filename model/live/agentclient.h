#pragma once

#include "core/expected.h"
#include "live/protocol.h"

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
// partial lines buffered, large replies parsed on a worker thread. Trusts
// nothing it reads: the peer must run as our effective uid (SO_PEERCRED,
// checked before any request is sent), reply lines and JSON nesting are
// bounded, and a reply that breaks the protocol fails every pending request
// and closes the connection.
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
    // The same for a request built by Protocol (live/protocol.h).
    qint64 request(const AgentRequest &r, int timeoutMs = 30000) { return request(r.op, r.params, timeoutMs); }

    // Replies at most this long are parsed on the calling thread; longer ones
    // on a worker thread so a big census never freezes the UI.
    static constexpr int s_inlineParseLimit = 64 * 1024;
    // One reply line may be at most this long (a census of a million distinct
    // types is about 50 MB); longer ones close the connection.
    static constexpr qint64 s_maxReplyBytes = qint64(64) << 20;
    // Replies of the protocol nest 4 levels deep; deeper is not an agent.
    static constexpr int s_maxNestingDepth = 64;
    void setMaxReplyBytes(qint64 bytes) { m_maxReplyBytes = bytes; }

    // Ok when the process at the other end of the connected socket `fd` runs
    // as our effective uid; otherwise a sentence naming socketPath and the uid.
    static Status checkPeer(qintptr fd, const QString &socketPath);

    // Blocking convenience for the command line: connect, one request, wait at
    // most timeoutMs for the answer (plus at most 5 s for the connection). When
    // the peer was refused (another uid), *peerRefusal says why.
    static Expected<QJsonObject> call(const QString &socketPath, const QString &op, const QJsonObject &params = {},
                                      int timeoutMs = 30000, QString *peerRefusal = nullptr);
    static Expected<QJsonObject> call(const QString &socketPath, const AgentRequest &r, int timeoutMs = 30000,
                                      QString *peerRefusal = nullptr)
    {
        return call(socketPath, r.op, r.params, timeoutMs, peerRefusal);
    }

Q_SIGNALS:
    void connected();
    void disconnected(const QString &reason);
    void replied(qint64 id, const QJsonObject &result);
    void failed(qint64 id, const QString &message);

private:
    void onSocketConnected();
    void protocolError(const QString &message);
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
    QByteArray m_outbox;          // requests made before the peer was verified
    QString m_refusal;            // why the peer was refused, if it was
    QString m_closeReason;        // why we closed the connection, if we did
    qint64 m_maxReplyBytes = s_maxReplyBytes;
    bool m_peerVerified = false;
    QHash<qint64, Pending> m_pending;
    QElapsedTimer m_clock;
    qint64 m_nextId = 1;
    bool m_closing = false;
};

} // namespace leakscope
