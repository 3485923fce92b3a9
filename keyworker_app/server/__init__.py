"""The central store: FastAPI app, accounts, access control."""
