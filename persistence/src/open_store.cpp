#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

#include "lekhika/persistence/store.hpp"
#include "pg_store.hpp"
#include "sqlite_store.hpp"

namespace lekhika::persistence {

namespace {

constexpr std::string_view accepted_forms =
    "expected sqlite://PATH (for example sqlite://data/lekhika.db, "
    "sqlite:///var/lib/lekhika/lekhika.db or sqlite://:memory:) or postgres://...";

[[nodiscard]] std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// A form of the URL safe to print: DATABASE_URL often carries "user:password@", and a query
// string may carry "password=...". Everything up to the last '@' after the scheme is dropped
// (a password may itself contain '/' or '@'), and so is any query or fragment. Text that is
// not even a URL is not echoed at all: it could be a bare secret pasted in the wrong place.
[[nodiscard]] std::string redact_url(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return "(not a URL)";
  std::string_view rest = url.substr(scheme_end + 3);
  if (const auto cut = rest.find_first_of("?#"); cut != std::string_view::npos) {
    rest = rest.substr(0, cut);
  }
  std::string out(url.substr(0, scheme_end + 3));
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
    out += "***@";
    rest = rest.substr(at + 1);
  }
  out += rest;
  return out;
}

}  // namespace

result<std::unique_ptr<store>> open_store(const std::string& database_url) {
  try {
    const auto scheme_end = database_url.find("://");
    const std::string scheme =
        scheme_end == std::string::npos ? std::string() : lower(database_url.substr(0, scheme_end));
    if (scheme == "sqlite") {
      const std::string path = database_url.substr(scheme_end + 3);
      if (path.empty()) {
        return failure{"invalid_database_url",
                       "DATABASE_URL 'sqlite://' names no file; " + std::string(accepted_forms)};
      }
      return detail::open_sqlite_store(path);
    }
    if (scheme == "postgres" || scheme == "postgresql") {
      return detail::open_pg_store(database_url);
    }
    return failure{"invalid_database_url", "DATABASE_URL '" + redact_url(database_url) +
                                               "' is not supported; " +
                                               std::string(accepted_forms)};
  } catch (const std::exception& e) {
    return failure{"store_error", e.what()};
  }
}

}  // namespace lekhika::persistence
