// LocalTransaction: one local change in the making (see Transaction in replica.h).
//
// Operations are written into the replica's tables as they are made, inside one SQLite
// transaction opened by Begin() and held here, so each operation sees the ones before it. Commit()
// seals the change (encrypt, hash, sign), stores it and commits; destruction without Commit() rolls
// everything back. If any write fails midway the transaction is poisoned: Commit() then rolls back
// and returns that error.
#pragma once

#include <map>

#include <google/protobuf/arena.h>

#include <span>
#include <unordered_map>

#include "log/replica_impl.h"

namespace parley::log {

class LocalTransaction final : public Transaction {
 public:
  // Takes over `tx`, the write transaction BeginLocal opened.
  LocalTransaction(ReplicaImpl& replica, ImmediateTransaction tx, std::uint64_t hlc,
                   std::uint64_t seq, std::string prev);
  ~LocalTransaction() override;

  Result<RecordId> Create(std::string_view type) override;
  Status Set(const RecordId& record, std::string_view field, std::string_view value) override;
  Status Delete(const RecordId& record) override;
  Status Restore(const RecordId& record) override;
  Result<ChangeId> Commit() override;
  // Purges `record` (docs/change-format.md, "Purge"); the caller checks that this device is an
  // admin. The purge takes effect at Commit, when membership is evaluated again.
  Status Purge(const RecordId& record);

  // Membership: adds (or re-adds with a new role) a device. Used by CreateVault and Invite.
  // `seal` and `seal_certificate` may be empty (a device enrolled before sealing keys).
  Status AddMember(crypto::ByteView identity, crypto::ByteView kx, int role, std::string_view name,
                   crypto::ByteView seal, crypto::ByteView seal_certificate,
                   const std::vector<std::uint32_t>& epochs = {}, bool recovery = false);
  // Membership operations (docs/membership.md); the caller checks the rules first.
  Status SetRole(std::string_view identity, bool admin);
  Status RevokeMember(std::string_view identity, std::uint64_t after_seq);
  // `sealed[i]` is the key set sealed to `recipients[i]`.
  // Writes the operations of `old`, a change of this device's set aside after a restore,
  // into this (empty) change, with references to this device's own set-aside changes
  // renumbered by `renumbered` (old seq -> new seq, this change's included).
  Status Reissue(const pb::ChangeBody& old,
                 const std::map<std::uint64_t, std::uint64_t>& renumbered);
  // The seq this change will have.
  std::uint64_t seq() const { return seq_; }
  Status NewEpoch(std::uint32_t epoch, const std::vector<std::string>& recipients,
                  const std::vector<crypto::Bytes>& sealed,
                  const std::vector<std::uint32_t>& shared, crypto::ByteView key_check);

 private:
  Status Usable() const;
  // The record's row id; Code::kNotFound unless its creation is held.
  Result<std::int64_t> KnownRecord(const RecordId& record);
  void AddOpIds(std::span<const std::int64_t> keys,
                google::protobuf::RepeatedPtrField<pb::OpId>* out);
  std::int64_t NextOpKey() const;
  // Supersedes the live ops of a field (or of the whole record when `field` is null): they
  // leave log_live now and are listed in live_ for the op being written.
  Status TakeLive(std::int64_t rid, const std::string_view* field);
  // Records a failed write: the transaction can only be rolled back now.
  Status Poison(Status s);

  ReplicaImpl& r_;
  ImmediateTransaction tx_;
  // The body is built on an arena: its thousands of small messages are freed at once.
  google::protobuf::Arena arena_;
  pb::ChangeBody& body_;
  std::uint64_t hlc_;
  std::uint64_t seq_;
  std::string prev_;
  bool done_ = false;
  bool membership_ = false;
  Status failed_;
  std::unordered_map<std::int64_t, std::uint32_t> author_index_;  // author id -> OpId.author
  std::vector<std::int64_t> live_;  // scratch: the live ops an operation supersedes
  // Originating creates whose key slot Commit seals (under the key the body is sealed with).
  struct PendingSlot {
    int op = 0;
    RecordId record{};
  };
  std::vector<PendingSlot> pending_slots_;
};

}  // namespace parley::log
