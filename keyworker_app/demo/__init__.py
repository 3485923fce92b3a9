"""Synthetic demo caseloads: realistic, reproducible and plainly not about real people."""

from keyworker_app.demo.generator import DemoSummary, generate_demo

__all__ = ["DemoSummary", "generate_demo"]
