"""Conversation review: a client firm browses and searches its (redacted) transcripts and
marks customer messages the assistant should have understood; `python -m bot
export-annotations` turns the marks into Rasa NLU data for the model maintainers.

Modules: catalog (the intents a reviewer may choose), filters (a search from a query
string), search (the conversation list), transcript (one conversation with its marks),
annotations (marking), export (NLU YAML), cli (the export command).
"""
