"""Colour and shape per node label, the same table as STYLE in static/graphview.js
(a test keeps the two equal). Used where Python writes colours (GEXF for Gephi)."""

from __future__ import annotations

STYLE: dict[str, tuple[str, str]] = {
    "Patent": ("#4e79a7", "dot"),
    "Enterprise": ("#f28e2b", "square"),
    "Institute": ("#59a14f", "triangle"),
    "Park": ("#b07aa1", "hexagon"),
    "Industry": ("#edc948", "diamond"),
    "IPC": ("#9c755f", "triangleDown"),
    "TechField": ("#bab0ac", "triangleDown"),
    "TechCluster": ("#76b7b2", "diamond"),
    "Award": ("#e15759", "star"),
    "Inventor": ("#86bcb6", "dot"),
    "FinancialInstitution": ("#d37295", "square"),
    "FinancingProduct": ("#fabfd2", "diamond"),
    "Pledge": ("#ff9da7", "dot"),
    "Licence": ("#8cd17d", "dot"),
    "OpenLicenceOffer": ("#b6992d", "dot"),
    "Transfer": ("#499894", "dot"),
    "InsurancePolicy": ("#f1ce63", "dot"),
    "Trademark": ("#a0cbe8", "dot"),
    "Copyright": ("#ffbe7d", "dot"),
    "Product": ("#d4a6c8", "hexagon"),
    "TechContract": ("#79706e", "dot"),
    "Event": ("#ff7f0e", "star"),
    "ServiceAgency": ("#17becf", "square"),
    "Division": ("#c7c7c7", "hexagon"),
}
DEFAULT = ("#999999", "dot")


def rgb_of(label: str) -> tuple[int, int, int]:
    """The label's colour as (r, g, b) 0-255."""
    hex_colour = STYLE.get(label, DEFAULT)[0]
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]
