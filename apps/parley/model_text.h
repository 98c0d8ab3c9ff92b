// The English wording of the model's codes: the bottom-line verdict, the stall signal and the
// campaign warning (`bottomline report`, `negotiation show`, `campaign status`).
#pragma once

#include <string>

#include "parley/device.h"

namespace parley::cli {

std::string VerdictText(model::Verdict verdict);
std::string StallText();
// Empty for CampaignWarningCode::kNone.
std::string CampaignWarningText(model::CampaignWarningCode warning);

}  // namespace parley::cli
