"""Use cases of the gateway: each owns its transactions (`async with sessionmaker.begin()`)."""
