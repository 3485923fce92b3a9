#!/usr/bin/env bash
# Renders the README's screenshots with `keyworker --screenshot` from the current code, on a
# throwaway synthetic demo caseload. Run from the project root: `make screenshots`.
set -euo pipefail
KW=${KW:-.venv/bin/keyworker}
OUT=docs/screenshots
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export XDG_DATA_HOME=$WORK/xdg-data XDG_CONFIG_HOME=$WORK/xdg-config XDG_STATE_HOME=$WORK/xdg-state
export PYTHON_KEYRING_BACKEND=keyrings.alt.file.PlaintextKeyring KEYWORKER_ALLOW_INSECURE_KEYRING=1
export KEYWORKER_PASSPHRASE="screenshots of synthetic data" QT_QPA_PLATFORM=offscreen
D=$WORK/caseload
"$KW" --data-dir "$D" init --user meera.nowak >/dev/null 2>&1
"$KW" --data-dir "$D" demo --young-people 80 --seed 11 --years 2 >/dev/null 2>&1
REF=$("$KW" --data-dir "$D" caseload --json 2>/dev/null | .venv/bin/python -c '
import json, sys
rows = json.load(sys.stdin)["young_people"]
mine = [r for r in rows if r["keyworker_user_name"] == "meera.nowak" and r["status"] == "open"]
print(max(mine, key=lambda r: r["open_actions"])["reference"])')
mkdir -p "$OUT"
"$KW" --data-dir "$D" --screenshot "$OUT/caseload.png" 2>/dev/null
for view in contacts chronology goals placements actions forms; do
  "$KW" --data-dir "$D" --open "$REF" --view "$view" --screenshot "$OUT/record-$view.png" 2>/dev/null
done
unset KEYWORKER_PASSPHRASE
"$KW" --data-dir "$D" --screenshot "$OUT/unlock.png" 2>/dev/null
echo "screenshots written to $OUT (young person $REF)"
