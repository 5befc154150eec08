"""Outbound webhooks: signed event deliveries to a tenant's endpoints (docs/webhooks.md).

Use cases record events with bot.db.webhooks.record_event inside their transaction;
bot.webhooks.worker.DeliveryWorker sends them; bot.webhooks.context runs one worker
per gateway process; bot.webhooks.cli is `python -m bot webhooks ...`.
"""
