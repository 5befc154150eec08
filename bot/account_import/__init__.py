"""Loading a tenant's customer accounts from a CSV file (`python -m bot import-accounts`)."""
