#include <stdexcept>

#include "export_detail.hpp"

namespace lekhika::publishing::detail {

std::string render_docx(const book&) {
  throw std::runtime_error("the docx exporter is not built yet");
}

}  // namespace lekhika::publishing::detail
