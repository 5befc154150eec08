"""HTTP and WebSocket handlers: the protocol's edge, thin over the use cases in bot.gateway.chat."""
