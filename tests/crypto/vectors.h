// Loading Wycheproof files for the crypto tests.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "parley/core/crypto.h"
#include "support/json.h"

namespace parley::testing {

// Hex from a vector file; a test failure (and empty bytes) if it is not hex.
inline crypto::Bytes Unhex(std::string_view hex) {
  Result<crypto::Bytes> r = crypto::FromHex(hex);
  if (!r.ok()) {
    ADD_FAILURE() << "bad hex in vector file: " << r.status().ToString();
    return {};
  }
  return std::move(r).value();
}

// Parses PARLEY_VECTORS_DIR/wycheproof/<name>; a fatal failure when unreadable.
inline json::Value LoadWycheproof(const std::string& name) {
  Result<json::Value> r = json::ParseFile(std::string(PARLEY_VECTORS_DIR) + "/wycheproof/" + name);
  if (!r.ok()) {
    ADD_FAILURE() << r.status().ToString();
    return json::Value();
  }
  EXPECT_TRUE((*r)["testGroups"].is_array()) << name << " has no testGroups";
  return std::move(r).value();
}

inline bool IsAllZero(const crypto::Bytes& b) {
  for (std::uint8_t x : b) {
    if (x != 0) return false;
  }
  return true;
}

}  // namespace parley::testing
