#pragma once

#include <ostream>
#include <string>
#include <utility>

namespace lekhika::providers {

/// A credential that never prints: streaming it writes "***", and the only way to read it is
/// the explicit reveal(), so a key cannot slip into a log line or an error message by accident.
class secret {
 public:
  secret() = default;
  explicit secret(std::string value) : value_(std::move(value)) {}

  /// The raw value, for the one place that must send it (an HTTP header).
  [[nodiscard]] const std::string& reveal() const noexcept { return value_; }
  /// True when no value is set.
  [[nodiscard]] bool empty() const noexcept { return value_.empty(); }

  friend std::ostream& operator<<(std::ostream& out, const secret&) { return out << "***"; }

 private:
  std::string value_;
};

}  // namespace lekhika::providers
