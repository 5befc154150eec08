"""Code that runs inside the Rasa server process (engine environment, Python 3.10).

`python -m bot.engine run ...` is `rasa run ...` with `speedups.apply()` and
`action_guard.install()` first (profiled speed-ups; retries while the action server restarts and
a clear message when it stays down); `bot/stack` starts Rasa this way.
"""
