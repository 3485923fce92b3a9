"""Draws Keyworker's icon (a house with a young person in it, on the app's blue) into
resources/icons/keyworker.png. Run once when the design changes; the PNG is committed, and the
app, the PyInstaller spec (which converts it for Windows and macOS) and the desktop entry use it.

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/make_icon.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter, QPainterPath, QPen

SIZE = 512
OUT = Path(__file__).resolve().parents[1] / "resources" / "icons" / "keyworker.png"


def draw() -> QImage:
    image = QImage(SIZE, SIZE, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor("#2b6cb0"))
    p.drawRoundedRect(QRectF(16, 16, SIZE - 32, SIZE - 32), 96, 96)
    # The house: a roof and walls in one white outline.
    house = QPainterPath()
    house.moveTo(QPointF(256, 92))
    house.lineTo(QPointF(420, 232))
    house.lineTo(QPointF(384, 232))
    house.lineTo(QPointF(384, 420))
    house.lineTo(QPointF(128, 420))
    house.lineTo(QPointF(128, 232))
    house.lineTo(QPointF(92, 232))
    house.closeSubpath()
    p.setPen(QPen(QColor("white"), 28, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                  Qt.PenJoinStyle.RoundJoin))  # fmt: skip
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawPath(house)
    # The young person inside: a head and shoulders, in warm amber.
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor("#f6ad55"))
    p.drawEllipse(QPointF(256, 262), 42, 42)
    shoulders = QPainterPath()
    shoulders.moveTo(QPointF(176, 406))
    shoulders.cubicTo(QPointF(176, 330), QPointF(336, 330), QPointF(336, 406))
    shoulders.closeSubpath()
    p.drawPath(shoulders)
    p.end()
    return image


if __name__ == "__main__":
    app = QGuiApplication(sys.argv[:1])
    OUT.parent.mkdir(parents=True, exist_ok=True)
    if not draw().save(str(OUT), "PNG"):
        raise SystemExit(f"Could not write {OUT}")
    print(OUT)
