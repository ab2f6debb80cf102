#pragma once

#include <QHash>
#include <QString>
#include <QStringView>

#include <vector>

namespace leakscope {

// Qualified Python type names ("dict", "__main__.Session") interned to small
// integers, so series and diffs are integer work. Ids are dense, from 0.
class TypeRegistry
{
public:
    int intern(const QString &name);
    int find(const QString &name) const; // -1 when unknown
    const QString &name(int id) const;
    int size() const { return int(m_names.size()); }

    // Builtins are printed bare, as objgraph does ("dict"); everything else
    // carries its module ("logging.Logger").
    static bool isBuiltinName(const QString &name);

private:
    std::vector<QString> m_names;
    QHash<QString, int> m_ids;
};

} // namespace leakscope
