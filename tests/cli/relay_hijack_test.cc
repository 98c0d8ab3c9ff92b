// Enrolment hijacks through a real `parley-relay` process, as users would meet them: a
// stranger who knows only the new device's public keys (the relay sees them in every
// handshake) makes a vault named like the team's and publishes an invite for those keys.
// `parley join` refuses it, with or without --vault, and still joins the real team, whose
// admin and new device show the same safety code.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "parley/core/checked_code.h"
#include "relay_fixture.h"

namespace parley::cli_test {
namespace {

// The pairing code with its one-time secret replaced: what a stranger can make from the
// device's public keys alone (docs/enrolment.md: v2 payload, secret at bytes 161..177).
std::string WithoutSecret(const std::string& code) {
  auto payload =
      DecodeCheckedCode(code, "parley-device:", "parley/pairing/v1", "pairing code", Domain::kApp);
  EXPECT_TRUE(payload.ok()) << payload.status().ToString();
  if (!payload.ok() || payload->size() < 177 || (*payload)[0] != 2) return code;
  std::fill(payload->begin() + 161, payload->begin() + 177, std::uint8_t{0x42});
  return EncodeCheckedCode("parley-device:", "parley/pairing/v1", *payload);
}

// The first "safety code: DDD-DDD" (colon optional) in `text`, or "".
std::string SafetyCodeIn(const std::string& text) {
  const std::string_view label = "safety code";
  for (auto at = text.find(label); at != std::string::npos; at = text.find(label, at + 1)) {
    std::size_t i = at + label.size();
    if (i < text.size() && text[i] == ':') ++i;
    if (i >= text.size() || text[i] != ' ') continue;
    const std::string code = text.substr(i + 1, 7);
    bool ok = code.size() == 7;
    for (std::size_t k = 0; ok && k < code.size(); ++k) {
      ok = k == 3 ? code[k] == '-' : std::isdigit(static_cast<unsigned char>(code[k])) != 0;
    }
    if (ok) return code;
  }
  return "";
}

class CliRelayHijack : public CliWithRelay {};

TEST_F(CliRelayHijack, StrangersInviteIsRefusedAndTheRealOneJoins) {
  auto stranger = NewDevice("stranger", "Coalition");
  auto admin = NewDevice("office", "Coalition");
  auto phone = NewDevice("phone", "");
  const std::string code = PairingCode(*phone);
  EXPECT_EQ(PairingCode(*phone), code) << "the pairing code is stable until the device joins";

  ASSERT_EQ((*stranger)({"sync"}).exit_code, 0);
  Outcome planted = (*stranger)({"--json", "vault", "invite", WithoutSecret(code)});
  ASSERT_EQ(planted.exit_code, 0) << planted.err;
  const std::string stranger_vault = planted.Json()["vault_id"].AsString();

  for (const std::vector<std::string>& join :
       {std::vector<std::string>{"join"},
        std::vector<std::string>{"join", "--vault", stranger_vault}}) {
    Outcome refused = (*phone)(join);
    EXPECT_EQ(refused.exit_code, 7) << refused.out << refused.err;
    EXPECT_NE(refused.err.find("this invite was not made from this device's pairing code"),
              std::string::npos)
        << refused.err;
    EXPECT_EQ(refused.out.find("Joined"), std::string::npos) << refused.out;
  }
  EXPECT_EQ(phone->Json({"device", "id", "--no-qr"})["pairing_code"].AsString(), code);

  ASSERT_EQ((*admin)({"sync"}).exit_code, 0);
  Outcome invited = (*admin)({"vault", "invite", code});
  ASSERT_EQ(invited.exit_code, 0) << invited.err;
  EXPECT_NE(invited.out.find("(check that the new device shows the same)"), std::string::npos)
      << invited.out;
  const std::string safety = SafetyCodeIn(invited.out);
  ASSERT_FALSE(safety.empty()) << invited.out;
  // Inviting the same device again says so.
  Outcome twice = (*admin)({"vault", "invite", code});
  EXPECT_EQ(twice.exit_code, 6) << twice.err;
  EXPECT_NE(twice.err.find("already a member"), std::string::npos) << twice.err;

  // The stranger's invite still waits on the relay; only the real one counts.
  Outcome joined = (*phone)({"join"});
  ASSERT_EQ(joined.exit_code, 0) << joined.err;
  EXPECT_NE(joined.out.find("Joined vault Coalition, invited by office; safety code " + safety),
            std::string::npos)
      << joined.out;
  // Its code carries no usable secret any more.
  Outcome late = (*stranger)({"vault", "invite", PairingCode(*phone)});
  EXPECT_NE(late.exit_code, 0);
}

TEST_F(CliRelayHijack, JoinWithTheRealVaultIdAndJsonShowsTheSafetyCode) {
  auto stranger = NewDevice("stranger", "Coalition");
  auto admin = NewDevice("office", "Coalition");
  auto phone = NewDevice("phone", "");
  const std::string code = PairingCode(*phone);
  ASSERT_EQ((*stranger)({"sync"}).exit_code, 0);
  ASSERT_EQ((*stranger)({"vault", "invite", WithoutSecret(code)}).exit_code, 0);
  ASSERT_EQ((*admin)({"sync"}).exit_code, 0);
  Outcome invited = (*admin)({"--json", "vault", "invite", code});
  ASSERT_EQ(invited.exit_code, 0) << invited.err;
  const std::string real_vault = invited.Json()["vault_id"].AsString();
  const std::string safety = invited.Json()["safety_code"].AsString();
  ASSERT_EQ(safety.size(), 7u) << invited.out;

  Outcome joined = (*phone)({"--json", "join", "--vault", real_vault});
  ASSERT_EQ(joined.exit_code, 0) << joined.err;
  auto j = joined.Json();
  EXPECT_EQ(j["vault_id"].AsString(), real_vault);
  EXPECT_EQ(j["inviter"].AsString(), "office");
  EXPECT_EQ(j["safety_code"].AsString(), safety);
}

}  // namespace
}  // namespace parley::cli_test
