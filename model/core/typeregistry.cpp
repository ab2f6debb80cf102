#include "core/typeregistry.h"

namespace leakscope {

int TypeRegistry::intern(const QString &name)
{
    const auto it = m_ids.constFind(name);
    if (it != m_ids.constEnd())
        return it.value();
    const int id = int(m_names.size());
    m_names.push_back(name);
    m_ids.insert(name, id);
    return id;
}

int TypeRegistry::find(const QString &name) const
{
    return m_ids.value(name, -1);
}

const QString &TypeRegistry::name(int id) const
{
    return m_names.at(size_t(id));
}

bool TypeRegistry::isBuiltinName(const QString &name)
{
    return !name.contains(QLatin1Char('.'));
}

} // namespace leakscope
