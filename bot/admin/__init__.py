"""Administration of tenants, agents, secrets, canned responses and FAQ answers.

use_cases: each command in its own transaction (shared by the CLI and the
console's admin REST API); cli: the `python -m bot ...` administration commands.
"""
