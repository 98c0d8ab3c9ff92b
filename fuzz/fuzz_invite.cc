// Fuzz target: the checks a joining device makes on an invite (log::CheckInvite).
//
// The first byte picks the mode:
//   even: the rest of the input is the invite, as it would arrive from a file or a relay
//     envelope; almost all of it stops at the MAC, as it must;
//   odd: the rest is parsed as an Invite and, when it parses, re-signed by the fixed admin
//     and re-MACed with the fixed joiner's secret before the checks, so that the fuzzer
//     reaches what lies behind the MAC (body parsing, key sizes, the vault id's
//     derivation, the sealed keys, every membership change and the admin closure).
// The fixed, valid invite of fuzz_support.h must pass (checked once): a regression aborts.
#include <cstdlib>
#include <vector>

#include "fuzz_support.h"
#include "parley/core/enrolment.h"

namespace parley::fuzz {
namespace {

bool CheckValidOnce() {
  InitOnce();
  auto r = log::CheckInvite(FixedInvite(), FixedJoiner());
  Require(r.status(), "the fixed invite must pass its checks");
  return true;
}

}  // namespace
}  // namespace parley::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace parley::fuzz;
  static const bool ready = CheckValidOnce();
  (void)ready;
  if (size == 0) return 0;
  std::vector<std::uint8_t> invite(data + 1, data + size);
  if (data[0] % 2 == 1) invite = ResignInvite(invite);
  auto r = parley::log::CheckInvite(invite, FixedJoiner());
  if (r.ok() && r->safety_code.size() != 7) std::abort();
  return 0;
}
