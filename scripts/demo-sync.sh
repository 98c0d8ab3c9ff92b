#!/usr/bin/env bash
# The main job, synced through a relay on loopback.
#
#   scripts/demo-sync.sh BUILD_DIR
#
# A relay starts with its SQLite storage; a vault is created on phone 1; phone 2 and the
# office computer are enrolled through the relay; the relay goes down and both phones record
# notes and commitments offline; the relay comes back (same address), everything syncs, and
# the office prints the bottom-line report, which includes both phones' work. Last, the
# relay's files are searched for marker strings typed on the phones: the script fails if any
# plaintext reached the relay. Everything happens in a fresh temporary directory.
#
# PARLEY_ARGON2=min (the default here) makes each unlock fast; it weakens the passphrase
# hash and exists for tests and demonstrations only.
set -euo pipefail

if [[ $# -ne 1 || ! -d "$1" ]]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
BUILD="$(cd "$1" && pwd)"
PARLEY="$BUILD/apps/parley/parley"
RELAY="$BUILD/apps/parley-relay/parley-relay"
for bin in "$PARLEY" "$RELAY"; do [[ -x "$bin" ]] || { echo "missing $bin" >&2; exit 2; }; done
export PARLEY_ARGON2="${PARLEY_ARGON2:-min}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/parley-demo-sync.XXXXXX")"
RELAY_PID=""
stop_relay() {
  if [[ -n "$RELAY_PID" ]]; then
    kill -TERM "$RELAY_PID" 2>/dev/null || true
    wait "$RELAY_PID" 2>/dev/null || true
    RELAY_PID=""
  fi
}
trap 'stop_relay; rm -rf "$WORK"' EXIT

step=0
step() { step=$((step + 1)); printf '\n== %d. %s\n' "$step" "$*"; }
fail() { echo "demo-sync FAILED at step $step: $*" >&2; exit 1; }
dev() {  # dev NAME ARGS...: run parley as that device
  local name="$1"; shift
  PARLEY_PASSPHRASE="$name demo passphrase, fresh foods" "$PARLEY" --data "$WORK/$name" --keystore "$WORK/$name-keystore" "$@"
}
json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

# start_relay PORT: serves the relay's data dir on 127.0.0.1:PORT (0: any), sets RELAY_PORT.
start_relay() {
  : > "$WORK/relay.log"
  "$RELAY" serve --data "$WORK/relay" --listen "127.0.0.1:$1" 2>> "$WORK/relay.log" &
  RELAY_PID=$!
  for _ in $(seq 1 200); do
    if grep -q 'event=listening' "$WORK/relay.log"; then break; fi
    kill -0 "$RELAY_PID" 2>/dev/null || fail "the relay did not start: $(cat "$WORK/relay.log")"
    sleep 0.05
  done
  RELAY_PORT="$(grep -o 'event=listening.*port=[0-9]*' "$WORK/relay.log" | grep -o 'port=[0-9]*' | cut -d= -f2)"
  [[ -n "$RELAY_PORT" ]] || fail "no listening line in the relay log"
}

step "The relay starts (SQLite storage in $WORK/relay)"
"$RELAY" init --data "$WORK/relay" > /dev/null
start_relay 0
CODE="$("$RELAY" info --data "$WORK/relay" --address "127.0.0.1:$RELAY_PORT" --json | json_field pairing_code)"
echo "relay on 127.0.0.1:$RELAY_PORT, pairing code $CODE"

step "Phone 1 creates the team vault; phone 2 and the office computer are set up"
dev phone1 init --name "phone 1" --vault "Fresh Foods campaign" > /dev/null
dev phone2 init --name "phone 2" --no-vault > /dev/null
dev office init --name "office" --no-vault > /dev/null
for d in phone1 phone2 office; do dev "$d" relay add "$CODE" > /dev/null; done

step "The relay admits only vaults its operator allowed: phone 1 is refused, the operator allows its vault"
if OUT="$(dev phone1 sync 2>&1)"; then fail "the relay took a vault its operator had not admitted"; fi
echo "$OUT"
VAULT="$(grep -o 'vault allow [0-9a-f]\{64\}' <<< "$OUT" | head -n 1 | cut -d' ' -f3)"
[[ -n "$VAULT" ]] || fail "the refusal does not name the vault: $OUT"
"$RELAY" vault allow --data "$WORK/relay" "$VAULT"
dev phone1 sync

step "Phone 1 (admin) enrolls phone 2 and the office through the relay"
for d in phone2 office; do
  dev phone1 vault invite "$(dev "$d" device id)" > /dev/null
  dev "$d" join
done

step "Phone 1 opens the negotiation and its bottom line; everyone syncs"
NEG="$(dev phone1 --json negotiation add --buyer "Fresh Foods Inc" --title "WSR agreement" | json_field id)"
dev phone1 bottomline require "$NEG" financial_support > /dev/null
dev phone1 bottomline require "$NEG" independent_monitoring > /dev/null
for d in phone1 phone2 office; do dev "$d" sync > /dev/null; done

step "The relay goes down; both phones keep recording"
stop_relay
dev phone1 note add "$NEG" --text "MARKER-PHONE1-NOTE: Buyer asked for a two-year phase-in" > /dev/null
PREMIUM="$(dev phone1 --json commitment add "$NEG" --kind price_premium --text "MARKER-PHONE1-PREMIUM one cent per pound" \
  --amount "0.01 USD/lb" --firm | json_field id)"
dev phone2 note add "$NEG" --text "MARKER-PHONE2-NOTE: monitors must be independent of the Buyer" > /dev/null
MONITOR="$(dev phone2 --json commitment add "$NEG" --kind monitoring_support --text "MARKER-PHONE2-MONITORING funded by the Buyer" \
  --firm | json_field id)"
if dev phone2 sync > /dev/null 2>&1; then fail "sync succeeded with the relay down"; fi
dev phone2 status

step "The relay comes back on the same address; everything syncs"
start_relay "$RELAY_PORT"
for round in 1 2; do
  for d in phone1 phone2 office; do dev "$d" sync; done
done
dev office bottomline require "$NEG" financial_support --covered-by "$PREMIUM" > /dev/null
dev office bottomline require "$NEG" independent_monitoring --covered-by "$MONITOR" > /dev/null

step "The office prints the bottom-line report"
REPORT="$(dev office bottomline report "$NEG")"
echo "$REPORT"
grep -q -- "${PREMIUM:0:8}" <<< "$REPORT" || fail "phone 1's commitment is missing from the office report"
grep -q -- "${MONITOR:0:8}" <<< "$REPORT" || fail "phone 2's commitment is missing from the office report"
SHOW="$(dev office negotiation show "$NEG")"
grep -q -- "MARKER-PHONE1-PREMIUM" <<< "$SHOW" || fail "phone 1's commitment text is missing on the office computer"
grep -q -- "MARKER-PHONE2-MONITORING" <<< "$SHOW" || fail "phone 2's commitment text is missing on the office computer"
grep -q -- "MARKER-PHONE1-NOTE" <<< "$SHOW" || fail "phone 1's note is missing on the office computer"
grep -q -- "MARKER-PHONE2-NOTE" <<< "$SHOW" || fail "phone 2's note is missing on the office computer"

step "Every device's notes are safely on the relay"
for d in phone1 phone2; do
  dev "$d" --json status | python3 -c 'import json,sys; s=json.load(sys.stdin); sys.exit(0 if s["own_unacknowledged"]==0 else 1)' \
    || fail "$d still has changes only on the device"
done

step "The relay's files hold no plaintext"
stop_relay
ls -l "$WORK/relay"
for marker in MARKER-PHONE1 MARKER-PHONE2 "Fresh Foods" "phase-in" "one cent"; do
  if grep -rqa -- "$marker" "$WORK/relay"; then fail "'$marker' found in the relay's files"; fi
done
echo "no marker string in the relay's files"
echo
echo "demo-sync: OK"
