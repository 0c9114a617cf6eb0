#pragma once

// Helpers of the wire tests: recorded bodies, feeding a decoder in different splits, and
// checks that a key only travels in secret headers.

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "lekhika/providers/wire.hpp"
#include "lekhika/testing/fixtures.hpp"

namespace lekhika::providers::testing {

/// The bytes of tests/unit/providers/recorded/<name>; fails the test when unreadable.
inline std::string recorded(const std::string& name) {
  const auto path = lekhika::testing::source_dir() / "tests/unit/providers/recorded" / name;
  std::ifstream in{path, std::ios::binary};
  if (!in) {
    ADD_FAILURE() << "cannot read recorded body " << path;
    return {};
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

/// Everything a decoder reports, copied out so that runs can be compared.
struct decoded {
  std::string text;
  std::optional<token_usage> usage;
  std::string finish_reason;
  std::string model;
  std::optional<provider_error> error;
  bool complete = false;
  std::int64_t deltas = 0;
};

/// The body as one piece.
inline std::vector<std::string_view> whole(std::string_view body) { return {body}; }

/// The body one byte at a time (splits inside UTF-8 characters, CRLFs and field names).
inline std::vector<std::string_view> byte_by_byte(std::string_view body) {
  std::vector<std::string_view> pieces;
  for (std::size_t i = 0; i < body.size(); ++i) pieces.push_back(body.substr(i, 1));
  return pieces;
}

/// The body in pieces of 0..max_piece bytes chosen by a seeded generator (empty feeds too).
inline std::vector<std::string_view> random_splits(std::string_view body, std::uint32_t seed,
                                                   std::size_t max_piece = 17) {
  std::mt19937 rng{seed};
  std::uniform_int_distribution<std::size_t> size{0, max_piece};
  std::vector<std::string_view> pieces;
  std::size_t at = 0;
  while (at < body.size()) {
    const std::size_t n = std::min(size(rng), body.size() - at);
    pieces.push_back(body.substr(at, n));
    at += n;
  }
  return pieces;
}

/// Feeds the pieces to a fresh decoder for `type`, then finish() when asked.
inline decoded decode(provider_type type, const std::vector<std::string_view>& pieces,
                      bool finish = true) {
  auto decoder = make_stream_decoder(type);
  for (auto piece : pieces) decoder->feed(piece);
  if (finish) decoder->finish();
  return decoded{decoder->text(),  decoder->usage(),    decoder->finish_reason(), decoder->model(),
                 decoder->error(), decoder->complete(), decoder->deltas()};
}

/// Checks that two decodings agree on everything.
inline void expect_same(const decoded& expected, const decoded& actual, const std::string& how) {
  SCOPED_TRACE(how);
  EXPECT_EQ(actual.text, expected.text);
  ASSERT_EQ(actual.usage.has_value(), expected.usage.has_value());
  if (expected.usage) {
    EXPECT_EQ(actual.usage->input_tokens, expected.usage->input_tokens);
    EXPECT_EQ(actual.usage->output_tokens, expected.usage->output_tokens);
    EXPECT_EQ(actual.usage->estimated, expected.usage->estimated);
  }
  EXPECT_EQ(actual.finish_reason, expected.finish_reason);
  EXPECT_EQ(actual.model, expected.model);
  EXPECT_EQ(actual.error.has_value(), expected.error.has_value());
  EXPECT_EQ(actual.complete, expected.complete);
  EXPECT_EQ(actual.deltas, expected.deltas);
}

/// Decodes `body` whole, byte by byte and in many random splits; all must agree with the whole
/// decoding, which is returned.
inline decoded decode_every_way(provider_type type, std::string_view body) {
  decoded reference = decode(type, whole(body));
  expect_same(reference, decode(type, byte_by_byte(body)), "byte by byte");
  for (std::uint32_t seed = 1; seed <= 40; ++seed) {
    expect_same(reference, decode(type, random_splits(body, seed)),
                "random splits, seed " + std::to_string(seed));
  }
  return reference;
}

/// A provider configuration with the given key.
inline provider_config config(provider_type type, std::string base_url, std::string key,
                              std::string default_model = "default-model") {
  provider_config c;
  c.type = type;
  c.handle = to_string(type);
  c.base_url = std::move(base_url);
  c.api_key = secret{std::move(key)};
  c.default_model = std::move(default_model);
  return c;
}

/// The header named `name` (case-insensitive), or nullptr.
inline const http_header* find_header(const http_call& call, std::string_view name) {
  for (const auto& header : call.headers) {
    if (header.name.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < name.size(); ++i) {
      const auto lower = [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
      };
      same = same && lower(header.name[i]) == lower(name[i]);
    }
    if (same) return &header;
  }
  return nullptr;
}

/// The key appears in exactly one header, which is marked secret, and nowhere else.
inline void expect_key_only_in_a_secret_header(const http_call& call, const std::string& key) {
  EXPECT_EQ(call.url.find(key), std::string::npos) << call.url;
  EXPECT_FALSE(call.url_has_secret);
  EXPECT_EQ(call.body.find(key), std::string::npos);
  int carrying = 0;
  for (const auto& header : call.headers) {
    if (header.value.find(key) == std::string::npos) continue;
    ++carrying;
    EXPECT_TRUE(header.secret) << header.name << " carries the key but is not secret";
  }
  EXPECT_EQ(carrying, 1);
  for (const auto& header : call.headers) {
    if (!header.secret) {
      EXPECT_EQ(header.value.find(key), std::string::npos) << header.name;
    }
  }
}

}  // namespace lekhika::providers::testing
