"""End-to-end tests use the `assistant` and `full_stack` fixtures of tests/conftest.py."""
