#pragma once

#include <string>
#include <string_view>

#include "lekhika/persistence/records.hpp"
#include "lekhika/workflow/result.hpp"

namespace lekhika::persistence {

/// Hex SHA-256 of `bytes`.
[[nodiscard]] std::string sha256_hex(std::string_view bytes);

/// Writes an exported file to `<artifact_dir>/<execution_id>/<file_name>` atomically
/// (temporary file, then rename) and describes it. `execution_id` and `file_name` must be
/// plain names (no path separators); anything else is refused.
[[nodiscard]] result<artifact_record> write_artifact_file(const std::string& artifact_dir,
                                                          const std::string& execution_id,
                                                          const std::string& format,
                                                          const std::string& file_name,
                                                          const std::string& mime_type,
                                                          std::string_view bytes, epoch_ms now);

/// Reads a stored artifact file back.
[[nodiscard]] result<std::string> read_artifact_file(const artifact_record& artifact);

}  // namespace lekhika::persistence
