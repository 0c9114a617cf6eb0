#include "export_docx_zip.hpp"

#include <zip.h>

#include <cstdint>
#include <memory>
#include <stdexcept>

namespace lekhika::publishing::detail::docx {
namespace {

// 1980-01-01 00:00, the first moment a zip (DOS) timestamp can hold. A fixed time keeps the
// output reproducible; the exporters read no clock.
constexpr std::uint16_t dos_time = 0;
constexpr std::uint16_t dos_date = (0U << 9U) | (1U << 5U) | 1U;

struct source_free {
  void operator()(zip_source_t* source) const noexcept { zip_source_free(source); }
};
using source_ptr = std::unique_ptr<zip_source_t, source_free>;

// An archive that was never closed successfully is thrown away, with everything added to it.
struct archive_discard {
  void operator()(zip_t* archive) const noexcept { zip_discard(archive); }
};
using archive_ptr = std::unique_ptr<zip_t, archive_discard>;

class error_holder {
 public:
  error_holder() noexcept { zip_error_init(&error_); }
  error_holder(const error_holder&) = delete;
  error_holder& operator=(const error_holder&) = delete;
  ~error_holder() { zip_error_fini(&error_); }
  [[nodiscard]] zip_error_t* get() noexcept { return &error_; }

 private:
  zip_error_t error_{};
};

[[noreturn]] void fail(std::string_view what, const char* detail) {
  std::string message{"docx: "};
  message += what;
  if (detail != nullptr) {
    message += ": ";
    message += detail;
  }
  throw std::runtime_error(message);
}

void add_entry(zip_t* archive, const zip_entry& entry) {
  // libzip reads the bytes only in zip_close; the caller keeps them alive until then.
  source_ptr data{zip_source_buffer(archive, entry.bytes.data(), entry.bytes.size(), 0)};
  if (!data) fail("cannot buffer a part", zip_strerror(archive));
  const std::string name{entry.name};
  const zip_int64_t index = zip_file_add(archive, name.c_str(), data.get(), 0);
  if (index < 0) fail("cannot add a part", zip_strerror(archive));
  (void)data.release();  // the archive owns the source now
  const auto at = static_cast<zip_uint64_t>(index);
  if (zip_set_file_compression(archive, at, ZIP_CM_DEFLATE, 0) < 0 ||
      zip_file_set_dostime(archive, at, dos_time, dos_date, 0) < 0)
    fail("cannot set part attributes", zip_strerror(archive));
}

}  // namespace

std::string zip_in_memory(const std::vector<zip_entry>& entries) {
  error_holder error;
  source_ptr buffer{zip_source_buffer_create(nullptr, 0, 0, error.get())};
  if (!buffer) fail("cannot create a zip buffer", zip_error_strerror(error.get()));
  archive_ptr archive{zip_open_from_source(buffer.get(), ZIP_TRUNCATE, error.get())};
  if (!archive) fail("cannot open a zip buffer", zip_error_strerror(error.get()));
  // The archive took our reference on success; take another so the written bytes outlive
  // zip_close.
  zip_source_keep(buffer.get());

  for (const auto& entry : entries) add_entry(archive.get(), entry);
  if (zip_close(archive.get()) < 0) fail("cannot write the zip", zip_strerror(archive.get()));
  (void)archive.release();  // zip_close freed it

  zip_stat_t stat;
  zip_stat_init(&stat);
  if (zip_source_stat(buffer.get(), &stat) < 0 || (stat.valid & ZIP_STAT_SIZE) == 0)
    fail("cannot size the zip", zip_error_strerror(zip_source_error(buffer.get())));
  if (zip_source_open(buffer.get()) < 0)
    fail("cannot read the zip", zip_error_strerror(zip_source_error(buffer.get())));
  std::string bytes(stat.size, '\0');
  const zip_int64_t read = zip_source_read(buffer.get(), bytes.data(), stat.size);
  (void)zip_source_close(buffer.get());
  if (read < 0 || static_cast<zip_uint64_t>(read) != stat.size) fail("short zip read", nullptr);
  return bytes;
}

}  // namespace lekhika::publishing::detail::docx
