"""The customer's chat inside the gateway: opening a conversation, the transcript, the
"customer wrote" use case, delivery to Rasa, the live-handoff door, idle ends and turn locks.

Each use case owns its transactions (`async with sessionmaker.begin()`).
"""
