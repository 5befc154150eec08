"""Structured entity extraction with spaCy (blank English pipeline, no downloaded model).

Kept free of imports on purpose: Rasa imports `bot.nlu.rasa_extractor` inside the engine
environment, and the redactor imports the finders in the app environment; neither should pay
for the other's dependencies.
"""
