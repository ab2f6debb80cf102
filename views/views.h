#pragma once

namespace leakscope {
// Placeholder translation unit until the growth table and charts land.
int viewsVersion();
} // namespace leakscope
