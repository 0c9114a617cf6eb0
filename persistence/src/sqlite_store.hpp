#pragma once

#include <memory>
#include <string>

#include "lekhika/persistence/store.hpp"

namespace lekhika::persistence::detail {

/// Opens the SQLite store at `path` (a file path or ":memory:"), creating parent folders.
[[nodiscard]] result<std::unique_ptr<store>> open_sqlite_store(const std::string& path);

}  // namespace lekhika::persistence::detail
