#include "core/heapgrapharrays.h"

namespace leakscope {

bool HeapGraphArrays::addNodeLabel(quint64 node, const QString &text)
{
    if (node >= ids.size())
        return false;
    if (nodeLabels.size() != ids.size())
        nodeLabels.assign(ids.size(), -1);
    nodeLabels[node] = qint32(strings.size());
    strings.push_back(text);
    return true;
}

bool HeapGraphArrays::addEdgeLabel(quint64 edge, const QString &text)
{
    if (edge >= edgeTargets.size())
        return false;
    if (edgeLabels.size() != edgeTargets.size())
        edgeLabels.assign(edgeTargets.size(), -1);
    edgeLabels[edge] = qint32(strings.size());
    strings.push_back(text);
    return true;
}

bool HeapGraphArrays::addFlags(const std::vector<quint32> &nodes, quint8 flag)
{
    if (flags.size() != ids.size())
        flags.assign(ids.size(), 0);
    bool ok = true;
    for (quint32 node : nodes) {
        if (node < flags.size())
            flags[node] |= flag;
        else
            ok = false;
    }
    return ok;
}

} // namespace leakscope
