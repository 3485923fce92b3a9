#!/usr/bin/env bash
# Renders every screenshot the README and the user guide use, from the current code. Run from the
# project root: `make screenshots`.
#   1. `keyworker --screenshot` on a throwaway synthetic demo caseload: the caseload, the unlock
#      page and each view of one young person's record;
#   2. docs/first_run_screens.py: a new keyworker's first run, first visit, the review pack dialog,
#      a sync conflict, a change proposed after a note was finalised and a change the central
#      store did not accept, against a loopback central store;
#   3. docs/guide_screens.py: the screens --screenshot cannot reach (recovery, search, the rest of
#      the contact editor, an addendum, a chronology event, signing in later, a formulation and
#      its comparison, a deep dive in session, team forms, the pack preview, team sync status).
# Nothing here touches the user's own caseload, keyring or settings: everything lives in a
# temporary folder, with a file keyring, and is removed at the end.
set -euo pipefail
KW=${KW:-.venv/bin/keyworker}
PY=${PY:-.venv/bin/python}
OUT=docs/screenshots
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# Every temporary folder (first_run_screens.py's central store and laptops included) goes here.
mkdir -p "$WORK/tmp"
export TMPDIR=$WORK/tmp
export XDG_DATA_HOME=$WORK/xdg-data XDG_CONFIG_HOME=$WORK/xdg-config XDG_STATE_HOME=$WORK/xdg-state
export PYTHON_KEYRING_BACKEND=keyrings.alt.file.PlaintextKeyring KEYWORKER_ALLOW_INSECURE_KEYRING=1
export KEYWORKER_PASSPHRASE="screenshots of synthetic data" QT_QPA_PLATFORM=offscreen
# An organisation settings file on this machine (/etc/xdg/...) must not change the pictures.
export KEYWORKER_SETTINGS=$WORK/keyworker.toml
printf '[organisation]\nname = "Northshire Council"\n' >"$KEYWORKER_SETTINGS"
D=$WORK/caseload
"$KW" --data-dir "$D" init --user meera.nowak >/dev/null 2>&1
"$KW" --data-dir "$D" demo --young-people 80 --seed 2 --years 2 >/dev/null 2>&1
# The young people to show: one of meera.nowak's open cases whose name is in Latin script and
# whose record has the most to show (formulation revisions, a deep dive, missing episodes,
# overdue actions, goals, placements); and, for the missing and placements views, the team's
# young person with the most of those when the first has few.
read -r REF MISSING_REF PLACEMENT_REF < <("$PY" - "$D" <<'PY'
import os, sys
from collections import Counter
from pathlib import Path
from sqlalchemy import select
from keyworker_app.security.device_secret import DeviceSecrets
from keyworker_app.store import lifecycle
from keyworker_app.store.caseload import caseload
from keyworker_app.store.models import FormResponse, Goal, MissingEpisode, Placement
folder = Path(sys.argv[1])
store = lifecycle.unlock_caseload(folder, os.environ["KEYWORKER_PASSPHRASE"], DeviceSecrets.for_store(folder))
def latin(text):
    return all(ord(c) < 0x250 or not c.isalpha() for c in text)
with store.reading() as session:
    forms = {}
    for response in session.scalars(select(FormResponse)):
        forms.setdefault(response.young_person_id, Counter())[response.template_id] += 1
    missing = Counter(session.scalars(select(MissingEpisode.young_person_id)))
    goals = Counter(session.scalars(select(Goal.young_person_id)))
    placements = Counter(session.scalars(select(Placement.young_person_id)))
    rows = [r for r in caseload(session, user_name="meera.nowak") if r.status.value == "open"]
    team = {r.team for r in rows if r.keyworker_user_name == "meera.nowak"}
    shown = [r for r in rows if r.team in team and latin(r.display_name)]
    mine = [r for r in shown if r.keyworker_user_name == "meera.nowak"] or shown
def richness(r):
    f = forms.get(r.young_person_id, Counter())
    return (
        min(f["five_ps_formulation"] + f["trauma_informed_formulation"], 2)
        + min(f["deep_dive_review"], 1)
        + min(missing[r.young_person_id], 1)
        + min(r.overdue_actions, 1)
        + min(goals[r.young_person_id], 2)
        + min(placements[r.young_person_id], 3),  # the README shows the placements view
        r.open_actions,
    )
best = max(mine, key=richness)
most_missing = best if missing[best.young_person_id] >= 2 else max(shown, key=lambda r: missing[r.young_person_id])
most_placed = best if placements[best.young_person_id] >= 2 else max(shown, key=lambda r: placements[r.young_person_id])
print(best.reference, most_missing.reference, most_placed.reference)
store.close()
PY
)
mkdir -p "$OUT"
"$KW" --data-dir "$D" --screenshot "$OUT/caseload.png" 2>/dev/null
for view in contacts chronology goals actions forms; do
  "$KW" --data-dir "$D" --open "$REF" --view "$view" --screenshot "$OUT/record-$view.png" 2>/dev/null
done
"$KW" --data-dir "$D" --open "$MISSING_REF" --view missing --screenshot "$OUT/record-missing.png" 2>/dev/null
"$KW" --data-dir "$D" --open "$PLACEMENT_REF" --view placements --screenshot "$OUT/record-placements.png" 2>/dev/null
# The pictures of the guide's own screens (they change the throwaway caseload, so they come last
# among those that use it); the unlock page needs no passphrase in the environment.
"$PY" docs/guide_screens.py "$OUT" "$D" "$REF" 2>/dev/null
unset KEYWORKER_PASSPHRASE
"$KW" --data-dir "$D" --screenshot "$OUT/unlock.png" 2>/dev/null
"$PY" docs/first_run_screens.py "$OUT" 2>/dev/null
chmod 644 "$OUT"/*.png  # the app writes its PNGs private; these are documentation
echo "screenshots written to $OUT (young people $REF, $MISSING_REF, $PLACEMENT_REF)"
