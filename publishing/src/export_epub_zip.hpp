#pragma once

// The ZIP container of book.epub, written in memory with libzip (internal).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lekhika::publishing::detail::epub {

/// How an entry is stored: text is deflated, images (already compressed) and the `mimetype`
/// entry (which OCF requires uncompressed) are stored.
enum class compression { store, deflate };

/// One file of the archive. `bytes` must stay alive until zip_archive returns.
struct zip_entry {
  std::string name;
  std::string_view bytes;
  compression method = compression::deflate;
};

/// An MS-DOS date and time, the only timestamp a ZIP local header has.
struct dos_timestamp {
  std::uint16_t time = 0;
  std::uint16_t date = 0;
};

/// The ZIP archive of `entries`, in order, every entry stamped with `stamp` and none carrying
/// an extra field. Throws std::runtime_error when libzip fails (it only does for lack of memory).
[[nodiscard]] std::string zip_archive(const std::vector<zip_entry>& entries, dos_timestamp stamp);

}  // namespace lekhika::publishing::detail::epub
