#!/usr/bin/env bash
# Renders the README's and the user guide's screenshots from the current code: `keyworker
# --screenshot` on a throwaway synthetic demo caseload, then docs/first_run_screens.py, which
# drives a new keyworker's first run, first visit, review pack dialog and a sync conflict against
# a loopback central store. Run from the project root: `make screenshots`.
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
# The open case of meera.nowak with the most practice records (formulation, deep dive) and actions.
REF=$(.venv/bin/python - "$D" <<'PY'
import os, sys
from collections import Counter
from pathlib import Path
from sqlalchemy import select
from keyworker_app.security.device_secret import DeviceSecrets
from keyworker_app.store import lifecycle
from keyworker_app.store.caseload import caseload
from keyworker_app.store.models import FormResponse
folder = Path(sys.argv[1])
store = lifecycle.unlock_caseload(folder, os.environ["KEYWORKER_PASSPHRASE"], DeviceSecrets.for_store(folder))
with store.reading() as session:
    forms = Counter(session.scalars(select(FormResponse.young_person_id)))
    rows = [r for r in caseload(session) if r.keyworker_user_name == "meera.nowak" and r.status.value == "open"]
print(max(rows, key=lambda r: (forms[r.young_person_id], r.open_actions)).reference)
store.close()
PY
)
mkdir -p "$OUT"
"$KW" --data-dir "$D" --screenshot "$OUT/caseload.png" 2>/dev/null
for view in contacts chronology goals placements actions forms; do
  "$KW" --data-dir "$D" --open "$REF" --view "$view" --screenshot "$OUT/record-$view.png" 2>/dev/null
done
unset KEYWORKER_PASSPHRASE
"$KW" --data-dir "$D" --screenshot "$OUT/unlock.png" 2>/dev/null
.venv/bin/python docs/first_run_screens.py "$OUT" 2>/dev/null
echo "screenshots written to $OUT (young person $REF)"
