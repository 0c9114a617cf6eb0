#include "export_epub_zip.hpp"

#include <zip.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace lekhika::publishing::detail::epub {
namespace {

struct archive_discard {
  void operator()(zip_t* archive) const noexcept { zip_discard(archive); }
};
struct source_free {
  void operator()(zip_source_t* source) const noexcept { zip_source_free(source); }
};
using archive_ptr = std::unique_ptr<zip_t, archive_discard>;
using source_ptr = std::unique_ptr<zip_source_t, source_free>;

// Owns a zip_error_t (it may hold an allocated message).
class zip_error_holder {
 public:
  zip_error_holder() noexcept { zip_error_init(&error_); }
  ~zip_error_holder() { zip_error_fini(&error_); }
  zip_error_holder(const zip_error_holder&) = delete;
  zip_error_holder& operator=(const zip_error_holder&) = delete;
  [[nodiscard]] zip_error_t* get() noexcept { return &error_; }
  [[nodiscard]] std::string message() { return zip_error_strerror(&error_); }

 private:
  zip_error_t error_{};
};

// Keeps an opened source open only as long as the reader needs it.
class source_reading {
 public:
  explicit source_reading(zip_source_t* source) : source_(source) {
    if (zip_source_open(source_) < 0) {
      throw std::runtime_error("epub: cannot read the archive back: " +
                               std::string{zip_error_strerror(zip_source_error(source_))});
    }
  }
  ~source_reading() { zip_source_close(source_); }
  source_reading(const source_reading&) = delete;
  source_reading& operator=(const source_reading&) = delete;

 private:
  zip_source_t* source_;
};

[[noreturn]] void fail(zip_t* archive, const std::string& what) {
  throw std::runtime_error("epub: " + what + ": " + zip_strerror(archive));
}

void add_entry(zip_t* archive, const zip_entry& entry, dos_timestamp stamp) {
  // The archive copies nothing: the buffer source points at the caller's bytes until zip_close.
  source_ptr data{zip_source_buffer(archive, entry.bytes.data(), entry.bytes.size(), 0)};
  if (!data) fail(archive, "cannot add " + entry.name);
  const zip_int64_t index = zip_file_add(archive, entry.name.c_str(), data.get(), ZIP_FL_ENC_UTF_8);
  if (index < 0) fail(archive, "cannot add " + entry.name);
  // On success the archive owns the source.
  static_cast<void>(data.release());
  const auto at = static_cast<zip_uint64_t>(index);
  const zip_int32_t method = entry.method == compression::store ? ZIP_CM_STORE : ZIP_CM_DEFLATE;
  if (zip_set_file_compression(archive, at, method, 0) < 0) {
    fail(archive, "cannot set the compression of " + entry.name);
  }
  // Buffer sources are stamped with the current time; a fixed DOS stamp keeps the bytes the
  // same for the same book (and, unlike zip_file_set_mtime, does not go through the time zone).
  if (zip_file_set_dostime(archive, at, stamp.time, stamp.date, 0) < 0) {
    fail(archive, "cannot set the time of " + entry.name);
  }
}

}  // namespace

std::string zip_archive(const std::vector<zip_entry>& entries, dos_timestamp stamp) {
  zip_error_holder error;
  // An empty, growable memory buffer the archive is written into.
  source_ptr buffer{zip_source_buffer_create(nullptr, 0, 0, error.get())};
  if (!buffer) throw std::runtime_error("epub: cannot create the archive: " + error.message());

  archive_ptr archive{zip_open_from_source(buffer.get(), ZIP_TRUNCATE, error.get())};
  if (!archive) throw std::runtime_error("epub: cannot open the archive: " + error.message());
  // The archive took over our reference; take another so the bytes outlive zip_close.
  zip_source_keep(buffer.get());

  for (const zip_entry& entry : entries) add_entry(archive.get(), entry, stamp);

  if (zip_close(archive.get()) < 0) fail(archive.get(), "cannot write the archive");
  // zip_close freed the archive.
  static_cast<void>(archive.release());

  if (zip_source_is_deleted(buffer.get()) != 0) {
    throw std::runtime_error("epub: the archive came out empty");
  }
  zip_stat_t stat;
  zip_stat_init(&stat);
  if (zip_source_stat(buffer.get(), &stat) < 0 || (stat.valid & ZIP_STAT_SIZE) == 0) {
    throw std::runtime_error("epub: cannot size the archive");
  }
  std::string bytes(static_cast<std::size_t>(stat.size), '\0');
  const source_reading reading{buffer.get()};
  std::size_t done = 0;
  while (done < bytes.size()) {
    const zip_int64_t n = zip_source_read(buffer.get(), bytes.data() + done, bytes.size() - done);
    if (n <= 0) throw std::runtime_error("epub: cannot read the archive back");
    done += static_cast<std::size_t>(n);
  }
  return bytes;
}

}  // namespace lekhika::publishing::detail::epub
