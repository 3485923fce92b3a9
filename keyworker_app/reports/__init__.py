"""Review packs, supervision packs and service reports (ReportLab)."""
