#include "parley/sync/change_parts.h"

#include <algorithm>

#include "parley/core/limits.h"
#include "parley/sync/frame_codec.h"

namespace parley::wire {

// Every change core may write must be carriable: its body, its header, the signature and
// the Change message's own tags and lengths.
static_assert(kMaxChangeBytes >=
                  log::kMaxChangeBodySize + log::kMaxChangeHeaderSize + crypto::kSignatureSize + 64,
              "kMaxChangeBytes must hold the largest change core writes");
static_assert(kChangePartData + 1024 <= kMaxFramePlaintext,
              "a part must fit one frame with its fields");

namespace {

Status Bad(const std::string& what) {
  return Error(Domain::kSync, Code::kInvalidArgument, "change parts: " + what);
}

}  // namespace

std::vector<pb::ChangePart> SplitChange(const std::string& serialized, crypto::ByteView change_id,
                                        std::size_t part_data) {
  std::vector<pb::ChangePart> parts;
  const std::size_t count = (serialized.size() + part_data - 1) / part_data;
  parts.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    pb::ChangePart& p = parts.emplace_back();
    p.set_change_id(change_id.data(), change_id.size());
    p.set_index(static_cast<std::uint32_t>(i));
    p.set_count(static_cast<std::uint32_t>(count));
    p.set_total_bytes(serialized.size());
    const std::size_t at = i * part_data;
    p.set_data(serialized.substr(at, std::min(part_data, serialized.size() - at)));
  }
  return parts;
}

Status PartAssembler::Add(const pb::ChangePart& part) {
  Status s = [&]() -> Status {
    if (part.index() == 0) {
      if (open()) return Bad("a new change started before the last part of the previous one");
      Reset();
      if (part.total_bytes() > max_total_) {
        return Error(Domain::kSync, Code::kUnsupported,
                     "change parts: a change of " + std::to_string(part.total_bytes()) +
                         " bytes is too large (at most " + std::to_string(max_total_) + ")");
      }
      if (part.change_id().size() != 32) return Bad("the change id is not 32 bytes");
      if (part.count() < 2) return Bad("a change in parts has at least two parts");
      if (part.count() > part.total_bytes()) return Bad("more parts than bytes");
      if (part.data().empty()) return Bad("an empty part");
      id_ = part.change_id();
      total_ = part.total_bytes();
      count_ = part.count();
      data_.reserve(static_cast<std::size_t>(total_));
    } else {
      if (!open())
        return Bad("part " + std::to_string(part.index()) + " of a change that was not started");
      if (part.index() != next_) {
        return Bad("part " + std::to_string(part.index()) + " where part " + std::to_string(next_) +
                   " was due");
      }
      if (part.change_id() != id_) return Bad("the change id differs from the first part's");
      if (part.count() != count_ || part.total_bytes() != total_) {
        return Bad("count or total_bytes differs from the first part's");
      }
      if (part.data().empty()) return Bad("an empty part");
    }
    if (part.data().size() > total_ - data_.size()) return Bad("more bytes than total_bytes");
    data_.append(part.data());
    next_ = part.index() + 1;
    if (next_ == count_) {
      if (data_.size() != total_) return Bad("fewer bytes than total_bytes");
      complete_ = true;
    }
    return Status::Ok();
  }();
  if (!s.ok()) Reset();
  return s;
}

std::string PartAssembler::Take() {
  std::string out = std::move(data_);
  Reset();
  return out;
}

void PartAssembler::Reset() {
  id_.clear();
  data_.clear();
  data_.shrink_to_fit();
  total_ = 0;
  count_ = 0;
  next_ = 0;
  complete_ = false;
}

}  // namespace parley::wire
