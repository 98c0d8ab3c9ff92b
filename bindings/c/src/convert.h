// JSON shapes of the C ABI (docs/c-api.md): Device API results to JSON, JSON requests to
// model inputs. Internal to libparley.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "parley/device.h"
#include "parley/platform/status.h"

namespace parley::capi {

using Json = nlohmann::json;

// Errors of the C layer itself (Domain::kApp is the CLI's; the C ABI reports domain 8).
inline constexpr int kDomainApi = 8;
Status ApiError(Code code, std::string message);
bool IsApiError(const Status& status);

// Parses `text` as one JSON object; kInvalidArgument (API domain) naming the problem.
Result<Json> ParseObject(std::string_view text);
// A string member; `required` missing is kInvalidArgument; absent optional is "".
Result<std::string> GetString(const Json& object, const char* key, bool required);
Result<std::uint64_t> GetUint(const Json& object, const char* key, std::uint64_t fallback);

Json StatusJson(const Status& status);  // {"ok":true} or {"ok":false,"domain","code","message"}
Json RecordJson(const log::Record& record);
Json ListedJson(const model::ListedRecord& listed);
Json DetailJson(const model::RecordDetail& detail);
Json HistoryJson(const std::vector<log::HistoryEntry>& history);
Json SearchJson(const std::vector<model::SearchHit>& hits);
Json BottomLineJson(const model::BottomLineReport& report);
Json ConflictsJson(const std::vector<log::Conflict>& conflicts);
Json VaultJson(const std::optional<VaultSummary>& vault);
Json RelayJson(const RelayInfo& relay);
Json RelaySyncJson(const RelaySyncResult& result);
Json SyncJson(const std::vector<RelaySyncResult>& relays);
Json MemberJson(const MemberSummary& member);
Json StatusReportJson(const DeviceStatus& status);
Json JoinJson(const JoinResult& join);
Json InviteJson(const InviteResult& invite);
Json ImportJson(const ImportResult& import);
Json RevocationJson(const Revocation& revocation);

// Creates the record a {"type","negotiation","fields"} request describes, through the
// model's typed calls (every rule of docs/model.md applies). Returns its id.
Result<log::RecordId> CreateRecord(Device& device, const Json& request);

}  // namespace parley::capi
