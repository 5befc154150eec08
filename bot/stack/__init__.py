"""Starts and supervises the processes of the whole system (Rasa, actions, gateway).

Used by `python -m bot run` (what `make run` starts) and by the end-to-end tests,
so both bring the system up the same way.
"""
