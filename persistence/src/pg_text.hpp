#pragma once

// Private to lekhika_persistence: text handling of the PostgreSQL store that needs no server
// (what PostgreSQL refuses in text and JSONB, and keeping URL secrets out of messages).

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace lekhika::persistence::detail {

/// `text` as PostgreSQL accepts it in a TEXT value: invalid UTF-8 becomes U+FFFD and NUL
/// bytes are dropped (libpq passes text parameters as C strings; the server rejects both).
[[nodiscard]] std::string pg_clean_text(std::string_view text);

/// JSON text that JSONB accepts: like dump_json(), and the escape \u0000 (which JSONB refuses)
/// becomes \ufffd. Other escapes are kept as they are.
[[nodiscard]] std::string pg_json_text(const nlohmann::json& value);

/// A libpq connection URL made ready to use and to report about.
struct pg_url {
  std::string connect;               ///< the URL plus defaults (connect timeout, app name)
  std::vector<std::string> secrets;  ///< every form of a password it carries, to scrub
};

/// Reads a postgres:// or postgresql:// URL: adds `connect_timeout=10` and
/// `fallback_application_name=lekhika-worker` unless given, and collects its password (from
/// the user info and from a `password=` parameter, raw and percent-decoded).
[[nodiscard]] pg_url prepare_pg_url(const std::string& url);

/// `message` on one line, with every secret replaced by "***".
[[nodiscard]] std::string scrub_message(std::string_view message,
                                        const std::vector<std::string>& secrets);

}  // namespace lekhika::persistence::detail
