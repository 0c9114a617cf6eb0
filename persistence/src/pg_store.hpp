#pragma once

#include <memory>
#include <string>

#include "lekhika/persistence/store.hpp"

namespace lekhika::persistence::detail {

/// Opens the PostgreSQL store a `postgres://` / `postgresql://` URL names and connects once
/// ("store_unavailable" when that fails, "invalid_database_url" when libpq cannot read the
/// URL). Failure messages never contain the URL's password.
[[nodiscard]] result<std::unique_ptr<store>> open_pg_store(const std::string& url);

}  // namespace lekhika::persistence::detail
