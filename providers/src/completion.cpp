#include "lekhika/providers/completion.hpp"

namespace lekhika::providers {

std::int64_t estimate_tokens(std::size_t characters) noexcept {
  // About four characters a token for English prose; round up so that a non-empty text costs
  // at least one token.
  return static_cast<std::int64_t>((characters + 3) / 4);
}

}  // namespace lekhika::providers
