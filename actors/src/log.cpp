#include "lekhika/actors/log.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <string>

namespace lekhika::log {
namespace {

std::atomic<int> minimum_level{static_cast<int>(level::info)};
std::atomic<bool> json_format{true};

const char* level_name(level severity) {
  switch (severity) {
    case level::debug:
      return "debug";
    case level::info:
      return "info";
    case level::warn:
      return "warn";
    case level::error:
      return "error";
  }
  return "info";
}

std::string timestamp() {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  const std::time_t seconds = system_clock::to_time_t(now);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  const auto n = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &utc);
  std::string out{buffer, n};
  char millis[8];
  std::snprintf(millis, sizeof millis, ".%03dZ", static_cast<int>(ms));
  return out + millis;
}

}  // namespace

void configure(level minimum, bool json) {
  minimum_level.store(static_cast<int>(minimum));
  json_format.store(json);
}

level parse_level(std::string_view name) noexcept {
  if (name == "debug" || name == "trace") return level::debug;
  if (name == "warn" || name == "warning") return level::warn;
  if (name == "error") return level::error;
  return level::info;
}

void write(level severity, std::string_view message, const nlohmann::json& fields) {
  if (static_cast<int>(severity) < minimum_level.load(std::memory_order_relaxed)) return;
  std::string line;
  if (json_format.load(std::memory_order_relaxed)) {
    nlohmann::json entry{{"ts", timestamp()}, {"level", level_name(severity)}, {"msg", message}};
    if (fields.is_object()) {
      for (const auto& [key, value] : fields.items()) entry[key] = value;
    }
    line = entry.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    line = timestamp() + " " + level_name(severity) + " " + std::string{message};
    if (fields.is_object()) {
      for (const auto& [key, value] : fields.items()) {
        line += " " + key + "=" +
                (value.is_string()
                     ? value.get<std::string>()
                     : value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      }
    }
  }
  line += '\n';
  // One write(2) per line: concurrent writers never interleave inside a line.
  const char* data = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    const auto n = ::write(STDERR_FILENO, data, left);
    if (n <= 0) return;
    data += n;
    left -= static_cast<std::size_t>(n);
  }
}

}  // namespace lekhika::log
