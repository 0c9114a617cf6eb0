#include <stdexcept>

#include "export_detail.hpp"

namespace lekhika::publishing::detail {

std::string render_epub(const book&) {
  throw std::runtime_error("the epub exporter is not built yet");
}

}  // namespace lekhika::publishing::detail
