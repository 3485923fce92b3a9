"""Our placement types as the DfE's SSDA903 (children looked after) return codes them.

SSDA903 codes the *kind* of placement (PLACE) separately from *who provides it*
(PLACE_PROVIDER), so in-house and agency placements of one kind share a code here; the provider
codes are listed for the same reason. Several of our types are broader than one SSDA903 code;
those are in ``APPROXIMATE`` and docs/ssda903.md says what to check. The code lists change
between collection years: check the year's guidance before a return is built from these.
"""

from __future__ import annotations

from keyworker_app.domain.vocabulary import PlacementType

SSDA903_CODES: dict[PlacementType, str] = {
    PlacementType.WITH_PARENTS: "P1",
    PlacementType.KINSHIP: "U3",
    PlacementType.IN_HOUSE_FOSTERING: "U6",
    PlacementType.IFA: "U6",
    PlacementType.IN_HOUSE_RESIDENTIAL: "K2",
    PlacementType.EXTERNAL_RESIDENTIAL: "K2",
    PlacementType.SUPPORTED_ACCOMMODATION: "H5",
    PlacementType.ASSESSMENT_BED: "K2",
    PlacementType.SECURE: "K1",
    PlacementType.OTHER: "Z1",
}

# Where one of our types covers placements SSDA903 would code differently.
APPROXIMATE: frozenset[PlacementType] = frozenset(
    {
        PlacementType.WITH_PARENTS,
        PlacementType.KINSHIP,
        PlacementType.IN_HOUSE_FOSTERING,
        PlacementType.IFA,
        PlacementType.EXTERNAL_RESIDENTIAL,
        PlacementType.SUPPORTED_ACCOMMODATION,
        PlacementType.ASSESSMENT_BED,
        PlacementType.SECURE,
    }
)

SSDA903_DESCRIPTIONS: dict[str, str] = {
    "K1": "Secure children's home",
    "K2": "Children's home subject to the Children's Homes Regulations",
    "H5": "Semi-independent living accommodation not subject to the Children's Homes Regulations",
    "P1": "Placed with own parent(s) or other person(s) with parental responsibility",
    "U3": "Foster placement with relative(s) or friend(s): not long-term or FFA/concurrent",
    "U6": "Foster placement with other foster carer(s): not long-term or FFA/concurrent",
    "Z1": "Other placement",
}


def ssda903_code(placement_type: PlacementType | str) -> str | None:
    """The SSDA903 placement code for one of our types; None for a code this version does not
    know (written by a newer version and synced down)."""
    try:
        return SSDA903_CODES[PlacementType(placement_type)]
    except ValueError:
        return None
