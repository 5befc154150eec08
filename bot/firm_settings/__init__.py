"""A client firm's self-service settings (issue 13): FAQ answers, branding, allowed origins,
business hours and closures, the embed snippet, identity-secret rotation, and the change record.

Modules:
  errors      InvalidSettings: what is wrong, per form field
  validation  pure checks of what a firm may enter (colour contrast, https URLs, origins, hours)
  store       data functions (take a session, never commit)
  changes     the change record: audit entries of settings changes, before/after
  use_cases   one function per change; each owns its transaction and records the change in it

The portal pages (bot/portal/settings_*.py) call only use_cases.
"""
