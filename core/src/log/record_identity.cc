#include "log/record_identity.h"

#include <cstring>

#include "parley/core/crypto.h"

namespace parley::log {

namespace {
constexpr std::string_view kRecordIdLabel = "parley/record-id/v1";
}  // namespace

RecordId DeriveRecordId(std::string_view creator, std::string_view origin) {
  crypto::Hasher h;
  h.Update(kRecordIdLabel).Update(creator).Update(origin);
  const crypto::Hash full = h.Final256();
  RecordId id{};
  std::memcpy(id.data(), full.data(), id.size());
  return id;
}

bool IsOriginOf(std::string_view record, std::string_view creator, std::string_view origin) {
  if (origin.size() != kRecordOriginSize || record.size() != sizeof(RecordId)) return false;
  const RecordId derived = DeriveRecordId(creator, origin);
  return std::memcmp(derived.data(), record.data(), derived.size()) == 0;
}

}  // namespace parley::log
