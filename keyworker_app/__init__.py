"""Keyworker: an offline-first, encrypted caseload for edge-of-care outreach teams."""

__version__ = "0.1.0"
