"""The charts packs and reports draw: goal scores over time (lines) and counts by category
(horizontal bars), the width of the page, in the bundled fonts."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.lib.units import mm

from keyworker_app.reports.pdf_document import ACCENT, CONTENT_WIDTH, INK, MUTED, RULE
from keyworker_app.reports.pdf_text import BASE_FONT, BOLD_FONT

SERIES = [
    ACCENT,
    colors.HexColor("#2f855a"),
    colors.HexColor("#c05621"),
    colors.HexColor("#6b46c1"),
]
# Charts are drawn in points from their bottom left corner: the room their labels take.
PLOT_LEFT = 28  # points left of a line chart's plot, for the scores
PLOT_BELOW = 30  # points below it, for the dates
PLOT_RIGHT = 12  # points right of it
PLOT_ABOVE = 20  # points above it, for the legend
TOP_LINE = 6  # points down from a line chart's top: the legend and the y-axis title
LEGEND_STEP = 150  # points from one legend entry to the next
BAR_PITCH = 14  # points per bar
BAR_LABELS = 200  # points left of the bars, for their names
BAR_VALUES = 40  # points right of the longest bar, for its value
BAR_AXIS = 14  # points below the bars, for the value axis
BAR_ABOVE = 16  # points above the bars


def line_chart(
    series: Sequence[tuple[str, Sequence[tuple[float, float]]]],
    *,
    y_max: float,
    x_labels: Callable[[float], str],
    height: float = 60 * mm,
    y_title: str = "",
) -> Drawing:
    """Lines over time (x as ordinal days); a legend names each line."""
    drawing = Drawing(CONTENT_WIDTH, height)
    plot = LinePlot()
    plot.x, plot.y = PLOT_LEFT, PLOT_BELOW
    plot.width = CONTENT_WIDTH - (PLOT_LEFT + PLOT_RIGHT)
    plot.height = height - (PLOT_BELOW + PLOT_ABOVE)
    plot.data = [list(points) for _, points in series]
    xs = [x for _, points in series for x, _ in points]
    lo, hi = (min(xs), max(xs)) if xs else (0, 1)
    if hi == lo:
        lo, hi = lo - 15, hi + 15
    plot.xValueAxis.valueMin, plot.xValueAxis.valueMax = lo, hi
    plot.xValueAxis.valueSteps = [lo + (hi - lo) * i / 4 for i in range(5)]
    plot.xValueAxis.labelTextFormat = x_labels
    plot.xValueAxis.labels.fontName = BASE_FONT
    plot.xValueAxis.labels.fontSize = 7
    plot.yValueAxis.valueMin, plot.yValueAxis.valueMax = 0, y_max
    plot.yValueAxis.valueStep = 2 if y_max <= 10 else None
    plot.yValueAxis.labels.fontName = BASE_FONT
    plot.yValueAxis.labels.fontSize = 7
    plot.yValueAxis.visibleGrid = True
    plot.yValueAxis.gridStrokeColor = RULE
    for index in range(len(series)):
        line = plot.lines[index]
        line.strokeColor = SERIES[index % len(SERIES)]
        line.strokeWidth = 1.5  # points
        line.symbol = makeMarker("FilledCircle", size=4)  # points across
        line.symbol.fillColor = SERIES[index % len(SERIES)]
    drawing.add(plot)
    legend = Legend()
    legend.x, legend.y = PLOT_LEFT, height - TOP_LINE
    legend.fontName, legend.fontSize = BASE_FONT, 7
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.deltax = LEGEND_STEP
    legend.colorNamePairs = [
        (SERIES[i % len(SERIES)], _short(name, 40)) for i, (name, _) in enumerate(series)
    ]
    drawing.add(legend)
    if y_title:
        drawing.add(
            String(0, height - TOP_LINE, y_title, fontName=BASE_FONT, fontSize=7, fillColor=MUTED)
        )
    return drawing


def bar_chart(labels: Sequence[str], values: Sequence[float], *, title: str = "") -> Drawing:
    """Horizontal bars, one per label, values printed at the end of each bar."""
    # A little over the bars themselves, so the last bar clears the top.
    plot_height = BAR_PITCH * max(1, len(labels)) + 4
    height = BAR_AXIS + plot_height + BAR_ABOVE
    drawing = Drawing(CONTENT_WIDTH, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = BAR_LABELS, BAR_AXIS
    chart.width, chart.height = CONTENT_WIDTH - (BAR_LABELS + BAR_VALUES), plot_height
    chart.data = [list(values) or [0]]
    chart.categoryAxis.categoryNames = [_short(label, 48) for label in labels] or [""]
    chart.categoryAxis.labels.fontName = BASE_FONT
    chart.categoryAxis.labels.fontSize = 7.5
    chart.categoryAxis.reverseDirection = True
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = max([*values, 1]) * 1.15
    chart.valueAxis.labels.fontName = BASE_FONT
    chart.valueAxis.labels.fontSize = 7
    chart.bars[0].fillColor = ACCENT
    chart.bars[0].strokeColor = None
    chart.barLabelFormat = "%g"
    chart.barLabels.fontName = BASE_FONT
    chart.barLabels.fontSize = 7
    chart.barLabels.nudge = 8  # points between a bar's end and its value
    drawing.add(chart)
    if title:  # its baseline 10 points below the top, in the room above the bars
        drawing.add(String(0, height - 10, title, fontName=BOLD_FONT, fontSize=8.5, fillColor=INK))
    return drawing


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
