"""Personal data we hold: retention sweeps, data-subject export and erasure, the audit log.

Rasa's tracker store lives in SQL too (bot/engine/tracker_store.py writes it redacted);
bot/privacy/tracker.py reaches its `events` table so that what we delete is deleted there too.
"""
