"""Human handoff: who owns a chat (bot, queue, agent), routing, agent auth, the use cases.

Modules (import them directly; this package imports nothing, to stay cycle-free):
  ownership       the state machine (pure)
  business_hours  tenants' opening hours in their time zone (pure)
  routing         eligibility, auto-assignment order, wait estimates
  auth            passwords (argon2), session tokens, CSRF (pure)
  login           AgentLogin: login / authenticate / logout
  use_cases       HandoffService: start_handoff, claim, transfer, resolve, rate, ...
  workspace       AgentWorkspace: queue, transcript, agent messages, notes, canned responses
  demo_agents     seed_demo_agents(session) for the demo firms
"""
