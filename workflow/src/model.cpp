#include "lekhika/workflow/model.hpp"

#include "lekhika/workflow/roles.hpp"

namespace lekhika::workflow {

const char* to_string(node_type type) noexcept {
  switch (type) {
    case node_type::input:
      return "input";
    case node_type::process:
      return "process";
    case node_type::condition:
      return "condition";
    case node_type::preview:
      return "preview";
    case node_type::output:
      return "output";
  }
  return "process";
}

const char* to_string(role_kind kind) noexcept {
  switch (kind) {
    case role_kind::input:
      return "input";
    case role_kind::planner:
      return "planner";
    case role_kind::structural:
      return "structural";
    case role_kind::writer:
      return "writer";
    case role_kind::reviser:
      return "reviser";
    case role_kind::image:
      return "image";
    case role_kind::condition:
      return "condition";
    case role_kind::preview:
      return "preview";
    case role_kind::output:
      return "output";
    case role_kind::generic:
      return "generic";
  }
  return "generic";
}

}  // namespace lekhika::workflow
