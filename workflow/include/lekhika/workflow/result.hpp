#pragma once

#include <string>
#include <utility>
#include <variant>

namespace lekhika {

/// An error that crosses a component boundary as a value (exceptions never do).
struct failure {
  std::string code;         ///< stable machine-readable code, e.g. "store_unavailable"
  std::string message;      ///< for humans; never contains secrets or whole prompts
  int provider_status = 0;  ///< HTTP status of a model provider's failed answer, 0 when none
};

/// A value or a failure. Used at component boundaries in place of exceptions.
template <class T>
class result {
 public:
  result(T value) : state_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  result(failure error) : state_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  [[nodiscard]] T& value() & { return std::get<0>(state_); }
  [[nodiscard]] const T& value() const& { return std::get<0>(state_); }
  [[nodiscard]] T&& value() && { return std::get<0>(std::move(state_)); }
  [[nodiscard]] const failure& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, failure> state_;
};

/// result<void>: success or a failure.
template <>
class result<void> {
 public:
  result() = default;
  result(failure error)
      : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool ok() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  [[nodiscard]] const failure& error() const { return error_; }

 private:
  failure error_;
  bool ok_ = true;
};

}  // namespace lekhika
