// Record identity: a record's id is derived from its creator's identity key and a random
// origin, so only the creator can write the create a record takes its type from
// (docs/change-format.md, "Record identity").
//
//   id = BLAKE2b-256("parley/record-id/v1" || creator identity key (32) || origin (16))[0..16)
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <string_view>

#include "parley/core/replica.h"

namespace parley::log {

inline constexpr std::size_t kRecordOriginSize = 16;

// The id of the record created by `creator` (32-byte identity key) with `origin` (16 bytes).
RecordId DeriveRecordId(std::string_view creator, std::string_view origin);

// Whether `origin` (kRecordOriginSize bytes) derives `record` for `creator`.
bool IsOriginOf(std::string_view record, std::string_view creator, std::string_view origin);

}  // namespace parley::log
