#pragma once

// The zip container of a DOCX package, built in memory with libzip (internal).

#include <string>
#include <string_view>
#include <vector>

namespace lekhika::publishing::detail::docx {

/// One part of the package: its name inside the zip and its bytes.
struct zip_entry {
  std::string_view name;
  std::string_view bytes;
};

/// The entries zipped, in the given order, deflated and with one fixed timestamp, so the same
/// parts always give the same bytes. Throws std::runtime_error when libzip fails.
[[nodiscard]] std::string zip_in_memory(const std::vector<zip_entry>& entries);

}  // namespace lekhika::publishing::detail::docx
