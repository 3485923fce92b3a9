"""The client side of sync and the merge rules shared with the central store."""
