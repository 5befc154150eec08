"""BANKING77 benchmark of the assistant's NLU pipeline (engine environment): `make bench-nlu`."""
