#pragma once

#include <span>
#include <string_view>

#include "sqlite_db.hpp"

namespace lekhika::persistence::detail {

/// One schema change, applied once and recorded in schema_migrations.
struct migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

/// Every migration this build knows, by ascending version.
[[nodiscard]] std::span<const migration> sqlite_migrations() noexcept;

/// Applies the pending migrations, each in its own transaction; safe to run again and safe
/// when several connections run it at once. Throws store_exception on failure.
void apply_sqlite_migrations(connection& conn, std::int64_t now_ms);

}  // namespace lekhika::persistence::detail
