#include "heapgraph/objectdetails.h"

#include "core/textutil.h"
#include "heapgraph/dominatortree.h"
#include "heapgraph/leakreportgraph.h"
#include "heapgraph/referencechain.h"

#include <QCoreApplication>

#include <algorithm>

namespace leakscope {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("leakscope::ObjectDetails", text);
}

QString valueOf(const HeapGraph &graph, quint32 node)
{
    const QString label = graph.describe(node);
    if (!label.isEmpty())
        return TextUtil::oneLine(label);
    return QStringLiteral("<%1 object at %2>").arg(graph.typeName(graph.type(node)), TextUtil::hexId(graph.id(node)));
}

bool isDictType(const HeapGraph &graph, quint32 node)
{
    return graph.typeName(graph.type(node)) == QLatin1String("dict");
}

// The instance whose __dict__ `node` is (the one in-edge labelled
// "__dict__" from a non-module), or NoNode.
quint32 ownerOfDict(const HeapGraph &graph, quint32 node)
{
    if (!isDictType(graph, node))
        return HeapGraph::NoNode;
    for (quint32 j = graph.inBegin(node); j < graph.inEnd(node); ++j) {
        const quint32 source = graph.inSource(j);
        if (!(graph.flags(source) & HeapGraph::ModuleRoot) && graph.edgeLabel(graph.inEdge(j)) == QLatin1String("__dict__"))
            return source;
    }
    return HeapGraph::NoNode;
}

QString rootKindOf(quint8 flags)
{
    if (flags & HeapGraph::ModuleRoot)
        return tr("module");
    if (flags & HeapGraph::ClassRoot)
        return tr("class");
    if (flags & HeapGraph::ThreadFrameRoot)
        return tr("thread frame");
    if (flags & HeapGraph::OtherRoot)
        return tr("root");
    return {};
}

} // namespace

Expected<ObjectDetails> ObjectDetails::fromGraph(const HeapGraph &graph, const DominatorTree *dominators,
                                                 quint64 objectId, int limit)
{
    const quint32 node = graph.findNode(objectId);
    if (node == HeapGraph::NoNode)
        return Expected<ObjectDetails>::failure(
            tr("No object %1 in the heap graph of this snapshot").arg(TextUtil::hexId(objectId)));
    const size_t cap = size_t(std::max(0, limit));

    ObjectDetails d;
    d.id = objectId;
    d.type = graph.typeName(graph.type(node));
    d.label = TextUtil::oneLine(graph.describe(node));
    d.size = graph.shallowSize(node);
    if (dominators && dominators->nodeCount() == graph.nodeCount())
        d.retained = qint64(dominators->retainedSize(node));
    d.rootKind = rootKindOf(graph.flags(node));

    const auto addField = [&](quint32 edge, const QString &name) {
        ++d.fieldCount;
        if (d.fields.size() >= cap)
            return;
        const quint32 target = graph.target(edge);
        d.fields.push_back(Field{name, graph.id(target), graph.typeName(graph.type(target)), valueOf(graph, target),
                                 graph.shallowSize(target)});
    };
    // An instance's attributes live in its __dict__: list them as its own
    // fields, first; the __dict__ itself follows with the other referents.
    std::vector<quint32> others;
    for (quint32 e = graph.outBegin(node); e < graph.outEnd(node); ++e) {
        const QString name = graph.edgeLabel(e);
        const quint32 target = graph.target(e);
        if (name == QLatin1String("__dict__") && isDictType(graph, target) && !(graph.flags(node) & HeapGraph::ModuleRoot)
            && target != node) {
            for (quint32 f = graph.outBegin(target); f < graph.outEnd(target); ++f)
                addField(f, graph.edgeLabel(f));
        }
        others.push_back(e);
    }
    // A list's or tuple's items in index order (the dump may list them
    // backwards), so the first `limit` shown are [0], [1], ...
    const auto indexOf = [&graph](quint32 e) {
        const QString name = graph.edgeLabel(e);
        bool ok = false;
        const qint64 i = name.size() > 2 && name.startsWith(QLatin1Char('[')) && name.endsWith(QLatin1Char(']'))
            ? name.mid(1, name.size() - 2).toLongLong(&ok)
            : -1;
        return ok ? i : qint64(-1);
    };
    std::stable_sort(others.begin(), others.end(), [&indexOf](quint32 a, quint32 b) {
        const qint64 ia = indexOf(a), ib = indexOf(b);
        return ia >= 0 && ib >= 0 ? ia < ib : (ia < 0 && ib >= 0);
    });
    for (quint32 e : others)
        addField(e, graph.edgeLabel(e));

    d.referrerCount = graph.inDegree(node);
    for (quint32 j = graph.inBegin(node); j < graph.inEnd(node) && d.referrers.size() < cap; ++j) {
        const quint32 source = graph.inSource(j);
        Referrer r;
        r.id = graph.id(source);
        r.type = graph.typeName(graph.type(source));
        r.label = valueOf(graph, source);
        r.via = graph.edgeLabel(graph.inEdge(j));
        // "Request.session" reads better than "dict ['session']".
        const quint32 owner = ownerOfDict(graph, source);
        if (owner != HeapGraph::NoNode && owner != node) {
            r.ownerId = graph.id(owner);
            const QString ownerType = graph.typeName(graph.type(owner));
            r.via = ownerType.section(QLatin1Char('.'), -1) + (r.via.startsWith(QLatin1Char('.')) ? r.via : QLatin1Char(' ') + r.via);
        }
        d.referrers.push_back(r);
    }
    return d;
}

ObjectDetails ObjectDetails::fromAgentObject(const AgentReply::ObjectInfo &info, int limit)
{
    const size_t cap = size_t(std::max(0, limit));
    const auto count = [](qint64 n) { return quint32(std::clamp<qint64>(n, 0, 4000000000LL)); };
    ObjectDetails d;
    d.fromAgent = true;
    d.listed = info.listed;
    d.id = quint64(std::max<qint64>(0, info.id));
    d.type = TextUtil::oneLine(info.type);
    d.label = TextUtil::oneLine(info.label);
    d.size = quint64(std::max<qint64>(0, info.size));
    if (info.root) {
        if (info.kind == QLatin1String("module"))
            d.rootKind = tr("module");
        else if (info.kind == QLatin1String("class"))
            d.rootKind = tr("class");
        else if (info.kind == QLatin1String("frame"))
            d.rootKind = tr("thread frame");
        else
            d.rootKind = tr("root");
    }
    for (const AgentReply::ObjectInfo::Field &f : info.fields) {
        if (d.fields.size() >= cap)
            break;
        const QString value = f.value.isEmpty()
            ? QStringLiteral("<%1 object at %2>").arg(f.type, TextUtil::hexId(quint64(f.id)))
            : TextUtil::oneLine(f.value);
        d.fields.push_back(Field{TextUtil::oneLine(f.name), quint64(f.id), TextUtil::oneLine(f.type), value,
                                 quint64(std::max<qint64>(0, f.size))});
    }
    d.fieldCount = info.listed ? count(std::max<qint64>(info.fieldsCount, qint64(info.fields.size())))
                               : count(info.referentsCount);
    for (const AgentReply::ObjectInfo::Referrer &r : info.referrers) {
        if (d.referrers.size() >= cap)
            break;
        Referrer out;
        out.id = quint64(r.id);
        out.type = TextUtil::oneLine(r.type);
        // The agent labels an object its type says enough about by that type.
        out.label = r.label.isEmpty() || r.label == r.type
            ? QStringLiteral("<%1 object at %2>").arg(out.type, TextUtil::hexId(out.id))
            : TextUtil::oneLine(r.label);
        // A module global says its name: "__main__._REQUEST_LOG · dict (4 items)".
        if (!r.heldAs.isEmpty())
            out.label = TextUtil::oneLine(r.heldAs) + QStringLiteral(" \u00b7 ") + out.label;
        out.via = TextUtil::oneLine(r.edge);
        // "Session.current" reads better than "dict ['current']", as in files.
        if (r.ownerId > 0 && quint64(r.ownerId) != d.id) {
            out.ownerId = quint64(r.ownerId);
            const QString ownerType = TextUtil::oneLine(r.ownerType).section(QLatin1Char('.'), -1);
            out.via = ownerType + (out.via.startsWith(QLatin1Char('.')) ? out.via : QLatin1Char(' ') + out.via);
        }
        d.referrers.push_back(out);
    }
    d.referrerCount = count(std::max<qint64>(info.referrersCount, qint64(info.referrers.size())));
    return d;
}

QString ObjectDetails::fromAgentChain(const AgentReply::Chain &chain)
{
    if (chain.steps.empty())
        return tr("no chain of references leads to it");
    QStringList parts;
    for (const AgentReply::RefNode &step : chain.steps) {
        const QString label = TextUtil::oneLine(step.label.isEmpty() ? step.type : step.label);
        const QString edge = TextUtil::oneLine(step.edge);
        parts << (edge.isEmpty() ? label : QStringLiteral("%1: %2").arg(edge, label));
    }
    const QString text = parts.join(QStringLiteral(" \u2192 "));
    if (chain.end != AgentReply::Chain::End::Root)
        return tr("No module, class or frame leads here; from an object nothing refers to: %1").arg(text);
    return text;
}

QString ObjectDetails::chainToRoot(const HeapGraph &graph, quint64 objectId)
{
    const quint32 node = graph.findNode(objectId);
    if (node == HeapGraph::NoNode)
        return tr("No object %1 in the heap graph of this snapshot").arg(TextUtil::hexId(objectId));
    const Expected<ReferenceChain> chain = ReferenceChain::shortestToRoot(graph, {node});
    if (!chain)
        return chain.error();
    const QString text = LeakReportGraph::describeChain(graph, chain.value()).join(QStringLiteral(" \u2192 "));
    if (chain.value().end == ReferenceChain::End::Unreferenced)
        return tr("No module, class or frame leads here; from an object nothing refers to: %1").arg(text);
    return text;
}

} // namespace leakscope
