// Changes larger than one frame (docs/wire-protocol.md, "Changes in parts").
//
// A change is one signed unit and stays one: when its serialization does not fit one
// transport message it travels as `count` consecutive ChangePart slices (in Push frames
// towards the relay, in PullBatch frames back), which the receiver reassembles and checks
// as a whole. The part size is the sender's choice (each part must fit its frame).
//
// Thread safety: SplitChange is pure; a PartAssembler belongs to one thread (one
// connection).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "parley/core/crypto.h"
#include "parley/wire.pb.h"

namespace parley::wire {

// The largest serialized Change any party carries in parts: core's largest change body
// (64 MiB), its largest header (512) and room for the signature and field tags. A relay may
// advertise less (Welcome.max_change_bytes); never more.
inline constexpr std::uint64_t kMaxChangeBytes = (64ULL << 20) + 4096;
// Bytes of a serialized Change carried per part by this implementation: what is left of a
// 65519-byte frame after the frame's and the part's own fields (ids, counts, vault).
inline constexpr std::size_t kChangePartData = 62 * 1024;

// Cuts a serialized Change into parts of at most `part_data` bytes (the last may be
// shorter). `change_id` is the change's 32-byte id. REQUIRES: serialized.size() > part_data
// > 0 (a change that fits goes whole; there are always at least two parts).
std::vector<pb::ChangePart> SplitChange(const std::string& serialized, crypto::ByteView change_id,
                                        std::size_t part_data = kChangePartData);

// Reassembles one change from its parts, checking each part against the ones before it.
// Memory: at most `max_total` bytes, reserved once `total_bytes` of part 0 has been checked
// against it (the check precedes the allocation).
class PartAssembler {
 public:
  explicit PartAssembler(std::uint64_t max_total) : max_total_(max_total) {}

  // Adds the next part. Code::kInvalidArgument (the message says what) when the part does
  // not continue the sequence: index 0 while a change is open, an index other than the
  // next, a count below 2 or above total_bytes, a change id that is not 32 bytes or
  // differs, total_bytes or count that changed, empty data, or more (or, at the last
  // part, fewer) bytes than total_bytes. Code::kUnsupported ("too large") when part 0
  // announces more than max_total. After an error the assembler is empty again.
  Status Add(const pb::ChangePart& part);

  // A change has been started and not finished.
  bool open() const { return count_ != 0 && !complete_; }
  // The last part arrived and the byte count matched.
  bool complete() const { return complete_; }
  std::uint32_t next_index() const { return next_; }
  std::uint64_t total_bytes() const { return total_; }
  const std::string& change_id() const { return id_; }

  // The reassembled serialized Change (REQUIRES complete()); empties the assembler.
  std::string Take();
  // Drops whatever was gathered.
  void Reset();

 private:
  std::uint64_t max_total_;
  std::string id_;
  std::string data_;
  std::uint64_t total_ = 0;
  std::uint32_t count_ = 0;
  std::uint32_t next_ = 0;
  bool complete_ = false;
};

}  // namespace parley::wire
