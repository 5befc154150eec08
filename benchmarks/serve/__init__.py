"""Serving benchmark (issue 6, "Serving"): `make bench-serve`, or `python -m benchmarks.serve`.

Simulated customers chat over the widget's WebSocket through the whole stack (gateway ->
Rasa -> action server -> database), and the same conversations go straight to Rasa's
REST channel in the same run; then handoff latency, idle-connection capacity, and (with
--cold-start, on its own) the time from a fresh clone to the first answer.

Modules: options (command line), stack (starts the system through bot/stack),
conversations (what customers say), customers (one customer per path; the turn
definition), load (closed-loop load and its summary), handoff, capacity, cold_start,
profile (py-spy), machine (/proc readings, versions), stats, report, bench (one run).
"""
