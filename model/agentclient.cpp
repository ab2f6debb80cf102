#include "agentclient.h"

#include <QEventLoop>
#include <QFutureWatcher>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QLocalSocket>
#include <QLoggingCategory>
#include <QTimer>
#include <QtConcurrent/QtConcurrentRun>

namespace leakscope {

Q_LOGGING_CATEGORY(lcAgentClient, "leakscope.agentclient", QtInfoMsg)

namespace {

struct ParsedLine
{
    QJsonObject object;
    QString error;
};

ParsedLine parseLine(const QByteArray &line)
{
    ParsedLine out;
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
    connect(m_socket, &QLocalSocket::connected, this, &AgentClient::connected);
    connect(m_socket, &QLocalSocket::readyRead, this, &AgentClient::onReadyRead);
    connect(m_socket, &QLocalSocket::disconnected, this, &AgentClient::onDisconnected);
    connect(m_socket, &QLocalSocket::errorOccurred, this, [this](QLocalSocket::LocalSocketError error) {
        if (error == QLocalSocket::PeerClosedError)
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

void AgentClient::connectToAgent(const QString &socketPath)
{
    m_socketPath = socketPath;
    m_buffer.clear();
    m_socket->abort();
    m_socket->connectToServer(socketPath, QIODevice::ReadWrite);
}

void AgentClient::disconnectFromAgent()
{
    m_socket->abort();
    failAll(QStringLiteral("%1: disconnected").arg(m_socketPath));
}

bool AgentClient::isConnected() const
{
    return m_socket->state() == QLocalSocket::ConnectedState;
}

qint64 AgentClient::request(const QString &op, const QJsonObject &params, int timeoutMs)
{
    const qint64 id = m_nextId++;
    if (m_socket->state() != QLocalSocket::ConnectedState && m_socket->state() != QLocalSocket::ConnectingState) {
        const QString message = QStringLiteral("%1: not connected to an agent").arg(m_socketPath);
        QTimer::singleShot(0, this, [this, id, message] { Q_EMIT failed(id, message); });
        return id;
    }
    QJsonObject req = params;
    req.insert(QStringLiteral("id"), id);
    req.insert(QStringLiteral("op"), op);
    QByteArray line = QJsonDocument(req).toJson(QJsonDocument::Compact);
    line.append('\n');
    m_pending.insert(id, Pending{op, m_clock.elapsed() + timeoutMs});
    m_socket->write(line);
    m_socket->flush();
    if (!m_timer->isActive())
        m_timer->start();
    return id;
}

void AgentClient::onReadyRead()
{
    m_buffer.append(m_socket->readAll());
    qsizetype newline;
    while ((newline = m_buffer.indexOf('\n')) >= 0) {
        QByteArray line = m_buffer.left(newline);
        m_buffer.remove(0, newline + 1);
        if (!line.trimmed().isEmpty())
            handleLine(std::move(line));
    }
    if (m_buffer.size() > s_maxReplyBytes) {
        const QString message = QStringLiteral("%1: reply larger than %2 bytes").arg(m_socketPath).arg(s_maxReplyBytes);
        m_socket->abort();
        failAll(message);
    }
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
    if (!parseError.isEmpty()) {
        // Without an id we cannot tell whom it was for; the protocol is broken.
        failAll(QStringLiteral("%1: %2").arg(m_socketPath, parseError));
        return;
    }
    const qint64 id = reply.value(QStringLiteral("id")).toInteger(-1);
    const auto it = m_pending.find(id);
    if (it == m_pending.end()) {
        qCDebug(lcAgentClient) << "reply for unknown or expired request" << id;
        return;
    }
    m_pending.erase(it);
    if (reply.contains(QStringLiteral("error"))) {
        const QJsonValue e = reply.value(QStringLiteral("error"));
        QString message = e.isObject() ? e.toObject().value(QStringLiteral("message")).toString() : e.toString();
        if (message.isEmpty())
            message = QStringLiteral("the agent reported an error");
        Q_EMIT failed(id, QStringLiteral("%1: %2").arg(m_socketPath, message));
        return;
    }
    Q_EMIT replied(id, reply.value(QStringLiteral("result")).toObject());
}

void AgentClient::onDisconnected()
{
    const QString message = QStringLiteral("%1: the agent closed the connection").arg(m_socketPath);
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
                                        int timeoutMs)
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
    if (!client.m_socket->waitForConnected(std::min(timeoutMs, 5000)))
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
