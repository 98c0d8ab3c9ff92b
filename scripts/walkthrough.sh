#!/usr/bin/env bash
# The offline walk-through: two devices of a negotiation team, no network at all.
#
#   scripts/walkthrough.sh PATH/TO/parley
#
# An admin laptop creates the team vault; an organizer's phone is enrolled offline (pairing
# code -> invite file); both record a negotiation with its parties, sessions, notes,
# commitments and bottom line; they exchange change bundles both ways; a concurrent edit
# shows as a conflict and is resolved; the bottom-line report, the stall signal and the
# campaign warning are shown, then a record's history; finally both devices lock and wipe.
# Everything happens in a fresh temporary directory that is removed at the end.
# Exits non-zero as soon as any step fails.
#
# PARLEY_ARGON2=min (the default here) makes each unlock fast; it weakens the passphrase
# hash and exists for tests and demonstrations only. Set PARLEY_ARGON2=default for the real
# cost (about half a second per command).
set -euo pipefail

if [[ $# -ne 1 || ! -x "$1" ]]; then
  echo "usage: $0 PATH/TO/parley" >&2
  exit 2
fi
PARLEY="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
export PARLEY_ARGON2="${PARLEY_ARGON2:-min}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/parley-walkthrough.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

bold="" plain=""
if [[ -t 1 ]]; then bold=$'\033[1m' plain=$'\033[0m'; fi
step=0
step() {
  step=$((step + 1))
  printf '\n%s== %d. %s%s\n' "$bold" "$step" "$*" "$plain"
}
fail() {
  echo "walkthrough FAILED at step $step: $*" >&2
  exit 1
}
# laptop/phone ARGS...: run parley as that device (its own data dir, key store, passphrase).
laptop() { PARLEY_PASSPHRASE="laptop: correct horse battery" "$PARLEY" --data "$WORK/laptop" --keystore "$WORK/laptop-keystore" "$@"; }
phone() { PARLEY_PASSPHRASE="phone: staple margin orbit" "$PARLEY" --data "$WORK/phone" --keystore "$WORK/phone-keystore" "$@"; }
# Shows the command, runs it, fails the walk-through if it fails.
show() {
  local device=$1
  shift
  echo "\$ parley $*   [on the $device]"
  "$device" "$@" || fail "parley $* exited with $?"
}
# The "id" of a --json answer.
id_of() { sed -n 's/.*"id":"\([0-9a-f]\{32\}\)".*/\1/p'; }
# Runs a recording command with --json and prints the new record's id.
new() {
  local out id
  out="$("$@" --json)" || fail "parley ${*:2} exited with $?"
  id="$(printf '%s' "$out" | id_of)"
  [[ ${#id} -eq 32 ]] || fail "no id in the answer of parley ${*:2}: $out"
  echo "  + ${*:2:2} ${id:0:8}" >&2
  printf '%s' "$id"
}
expect() {  # expect TEXT PATTERN WHAT
  grep -q -- "$2" <<<"$1" || fail "expected $3"
}

echo "Parley offline walk-through in $WORK"

step "The admin's laptop creates the encrypted store and the team vault"
show laptop init --name "office laptop" --vault "coalition"

step "An organizer's phone is enrolled offline"
show phone init --name "ana phone" --no-vault
code="$(phone device id)" || fail "device id"
echo "pairing code shown by the phone: ${code:0:40}..."
show laptop vault invite "$code" --out "$WORK/ana.invite"
show phone join "$WORK/ana.invite"

step "The laptop records the negotiation, its parties, sessions and the bottom line"
neg="$(new laptop negotiation add --buyer "Fresh Harvest Foods" --title "Fair food agreement")"
new laptop party add "$neg" --role worker_org --name "Farmworker Alliance" >/dev/null
new laptop party add "$neg" --role buyer --name "Fresh Harvest Foods" >/dev/null
new laptop party add "$neg" --role supplier --name "Sunny Acres Farm" >/dev/null
new laptop party add "$neg" --role ally --name "Student Coalition" >/dev/null
s1="$(new laptop session add "$neg" --date 2025-03-04 --place "Buyer HQ" --attendees "Ana, Luis; J. Smith (Buyer)")"
new laptop session add "$neg" --date 2025-03-18 --place "Video call" --attendees "Ana; J. Smith" >/dev/null
new laptop session add "$neg" --date 2025-04-01 --place "Buyer HQ" --attendees "Ana, Luis; J. Smith, counsel" >/dev/null
new laptop need add "$neg" --constraint --text "Cannot raise shelf prices before the third quarter" >/dev/null
premium="$(new laptop commitment add "$neg" --kind price_premium --text "One cent per pound passed on to workers" \
  --by "Fresh Harvest Foods" --amount "0.01 USD/lb" --flexible)"
conduct="$(new laptop commitment add "$neg" --kind enforceable_obligations \
  --text "Worker-written code of conduct, binding on every Supplier" --by "Farmworker Alliance" --firm)"
show laptop bottomline require "$neg" enforceable_obligations --covered-by "${conduct:0:8}"
show laptop bottomline require "$neg" financial_support --covered-by "${premium:0:8}" --form price_premium
show laptop bottomline require "$neg" market_consequences
show laptop bottomline require "$neg" independent_monitoring
show laptop bottomline require "$neg" worker_gains --covered-by "${premium:0:8}"

step "Laptop -> phone: a bundle on a USB stick"
show laptop bundle export "$WORK/laptop-1.bundle"
show phone bundle import "$WORK/laptop-1.bundle"
show phone negotiation list

step "The phone, in the field, records a note, a commitment and a campaign action"
echo "  (the note comes from standard input)"
new phone note add "$neg" --session "${s1:0:8}" <<<"The Buyer's counsel asked for a two-year phase-in; we held on monitoring." >/dev/null
monitoring="$(new phone commitment add "$neg" --kind independent_monitoring --text "Audits by a worker-driven monitoring body" \
  --by "Fresh Harvest Foods" --deadline 2025-09-30 --firm)"
show phone bottomline require "$neg" independent_monitoring --covered-by "${monitoring:0:8}"
show phone commitment status "${premium:0:8}" agreed
new phone campaign action add "$neg" --date 2025-04-05 --kind protest --text "Picket at the flagship store" >/dev/null

step "Phone -> laptop"
show phone bundle export "$WORK/phone-1.bundle"
show laptop bundle import "$WORK/phone-1.bundle"

step "Both devices change the same commitment while apart"
show laptop commitment status "${conduct:0:8}" agreed
show phone commitment status "${conduct:0:8}" countered
show laptop bundle export "$WORK/laptop-2.bundle"
show phone bundle export "$WORK/phone-2.bundle"
show laptop bundle import "$WORK/phone-2.bundle"
show phone bundle import "$WORK/laptop-2.bundle"
echo "\$ parley conflicts   [on the laptop]"
conflicts="$(laptop conflicts)" || fail "conflicts"
echo "$conflicts"
expect "$conflicts" "${conduct:0:8}.status" "the concurrent status edit to show as a conflict"
expect "$(phone conflicts --json)" '"field":"status"' "the phone to show the same conflict"
echo "Importing the same bundle twice changes nothing:"
show phone bundle import "$WORK/laptop-2.bundle"

step "The coordinator resolves the conflict and sends the resolution"
show laptop resolve "${conduct:0:8}.status" countered
show laptop bundle export "$WORK/laptop-3.bundle"
show phone bundle import "$WORK/laptop-3.bundle"
expect "$(phone conflicts)" "No conflicts" "no conflict left on the phone"
expect "$(laptop conflicts --json)" '"conflicts":\[\]' "no conflict left on the laptop"

step "Where we stand: the bottom line at a glance"
echo "\$ parley bottomline report ${neg:0:8}   [on the phone]"
report="$(phone bottomline report "${neg:0:8}")" || fail "bottomline report"
echo "$report"
expect "$report" "be ready to walk away" "the walk-away signal (market consequences are not covered)"
expect "$report" "not enough power yet: keep campaigning" "the stall signal (three sessions without movement)"

step "Pausing the campaign before anything is signed draws a warning"
out="$(laptop campaign status "${neg:0:8}" paused)" || fail "campaign status"
echo "$out"
expect "$out" "no agreement is signed" "the campaign warning"
show laptop negotiation show "${neg:0:8}"

step "History: who changed what, when, from which device"
show laptop history "${conduct:0:8}"

step "A printable report for the office (HTML; also CSV and Markdown)"
show laptop report "${neg:0:8}" --format html --output "$WORK/report.html"
expect "$(cat "$WORK/report.html")" "@media print" "a printable HTML report"
rm -f "$WORK/report.html"

step "Lock: nothing but the key file and the encrypted database remain"
show laptop lock
show phone lock
ls -l "$WORK/laptop" "$WORK/phone"
for f in "$WORK"/laptop/* "$WORK"/phone/*; do
  case "$(basename "$f")" in keys | parley.db) ;; *) fail "unexpected file after lock: $f" ;; esac
done

step "Panic wipe on both devices (no passphrase needed)"
for device in laptop phone; do
  echo "\$ parley wipe --yes   [on the $device, without its passphrase]"
  env -u PARLEY_PASSPHRASE "$PARLEY" --data "$WORK/$device" --keystore "$WORK/$device-keystore" wipe --yes ||
    fail "wipe on the $device"
done
left="$( (find "$WORK/laptop" "$WORK/phone" "$WORK/laptop-keystore" "$WORK/phone-keystore" -type f 2>/dev/null || true) | wc -l)"
[[ "$left" -eq 0 ]] || fail "$left files left after wipe"
if laptop negotiation list >/dev/null 2>&1; then fail "the wiped store still opens"; fi

printf '\n%sWalk-through complete: every step succeeded.%s\n' "$bold" "$plain"
