#pragma once

#include <string>
#include <vector>

namespace lekhika::workflow {

/// One thing wrong with a request, located by a JSON pointer into the request body.
struct problem {
  std::string path;     ///< JSON pointer, e.g. "/workflow/nodes/2/data/selectedModels"
  std::string message;  ///< what is wrong, for a human; never contains secrets or whole prompts
};

using problem_list = std::vector<problem>;

}  // namespace lekhika::workflow
