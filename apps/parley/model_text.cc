#include "model_text.h"

namespace parley::cli {

std::string VerdictText(model::Verdict verdict) {
  switch (verdict) {
    case model::Verdict::kNoBottomLine:
      return "no bottom line fixed yet: require its elements before negotiating";
    case model::Verdict::kMeets:
      return "current terms meet the bottom line";
    case model::Verdict::kWalkAway:
      return "current terms do not meet the bottom line: be ready to walk away";
  }
  return std::string(model::VerdictName(verdict));
}

std::string StallText() { return "not enough power yet: keep campaigning"; }

std::string CampaignWarningText(model::CampaignWarningCode warning) {
  std::string status;
  switch (warning) {
    case model::CampaignWarningCode::kNone:
      return "";
    case model::CampaignWarningCode::kEndedWithoutAgreement:
      status = "ended";
      break;
    case model::CampaignWarningCode::kPausedWithoutAgreement:
      status = "paused";
      break;
  }
  return "the campaign is " + status +
         " but no agreement is signed: the campaign must not end before an agreement is signed";
}

}  // namespace parley::cli
