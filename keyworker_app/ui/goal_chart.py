"""Goal Based Outcomes scores over time, one line per goal, painted with the palette's colours."""

from __future__ import annotations

import itertools
from datetime import date

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

# Distinguishable in light and dark themes and for the common colour-vision deficiencies.
SERIES_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00"]


class GoalChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._series: list[tuple[str, list[tuple[date, int]]]] = []
        self.setMinimumHeight(220)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Goal scores over time")

    def sizeHint(self) -> QSize:
        return QSize(600, 280)

    def set_series(self, series: list[tuple[str, list[tuple[date, int]]]]) -> None:
        self._series = [(label, points) for label, points in series if points]
        self.setAccessibleDescription(
            "; ".join(
                f"{label}: " + ", ".join(str(s) for _, s in pts) for label, pts in self._series
            )
        )
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.WindowText)
        grid = QColor(text)
        grid.setAlpha(40)
        metrics = QFontMetrics(self.font())
        left, right, top = metrics.horizontalAdvance("10") + 14, 16, 12
        bottom = metrics.height() * 2 + 10
        plot = QRectF(
            left, top, max(10, self.width() - left - right), max(10, self.height() - top - bottom)
        )
        painter.setPen(QPen(grid, 1))
        for score in range(0, 11, 2):
            y = plot.bottom() - plot.height() * score / 10
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(text)
            painter.drawText(
                QRectF(0, y - 8, left - 6, 16),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                str(score),
            )
            painter.setPen(QPen(grid, 1))
        if not self._series:
            painter.setPen(text)
            painter.drawText(plot, Qt.AlignmentFlag.AlignCenter, "No goal scores yet")
            return
        days = [d for _, points in self._series for d, _ in points]
        first, last = min(days), max(days)
        span = max((last - first).days, 1)

        def x_of(day: date) -> float:
            return plot.left() + plot.width() * (day - first).days / span

        painter.setPen(text)
        painter.drawText(
            QRectF(plot.left(), plot.bottom() + 4, 120, metrics.height()),
            Qt.AlignmentFlag.AlignLeft,
            first.strftime("%b %Y"),
        )
        painter.drawText(
            QRectF(plot.right() - 120, plot.bottom() + 4, 120, metrics.height()),
            Qt.AlignmentFlag.AlignRight,
            last.strftime("%b %Y"),
        )
        legend_x = plot.left()
        legend_y = plot.bottom() + 6 + metrics.height()
        for n, (label, points) in enumerate(self._series):
            colour = QColor(SERIES_COLOURS[n % len(SERIES_COLOURS)])
            painter.setPen(QPen(colour, 2.5))
            coords = [QPointF(x_of(d), plot.bottom() - plot.height() * s / 10) for d, s in points]
            for a, b in itertools.pairwise(coords):
                painter.drawLine(a, b)
            painter.setBrush(colour)
            for point in coords:
                painter.drawEllipse(point, 3.5, 3.5)
            short = metrics.elidedText(label, Qt.TextElideMode.ElideRight, 220)
            painter.fillRect(QRectF(legend_x, legend_y + 4, 10, 10), colour)
            painter.setPen(text)
            painter.drawText(QPointF(legend_x + 14, legend_y + metrics.ascent()), short)
            legend_x += metrics.horizontalAdvance(short) + 34
        painter.end()
