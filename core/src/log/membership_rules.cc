#include "log/membership_rules.h"

#include <algorithm>
#include <tuple>

namespace parley::log {
namespace {

// Bounds the repetitions of EvaluateMembership (a stable answer comes after a few).
constexpr int kMaxEvaluationRounds = 16;

}  // namespace

bool IsMembershipOp(const pb::Op& op) {
  switch (op.kind_case()) {
    case pb::Op::kAddMember:
    case pb::Op::kSetRole:
    case pb::Op::kRevokeMember:
    case pb::Op::kNewEpoch:
    case pb::Op::kPurge:
      return true;
    default:
      return false;
  }
}

std::vector<MemberOpRow> MemberOpsOf(std::string_view author, std::uint64_t seq,
                                     const pb::ChangeBody& body) {
  std::vector<MemberOpRow> out;
  for (int i = 0; i < body.ops_size(); ++i) {
    const pb::Op& op = body.ops(i);
    if (!IsMembershipOp(op)) continue;
    MemberOpRow r;
    r.author = std::string(author);
    r.seq = seq;
    r.hlc = body.hlc();
    r.index = static_cast<std::uint32_t>(i);
    switch (op.kind_case()) {
      case pb::Op::kAddMember:
        r.kind = MemberOpRow::Kind::kAdd;
        r.target = op.add_member().identity();
        r.admin = op.add_member().role() == "admin";
        r.name = op.add_member().name();
        r.kx = op.add_member().kx_public();
        r.seal = op.add_member().seal_public();
        r.recovery = op.add_member().recovery();
        r.shared.assign(op.add_member().epochs().begin(), op.add_member().epochs().end());
        if (r.shared.empty()) r.shared.push_back(0);
        break;
      case pb::Op::kSetRole:
        r.kind = MemberOpRow::Kind::kSetRole;
        r.target = op.set_role().identity();
        r.admin = op.set_role().role() == "admin";
        break;
      case pb::Op::kRevokeMember:
        r.kind = MemberOpRow::Kind::kRevoke;
        r.target = op.revoke_member().identity();
        r.after_seq = op.revoke_member().after_seq();
        break;
      case pb::Op::kPurge:
        r.kind = MemberOpRow::Kind::kPurge;
        r.target = op.record();
        break;
      default:
        r.kind = MemberOpRow::Kind::kNewEpoch;
        r.epoch = op.new_epoch().epoch();
        for (const auto& k : op.new_epoch().keys()) {
          r.recipients.push_back(k.recipient());
          r.sealed.push_back(k.sealed());
        }
        r.shared.assign(op.new_epoch().epochs().begin(), op.new_epoch().epochs().end());
        r.shared.push_back(r.epoch);
        r.key_check = op.new_epoch().key_check();
        break;
    }
    out.push_back(std::move(r));
  }
  return out;
}

const DeviceMembership* Membership::Find(std::string_view identity) const {
  auto it = devices.find(std::string(identity));
  return it == devices.end() ? nullptr : &it->second;
}

bool Membership::IsAdmin(std::string_view identity) const {
  const DeviceMembership* d = Find(identity);
  return d != nullptr && d->admin && !d->revoked;
}

bool Membership::IsMember(std::string_view identity) const {
  const DeviceMembership* d = Find(identity);
  return d != nullptr && !d->revoked;
}

bool Membership::Entitled(std::string_view author, std::uint64_t seq) const {
  const DeviceMembership* d = Find(author);
  return d != nullptr && seq <= d->after_seq;
}

std::size_t Membership::DeviceAdminCount() const {
  std::size_t n = 0;
  for (const auto& [id, d] : devices) n += d.admin && !d.revoked && !d.recovery ? 1 : 0;
  return n;
}

std::size_t Membership::AdminCount() const {
  std::size_t n = 0;
  for (const auto& [id, d] : devices) n += d.admin && !d.revoked ? 1 : 0;
  return n;
}

namespace {

// One pass over the ordered operations, with the changes in `voided` (author -> after_seq)
// ignored.
Membership Evaluate(std::string_view founder, const std::vector<MemberOpRow>& ops,
                    const std::map<std::string, std::uint64_t>& voided) {
  Membership m;
  if (!founder.empty()) {
    DeviceMembership& f = m.devices[std::string(founder)];
    f.admin = true;
    f.ever_admin = true;
    f.founder = true;
    m.epoch_recipients.insert(std::string(founder));
  }
  for (const MemberOpRow& op : ops) {
    if (auto v = voided.find(op.author); v != voided.end() && op.seq > v->second) continue;
    if (!m.IsAdmin(op.author)) continue;
    switch (op.kind) {
      case MemberOpRow::Kind::kAdd: {
        auto [it, fresh] = m.devices.try_emplace(op.target);
        DeviceMembership& t = it->second;
        if (fresh) {
          t.admin = op.admin;
          t.ever_admin = op.admin;
          t.enrolled_by = op.author;
          t.enrolled_hlc = op.hlc;
          t.name = op.name;
          t.kx = op.kx;
          t.seal = op.seal;
          t.recovery = op.recovery;
          m.epoch_recipients.insert(op.target);  // an invite carries every key its admin holds
        } else if (!t.revoked) {
          if (t.founder && t.name.empty()) {  // the founder's own genesis entry
            t.name = op.name;
            t.kx = op.kx;
            t.seal = op.seal;
            t.enrolled_hlc = op.hlc;
          }
          if (op.admin) t.admin = t.ever_admin = true;  // added again as admin: a promotion
        }
        break;
      }
      case MemberOpRow::Kind::kSetRole: {
        auto it = m.devices.find(op.target);
        if (it == m.devices.end() || it->second.revoked) break;
        if (!op.admin && it->second.admin && m.AdminCount() == 1) break;  // never the last admin
        it->second.admin = op.admin;
        it->second.ever_admin = it->second.ever_admin || op.admin;
        break;
      }
      case MemberOpRow::Kind::kRevoke: {
        auto it = m.devices.find(op.target);
        if (it == m.devices.end() || it->second.revoked || op.target == op.author) break;
        if (it->second.admin && m.AdminCount() == 1) break;
        DeviceMembership& t = it->second;
        t.revoked = true;
        t.admin = false;
        t.revoked_by = op.author;
        t.revoked_hlc = op.hlc;
        t.after_seq = op.after_seq;
        break;
      }
      case MemberOpRow::Kind::kNewEpoch:
        m.epochs.push_back(op.epoch);
        m.epoch_recipients = std::set<std::string>(op.recipients.begin(), op.recipients.end());
        break;
      case MemberOpRow::Kind::kPurge:
        m.purges.try_emplace(op.target, EffectivePurge{op.author, op.seq, op.hlc});
        break;
    }
  }
  for (const std::string& r : m.epoch_recipients) {
    const DeviceMembership* d = m.Find(r);
    if (d != nullptr && d->revoked) m.reaches_revoked = true;
  }
  // An epoch is void when no NewEpoch that creates it took effect.
  const std::set<std::uint32_t> effective(m.epochs.begin(), m.epochs.end());
  for (const MemberOpRow& op : ops) {
    if (op.kind == MemberOpRow::Kind::kNewEpoch && effective.count(op.epoch) == 0)
      m.void_epochs.insert(op.epoch);
  }
  // Which keys each device was handed, whether or not the operation took effect: keys from
  // (former) admins are taken by their recipients (membership.md, "Epochs").
  std::map<std::string, std::set<std::uint32_t>> handed;
  std::set<std::uint32_t> epochs{0};
  if (!founder.empty()) handed[std::string(founder)].insert(0);
  for (const MemberOpRow& op : ops) {
    const DeviceMembership* by = m.Find(op.author);
    if (by == nullptr || !by->ever_admin) continue;
    if (op.kind == MemberOpRow::Kind::kAdd) {
      handed[op.target].insert(op.shared.begin(), op.shared.end());
    } else if (op.kind == MemberOpRow::Kind::kNewEpoch) {
      epochs.insert(op.epoch);
      handed[op.author].insert(op.epoch);
      for (const std::string& r : op.recipients)
        handed[r].insert(op.shared.begin(), op.shared.end());
    }
  }
  for (const auto& [id, d] : m.devices) {
    if (d.revoked || d.seal.empty()) continue;
    const std::set<std::uint32_t>& has = handed[id];
    for (std::uint32_t e : epochs) {
      if (has.count(e) == 0) m.uncovered.insert(e);
    }
  }
  return m;
}

}  // namespace

Membership EvaluateMembership(std::string_view founder, std::vector<MemberOpRow> ops) {
  std::sort(ops.begin(), ops.end(), [](const MemberOpRow& a, const MemberOpRow& b) {
    return std::tie(a.hlc, a.author, a.seq, a.index) < std::tie(b.hlc, b.author, b.seq, b.index);
  });
  std::map<std::string, std::uint64_t> voided;
  Membership m;
  for (int round = 0; round < kMaxEvaluationRounds; ++round) {
    m = Evaluate(founder, ops, voided);
    std::map<std::string, std::uint64_t> next;
    for (const auto& [id, d] : m.devices) {
      if (d.revoked) next[id] = d.after_seq;
    }
    if (next == voided) break;
    voided = std::move(next);
  }
  return m;
}

}  // namespace parley::log
