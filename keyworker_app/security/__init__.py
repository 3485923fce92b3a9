"""Keys, secrets and the audit chain: what keeps the caseload unreadable to a finder."""


class SecurityError(Exception):
    """A problem unlocking or protecting the store, worded for the user."""
