#pragma once

#include "lekhika/providers/completion.hpp"

namespace lekhika::providers {

/// The built-in network-free provider: deterministic placeholder prose shaped by the request's
/// purpose (an outline with chapter titles, a chapter starting with its heading, a revision).
/// The same request always gives the same text. Usage is estimated and marked so.
[[nodiscard]] completion offline_complete(const completion_request& request);

}  // namespace lekhika::providers
