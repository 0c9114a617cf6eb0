#include <stdexcept>

#include "export_detail.hpp"

namespace lekhika::publishing::detail {

std::string render_pdf(const book&) {
  throw std::runtime_error("the pdf exporter is not built yet");
}

}  // namespace lekhika::publishing::detail
