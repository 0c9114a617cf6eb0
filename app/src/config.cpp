#include "lekhika/app/config.hpp"

#include <unistd.h>

#include <array>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace lekhika::app {
namespace {

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return std::string{text.substr(first, last - first + 1)};
}

std::string read_file(const std::string& path, bool* found) {
  std::ifstream in{path, std::ios::binary};
  *found = static_cast<bool>(in);
  if (!in) return {};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A whole number within [low, high], or a failure naming the variable.
result<long long> integer_setting(const config_source& source, const char* name, long long fallback,
                                  long long low, long long high) {
  auto value = source.get(name);
  if (!value) return fallback;
  try {
    std::size_t used = 0;
    const long long parsed = std::stoll(*value, &used);
    if (used != value->size() || parsed < low || parsed > high) throw std::out_of_range{name};
    return parsed;
  } catch (const std::exception&) {
    return failure{"invalid_config", std::string{name} + " must be a whole number from " +
                                         std::to_string(low) + " to " + std::to_string(high) +
                                         " (got '" + *value + "')"};
  }
}

}  // namespace

std::map<std::string, std::string> parse_dotenv(std::string_view text) {
  std::map<std::string, std::string> values;
  std::istringstream lines{std::string{text}};
  std::string line;
  while (std::getline(lines, line)) {
    auto content = trim(line);
    if (content.empty() || content[0] == '#') continue;
    if (content.starts_with("export ")) content = trim(std::string_view{content}.substr(7));
    const auto eq = content.find('=');
    if (eq == std::string::npos) continue;
    auto key = trim(std::string_view{content}.substr(0, eq));
    auto value = trim(std::string_view{content}.substr(eq + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    } else if (auto hash = value.find(" #"); hash != std::string::npos) {
      value = trim(std::string_view{value}.substr(0, hash));
    }
    if (!key.empty()) values[key] = value;
  }
  return values;
}

std::string flag_to_variable(std::string_view flag) {
  std::string name;
  for (char c : flag)
    name += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

config_source::config_source(std::map<std::string, std::string> flags, std::string dotenv_path)
    : flags_(std::move(flags)) {
  bool found = false;
  auto text = read_file(dotenv_path, &found);
  if (found) dotenv_ = parse_dotenv(text);
}

std::optional<std::string> config_source::get(std::string_view name) const {
  const std::string key{name};
  if (auto it = flags_.find(key); it != flags_.end() && !it->second.empty()) return it->second;
  // Configuration is read at start, before any thread exists.
  if (const char* env = std::getenv(key.c_str());  // NOLINT(concurrency-mt-unsafe)
      env != nullptr && *env != '\0')
    return std::string{env};
  if (auto it = dotenv_.find(key); it != dotenv_.end() && !it->second.empty()) return it->second;
  return std::nullopt;
}

providers::env_lookup config_source::lookup() const {
  return [copy = *this](std::string_view name) { return copy.get(name); };
}

std::optional<std::string> weak_secret_reason(const std::string& secret) {
  static constexpr std::array<std::string_view, 4> placeholders{"dev-secret", "dev-secret-key",
                                                                "changeme", "secret"};
  if (secret.empty()) return "INTERNAL_API_SECRET is not set";
  for (auto placeholder : placeholders) {
    if (secret == placeholder) return "INTERNAL_API_SECRET is a known placeholder";
  }
  if (secret.size() < 16) return "INTERNAL_API_SECRET is shorter than 16 characters";
  return std::nullopt;
}

result<config> load_config(const config_source& source) {
  config c;
  c.env = source.lookup();
  auto database = source.get("DATABASE_URL");
  if (!database) database = source.get("SUPABASE_DB_URL");
  if (database) c.engine.database_url = *database;
  if (auto dir = source.get("ARTIFACT_DIR")) c.engine.artifact_dir = *dir;

  struct int_setting {
    const char* name;
    long long fallback;
    long long low;
    long long high;
  };
  const std::array<int_setting, 18> ints{{{"MAX_RUNNING_EXECUTIONS", 2000, 1, 1000000},
                                          {"MAX_QUEUED_EXECUTIONS", 100000, 0, 100000000},
                                          {"TENANT_MAX_RUNNING", 50, 1, 1000000},
                                          {"EXECUTION_TIMEOUT_S", 14400, 1, 30LL * 24 * 3600},
                                          {"MAX_BODY_BYTES", 8388608, 1024, 1LL << 30},
                                          {"LEKHIKA_OFFLINE_LATENCY_MS", 0, 0, 3600000},
                                          {"PORT", 3001, 0, 65535},
                                          {"PROVIDER_CONNECT_TIMEOUT_MS", 10000, 100, 600000},
                                          {"PROVIDER_FIRST_TOKEN_TIMEOUT_MS", 60000, 100, 3600000},
                                          {"PROVIDER_IDLE_TIMEOUT_MS", 30000, 100, 3600000},
                                          {"PROVIDER_TOTAL_TIMEOUT_MS", 600000, 1000, 14400000},
                                          {"PROVIDER_MAX_ATTEMPTS", 4, 1, 20},
                                          {"PROVIDER_MAX_CONCURRENT", 256, 1, 100000},
                                          {"PROVIDER_BACKOFF_BASE_MS", 500, 1, 600000},
                                          {"PROVIDER_BACKOFF_CAP_MS", 30000, 1, 3600000},
                                          {"LEKHIKA_LEASE_TTL_MS", 30000, 1000, 3600000},
                                          {"LEKHIKA_CLAIM_INTERVAL_MS", 5000, 100, 3600000},
                                          {"LEKHIKA_STORE_READERS", 2, 1, 32}}};
  std::map<std::string, long long> values;
  for (const auto& s : ints) {
    auto v = integer_setting(source, s.name, s.fallback, s.low, s.high);
    if (!v) return v.error();
    values[s.name] = v.value();
  }
  c.engine.max_running_executions = static_cast<int>(values["MAX_RUNNING_EXECUTIONS"]);
  c.engine.max_queued_executions = static_cast<int>(values["MAX_QUEUED_EXECUTIONS"]);
  c.engine.tenant_max_running = static_cast<int>(values["TENANT_MAX_RUNNING"]);
  c.engine.execution_timeout = std::chrono::seconds{values["EXECUTION_TIMEOUT_S"]};
  c.engine.offline_latency = std::chrono::milliseconds{values["LEKHIKA_OFFLINE_LATENCY_MS"]};
  c.http.max_body_bytes = static_cast<std::size_t>(values["MAX_BODY_BYTES"]);
  c.http.port = static_cast<std::uint16_t>(values["PORT"]);
  auto& calls = c.engine.calls;
  calls.connect_timeout = std::chrono::milliseconds{values["PROVIDER_CONNECT_TIMEOUT_MS"]};
  calls.first_token_timeout = std::chrono::milliseconds{values["PROVIDER_FIRST_TOKEN_TIMEOUT_MS"]};
  calls.idle_timeout = std::chrono::milliseconds{values["PROVIDER_IDLE_TIMEOUT_MS"]};
  calls.total_timeout = std::chrono::milliseconds{values["PROVIDER_TOTAL_TIMEOUT_MS"]};
  calls.max_attempts = static_cast<int>(values["PROVIDER_MAX_ATTEMPTS"]);
  calls.default_max_concurrent = static_cast<int>(values["PROVIDER_MAX_CONCURRENT"]);
  calls.backoff_base = std::chrono::milliseconds{values["PROVIDER_BACKOFF_BASE_MS"]};
  calls.backoff_cap = std::chrono::milliseconds{values["PROVIDER_BACKOFF_CAP_MS"]};
  c.engine.lease_ttl = std::chrono::milliseconds{values["LEKHIKA_LEASE_TTL_MS"]};
  c.engine.lease_renew_interval = c.engine.lease_ttl / 3;
  c.engine.claim_interval = std::chrono::milliseconds{values["LEKHIKA_CLAIM_INTERVAL_MS"]};
  c.engine.store_readers = static_cast<int>(values["LEKHIKA_STORE_READERS"]);
  if (auto host = source.get("HOST")) c.http.host = *host;
  if (auto secret = source.get("INTERNAL_API_SECRET"))
    c.http.auth_secret = providers::secret{*secret};

  if (auto format = source.get("LOG_FORMAT")) {
    if (*format != "json" && *format != "text") {
      return failure{"invalid_config", "LOG_FORMAT must be json or text (got '" + *format + "')"};
    }
    c.log_format = *format;
  }
  if (auto level = source.get("LOG_LEVEL")) {
    c.log_level = *level;
    c.log_level_set = true;
  }

  if (auto path = source.get("LEKHIKA_PROVIDERS_FILE")) {
    bool found = false;
    auto text = read_file(*path, &found);
    if (!found)
      return failure{"invalid_config", "LEKHIKA_PROVIDERS_FILE '" + *path + "' cannot be read"};
    c.providers_file = nlohmann::json::parse(text, nullptr, false);
    if (c.providers_file.is_discarded()) {
      return failure{"invalid_config", "LEKHIKA_PROVIDERS_FILE '" + *path + "' is not valid JSON"};
    }
  }

  if (auto path = source.get("PROVIDER_CA_FILE")) {
    // Checked here so that a wrong path stops the start, not every later provider call.
    bool found = false;
    auto text = read_file(*path, &found);
    if (!found || text.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
      return failure{"invalid_config",
                     "PROVIDER_CA_FILE '" + *path + "' is not a readable PEM file of certificates"};
    }
    calls.ca_file = *path;
  }

  if (auto path = source.get("LEKHIKA_PRICING_FILE")) {
    bool found = false;
    auto text = read_file(*path, &found);
    if (!found)
      return failure{"invalid_config", "LEKHIKA_PRICING_FILE '" + *path + "' cannot be read"};
    auto overrides = nlohmann::json::parse(text, nullptr, false);
    if (overrides.is_discarded()) {
      return failure{"invalid_config", "LEKHIKA_PRICING_FILE '" + *path + "' is not valid JSON"};
    }
    auto table = providers::pricing_table::builtin();
    if (auto merged = table.merge(overrides); !merged) {
      return failure{"invalid_config", "LEKHIKA_PRICING_FILE: " + merged.error().message};
    }
    c.engine.pricing = std::make_shared<const providers::pricing_table>(std::move(table));
  }

  char host_name[256] = {};
  ::gethostname(host_name, sizeof host_name - 1);
  // The worker id names the leases this process holds. A restarted worker with the same id takes
  // its executions back at once instead of waiting for their leases to expire, so it must be
  // unique among live workers: host and port by default (WORKER_ID to choose one).
  if (auto id = source.get("WORKER_ID")) {
    c.engine.worker_id = *id;
  } else if (c.http.port != 0) {
    c.engine.worker_id = std::string{host_name} + ":" + std::to_string(c.http.port);
  } else {
    c.engine.worker_id = std::string{host_name} + ":pid-" + std::to_string(::getpid());
  }
  return c;
}

}  // namespace lekhika::app
