"""The review pack's sections, one module per family: the summary, history (chronology,
missing episodes, placements), contacts with their addenda, forms laid out from their templates
(formulation, deep dives, safety plan) and plans (goals, actions). ``reports/pack_sections.py``
lists them in the order they print."""
