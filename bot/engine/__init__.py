"""Code that runs inside the Rasa server process (engine environment, Python 3.10).

`python -m bot.engine run ...` is `rasa run ...` with `speedups.apply()` first; `bot/stack`
starts Rasa this way.
"""
