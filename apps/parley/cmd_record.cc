// note add, commitment add, commitment status.
#include "app.h"
#include "table.h"
#include "text_input.h"

namespace parley::cli {
namespace {

Status NoteAdd(App& app, const Invocation& inv) {
  PARLEY_ASSIGN_OR_RETURN(auto neg, app.ResolveId(inv.args[0]));
  model::NoteInput in;
  if (inv.Has("session")) {
    PARLEY_ASSIGN_OR_RETURN(auto session, app.ResolveId(inv.Get("session")));
    in.session = session;
  }
  if (inv.Has("text")) {
    in.text = inv.Get("text");
  } else {
    PARLEY_ASSIGN_OR_RETURN(in.text, ReadStandardInput("the note"));
  }
  PARLEY_ASSIGN_OR_RETURN(auto id, app.model().AddNote(neg, in));
  return PrintAdded(app, "note", id, "");
}

Status CommitmentAdd(App& app, const Invocation& inv) {
  PARLEY_ASSIGN_OR_RETURN(auto neg, app.ResolveId(inv.args[0]));
  if (inv.Has("firm") && inv.Has("flexible"))
    return UsageError("--firm and --flexible exclude each other");
  model::CommitmentInput in;
  in.kind = inv.Get("kind");
  in.text = inv.Get("text");
  in.amount = inv.Get("amount");
  in.deadline = inv.Get("deadline");
  in.principle = inv.Has("firm") ? "firm" : "flexible";
  in.status = inv.Get("status", "proposed");
  if (inv.Has("by")) {
    PARLEY_ASSIGN_OR_RETURN(auto party, app.model().FindParty(neg, inv.Get("by")));
    in.by = party;
  }
  PARLEY_ASSIGN_OR_RETURN(auto id, app.model().AddCommitment(neg, in));
  auto canonical = model::CanonicalCommitmentKind(in.kind);
  const std::string kind = canonical.ok() ? *canonical : in.kind;
  return PrintAdded(app, "commitment", id, kind + ", " + in.status + ", " + in.principle);
}

Status CommitmentStatus(App& app, const Invocation& inv) {
  PARLEY_ASSIGN_OR_RETURN(auto id, app.ResolveId(inv.args[0]));
  PARLEY_ASSIGN_OR_RETURN(auto before, app.model().GetOfType(id, model::kCommitment));
  const std::string old_status = Cell(before, "status");
  PARLEY_RETURN_IF_ERROR(app.model().SetCommitmentStatus(id, inv.args[1]));
  if (app.json()) {
    app.PrintJson(
        {{"id", log::ToString(id)}, {"from", before.get("status")}, {"status", inv.args[1]}});
  } else {
    app.Print("Commitment " + ShortId(log::ToString(id)) + ": " + old_status + " → " + inv.args[1] +
              "\n");
  }
  return Status::Ok();
}

}  // namespace

void AddRecordCommands(std::vector<Command>& commands) {
  commands.push_back({{"note", "add"},
                      "NEGOTIATION_ID [--text T] [--session ID]",
                      "record a note (the text from standard input when --text is absent)",
                      {TextOption("text"), {"session", true}},
                      1,
                      1,
                      &NoteAdd});
  commands.push_back(
      {{"commitment", "add"},
       "NEGOTIATION_ID --kind KIND --text T [--by PARTY] [--amount A] [--deadline YYYY-MM-DD] "
       "[--firm | --flexible] [--status S]",
       "record a proposed commitment (PARTY: a party id prefix or name)",
       {TextOption("kind"),
        TextOption("text"),
        TextOption("by"),
        TextOption("amount"),
        {"deadline", true},
        {"firm", false},
        {"flexible", false},
        {"status", true}},
       1,
       1,
       &CommitmentAdd});
  commands.push_back({{"commitment", "status"},
                      "ID proposed|countered|agreed|signed|withdrawn|rejected",
                      "change a commitment's status",
                      {},
                      2,
                      2,
                      &CommitmentStatus});
}

}  // namespace parley::cli
