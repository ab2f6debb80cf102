#include "live/agentclient.h"

#include <QEventLoop>
#include <QFutureWatcher>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QLocalSocket>
#include <QLoggingCategory>
#include <QTimer>
#include <QtConcurrent/QtConcurrentRun>

#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

namespace leakscope {

Q_LOGGING_CATEGORY(lcAgentClient, "leakscope.agentclient", QtInfoMsg)

namespace {

struct ParsedLine
{
    QJsonObject object;
    QString error;
};

// Deepest nesting of arrays and objects in a JSON text, counted outside
// strings, stopping as soon as it passes `limit`: checked before parsing so no
// parser ever recurses on a hostile reply.
int nestingDepth(const QByteArray &text, int limit)
{
    int depth = 0;
    int deepest = 0;
    bool inString = false;
    bool escaped = false;
    for (const char c : text) {
        if (inString) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                inString = false;
        } else if (c == '"') {
            inString = true;
        } else if (c == '[' || c == '{') {
            deepest = std::max(deepest, ++depth);
            if (deepest > limit)
                return deepest;
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return deepest;
}

ParsedLine parseLine(const QByteArray &line)
{
    ParsedLine out;
    if (nestingDepth(line, AgentClient::s_maxNestingDepth) > AgentClient::s_maxNestingDepth) {
        out.error = QStringLiteral("the agent sent JSON nested deeper than %1 levels").arg(AgentClient::s_maxNestingDepth);
        return out;
    }
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(line, &err);
    if (err.error != QJsonParseError::NoError)
        out.error = QStringLiteral("invalid JSON from the agent (%1)").arg(err.errorString());
    else if (!doc.isObject())
        out.error = QStringLiteral("the agent sent something other than a JSON object");
    else
        out.object = doc.object();
    return out;
}

} // namespace

AgentClient::AgentClient(QObject *parent)
    : QObject(parent), m_socket(new QLocalSocket(this)), m_timer(new QTimer(this))
{
    m_clock.start();
    m_timer->setInterval(250);
    connect(m_timer, &QTimer::timeout, this, &AgentClient::onTimerTick);
    connect(m_socket, &QLocalSocket::connected, this, &AgentClient::onSocketConnected);
    connect(m_socket, &QLocalSocket::readyRead, this, &AgentClient::onReadyRead);
    connect(m_socket, &QLocalSocket::disconnected, this, &AgentClient::onDisconnected);
    connect(m_socket, &QLocalSocket::errorOccurred, this, [this](QLocalSocket::LocalSocketError error) {
        if (error == QLocalSocket::PeerClosedError || !m_closeReason.isEmpty())
            return; // reported through disconnected()
        const QString message = QStringLiteral("%1: %2").arg(m_socketPath, m_socket->errorString());
        qCDebug(lcAgentClient) << "socket error" << message;
        failAll(message);
        if (m_socket->state() == QLocalSocket::UnconnectedState)
            Q_EMIT disconnected(message);
    });
}

AgentClient::~AgentClient()
{
    m_closing = true;
}

Status AgentClient::checkPeer(qintptr fd, const QString &socketPath)
{
    uid_t uid = uid_t(-1);
#if defined(SO_PEERCRED)
    struct ucred cred = {};
    socklen_t length = sizeof cred;
    if (::getsockopt(int(fd), SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0 || length != sizeof cred)
        return Status::failure(QStringLiteral("refusing %1: cannot read the credentials of the process serving it")
                                   .arg(socketPath));
    uid = cred.uid;
#else
    gid_t gid;
    if (::getpeereid(int(fd), &uid, &gid) != 0)
        return Status::failure(QStringLiteral("refusing %1: cannot read the credentials of the process serving it")
                                   .arg(socketPath));
#endif
    // Same rule for root: a socket some other user serves could answer
    // anything, and `snapshot` would write it into root's file.
    if (uid != ::geteuid())
        return Status::failure(QStringLiteral("refusing %1: the process serving it runs as uid %2, not as you (uid %3)")
                                   .arg(socketPath)
                                   .arg(uid)
                                   .arg(::geteuid()));
    return Status();
}

void AgentClient::connectToAgent(const QString &socketPath)
{
    m_socketPath = socketPath;
    m_buffer.clear();
    m_outbox.clear();
    m_refusal.clear();
    m_closeReason.clear();
    m_peerVerified = false;
    m_socket->abort();
    m_socket->connectToServer(socketPath, QIODevice::ReadWrite);
}

void AgentClient::onSocketConnected()
{
    const Status peer = checkPeer(m_socket->socketDescriptor(), m_socketPath);
    if (!peer) {
        qCWarning(lcAgentClient) << peer.error();
        m_refusal = peer.error();
        m_outbox.clear();
        protocolError(peer.error());
        return;
    }
    m_peerVerified = true;
    if (!m_outbox.isEmpty()) {
        m_socket->write(m_outbox);
        m_socket->flush();
        m_outbox.clear();
    }
    Q_EMIT connected();
}

void AgentClient::disconnectFromAgent()
{
    m_closeReason = QStringLiteral("%1: disconnected").arg(m_socketPath);
    failAll(m_closeReason);
    m_socket->abort();
}

bool AgentClient::isConnected() const
{
    return m_socket->state() == QLocalSocket::ConnectedState && m_peerVerified;
}

qint64 AgentClient::request(const QString &op, const QJsonObject &params, int timeoutMs)
{
    const qint64 id = m_nextId++;
    const bool connecting = m_socket->state() == QLocalSocket::ConnectingState
        || (m_socket->state() == QLocalSocket::ConnectedState && !m_peerVerified && m_refusal.isEmpty());
    if (!isConnected() && !connecting) {
        const QString message = m_refusal.isEmpty() ? QStringLiteral("%1: not connected to an agent").arg(m_socketPath)
                                                    : m_refusal;
        QTimer::singleShot(0, this, [this, id, message] { Q_EMIT failed(id, message); });
        return id;
    }
    QJsonObject req = params;
    req.insert(QStringLiteral("id"), id);
    req.insert(QStringLiteral("op"), op);
    QByteArray line = QJsonDocument(req).toJson(QJsonDocument::Compact);
    line.append('\n');
    m_pending.insert(id, Pending{op, m_clock.elapsed() + timeoutMs});
    if (m_peerVerified) {
        m_socket->write(line);
        m_socket->flush();
    } else {
        m_outbox += line; // nothing goes out before we know who listens
    }
    if (!m_timer->isActive())
        m_timer->start();
    return id;
}

void AgentClient::protocolError(const QString &message)
{
    // Fail first, then close: the close must not report a vaguer reason.
    m_closeReason = message;
    failAll(message);
    m_buffer.clear();
    const bool wasOpen = m_socket->state() != QLocalSocket::UnconnectedState;
    m_socket->abort();
    if (wasOpen && m_socket->state() == QLocalSocket::UnconnectedState && !m_closing)
        Q_EMIT disconnected(message);
}

void AgentClient::onReadyRead()
{
    if (!m_peerVerified) {
        m_socket->readAll(); // never read a word from an unverified peer
        return;
    }
    m_buffer.append(m_socket->readAll());
    qsizetype newline;
    while ((newline = m_buffer.indexOf('\n')) >= 0) {
        if (newline > m_maxReplyBytes)
            break;
        QByteArray line = m_buffer.left(newline);
        m_buffer.remove(0, newline + 1);
        if (!line.trimmed().isEmpty())
            handleLine(std::move(line));
        if (!m_closeReason.isEmpty())
            return;
    }
    const qsizetype lineLength = newline >= 0 ? newline : m_buffer.size();
    if (lineLength > m_maxReplyBytes)
        protocolError(QStringLiteral("%1: the agent sent a reply line longer than %2 bytes")
                          .arg(m_socketPath)
                          .arg(m_maxReplyBytes));
}

void AgentClient::handleLine(QByteArray line)
{
    if (line.size() <= s_inlineParseLimit) {
        const ParsedLine parsed = parseLine(line);
        handleReply(parsed.object, parsed.error);
        return;
    }
    auto *watcher = new QFutureWatcher<ParsedLine>(this);
    connect(watcher, &QFutureWatcher<ParsedLine>::finished, this, [this, watcher] {
        const ParsedLine parsed = watcher->result();
        watcher->deleteLater();
        handleReply(parsed.object, parsed.error);
    });
    watcher->setFuture(QtConcurrent::run(parseLine, std::move(line)));
}

void AgentClient::handleReply(const QJsonObject &reply, const QString &parseError)
{
    if (!m_closeReason.isEmpty())
        return; // parsed on a worker after the connection was given up
    if (!parseError.isEmpty()) {
        // Without an id we cannot tell whom it was for; the protocol is broken.
        protocolError(QStringLiteral("%1: %2").arg(m_socketPath, parseError));
        return;
    }
    const QJsonValue idValue = reply.value(QStringLiteral("id"));
    const QJsonValue result = reply.value(QStringLiteral("result"));
    const QJsonValue error = reply.value(QStringLiteral("error"));
    auto errorMessage = [&] {
        QString message = error.isObject() ? error.toObject().value(QStringLiteral("message")).toString()
                                           : error.toString();
        return message.isEmpty() ? QStringLiteral("the agent reported an error") : message;
    };
    if (result.isUndefined() == error.isUndefined()) {
        protocolError(QStringLiteral("%1: the agent sent a reply with %2")
                          .arg(m_socketPath, result.isUndefined() ? QStringLiteral("neither result nor error")
                                                                  : QStringLiteral("both result and error")));
        return;
    }
    if (idValue.isNull() && !error.isUndefined()) {
        // too_large, too_many_connections: about the connection, not one request.
        protocolError(QStringLiteral("%1: %2").arg(m_socketPath, errorMessage()));
        return;
    }
    const double rawId = idValue.toDouble(-1);
    const qint64 id = idValue.isDouble() && rawId >= 1 && rawId < double(m_nextId) && rawId == double(qint64(rawId))
        ? qint64(rawId)
        : -1;
    if (id < 0) {
        protocolError(QStringLiteral("%1: the agent answered a request that was never sent (id %2)")
                          .arg(m_socketPath, idValue.isDouble() ? QString::number(rawId)
                                             : idValue.isString() ? QStringLiteral("a string")
                                                                  : QStringLiteral("missing or not a number")));
        return;
    }
    const auto it = m_pending.find(id);
    if (it == m_pending.end()) {
        qCDebug(lcAgentClient) << "reply for expired request" << id;
        return;
    }
    if (!error.isUndefined()) {
        m_pending.erase(it);
        Q_EMIT failed(id, QStringLiteral("%1: %2").arg(m_socketPath, errorMessage()));
        return;
    }
    if (!result.isObject()) {
        protocolError(QStringLiteral("%1: the agent's reply to '%2' has a result that is not an object")
                          .arg(m_socketPath, it.value().op));
        return;
    }
    m_pending.erase(it);
    Q_EMIT replied(id, result.toObject());
}

void AgentClient::onDisconnected()
{
    if (!m_closeReason.isEmpty()) {
        failAll(m_closeReason);
        return; // we closed it and said why
    }
    if (m_peerVerified)
        onReadyRead(); // what arrived just before the close
    QString message;
    if (!m_buffer.trimmed().isEmpty())
        message = QStringLiteral("%1: the agent closed the connection in the middle of a reply (%2 bytes without "
                                 "an end of line)")
                      .arg(m_socketPath)
                      .arg(m_buffer.size());
    else if (!m_pending.isEmpty())
        message = QStringLiteral("%1: the agent closed the connection before answering").arg(m_socketPath);
    else
        message = QStringLiteral("%1: the agent closed the connection").arg(m_socketPath);
    m_buffer.clear();
    m_closeReason = message;
    failAll(message);
    if (!m_closing)
        Q_EMIT disconnected(message);
}

void AgentClient::onTimerTick()
{
    const qint64 now = m_clock.elapsed();
    QList<qint64> expired;
    for (auto it = m_pending.cbegin(); it != m_pending.cend(); ++it)
        if (it.value().deadlineMs <= now)
            expired.append(it.key());
    for (qint64 id : expired) {
        const QString op = m_pending.take(id).op;
        Q_EMIT failed(id, QStringLiteral("%1: no answer to '%2' in time").arg(m_socketPath, op));
    }
    if (m_pending.isEmpty())
        m_timer->stop();
}

void AgentClient::failAll(const QString &message)
{
    const QList<qint64> ids = m_pending.keys();
    m_pending.clear();
    m_timer->stop();
    for (qint64 id : ids)
        Q_EMIT failed(id, message);
}

Expected<QJsonObject> AgentClient::call(const QString &socketPath, const QString &op, const QJsonObject &params,
                                        int timeoutMs, QString *peerRefusal)
{
    AgentClient client;
    QEventLoop loop;
    std::optional<Expected<QJsonObject>> outcome;
    qint64 id = -1;
    connect(&client, &AgentClient::replied, &loop, [&](qint64 rid, const QJsonObject &result) {
        if (rid == id) {
            outcome = Expected<QJsonObject>(result);
            loop.quit();
        }
    });
    connect(&client, &AgentClient::failed, &loop, [&](qint64 rid, const QString &message) {
        if (rid == id) {
            outcome = Expected<QJsonObject>::failure(message);
            loop.quit();
        }
    });
    connect(&client, &AgentClient::disconnected, &loop, [&](const QString &message) {
        if (!outcome)
            outcome = Expected<QJsonObject>::failure(message);
        loop.quit();
    });
    client.connectToAgent(socketPath);
    const bool connected = client.m_socket->waitForConnected(std::min(timeoutMs, 5000));
    if (!client.m_refusal.isEmpty()) {
        if (peerRefusal)
            *peerRefusal = client.m_refusal;
        return Expected<QJsonObject>::failure(client.m_refusal);
    }
    if (!connected || !client.m_peerVerified)
        return Expected<QJsonObject>::failure(
            QStringLiteral("%1: cannot connect (%2)").arg(socketPath, client.m_socket->errorString()));
    id = client.request(op, params, timeoutMs);
    if (!outcome)
        loop.exec();
    if (!outcome)
        return Expected<QJsonObject>::failure(QStringLiteral("%1: no answer").arg(socketPath));
    return *outcome;
}

} // namespace leakscope
