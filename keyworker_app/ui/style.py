"""The app's style sheet: only layout and accents, colours from the palette, so the system's light
or dark theme and font size still apply."""

STYLE = """
QFrame#card { border-radius: 8px; }
QLabel#error { color: #c42b1c; }
QLabel#empty { color: palette(mid); padding: 24px; }
QLabel#demoBanner {
    background: #fff4ce; color: #5c4400; padding: 6px 12px; font-weight: bold;
    border-bottom: 1px solid #e0c36a;
}
QLabel[objectName^="chip_"] { border-radius: 9px; padding: 2px 8px; font-weight: bold; }
QLabel#chip_alert { background: #c42b1c; color: white; }
QLabel#chip_info { background: #0f6cbd; color: white; }
QLabel#chip_muted { background: palette(mid); color: palette(window); }
QWidget#recordHeader { border-bottom: 1px solid palette(mid); }
QTabBar::tab { padding: 6px 14px; }
QPushButton { padding: 5px 14px; }
QFrame#tour {
    background: palette(base); border: 2px solid #0f6cbd; border-radius: 8px;
}
QFrame#tour QLabel { background: transparent; border: none; }
QLabel#tourStep { color: #0f6cbd; font-weight: bold; }
"""
