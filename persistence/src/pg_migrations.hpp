#pragma once

#include <pqxx/connection>

#include <cstdint>

namespace lekhika::persistence::detail {

/// Applies the pending PostgreSQL migrations in one transaction that holds a transaction-level
/// advisory lock, so workers starting at the same time migrate one after the other and each
/// sees the others' work. Records each version in schema_migrations. Throws on failure
/// (store_exception for "newer than this build", pqxx exceptions otherwise).
void apply_pg_migrations(pqxx::connection& conn, std::int64_t now_ms);

}  // namespace lekhika::persistence::detail
