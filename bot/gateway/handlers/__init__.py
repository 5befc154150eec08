"""HTTP and WebSocket handlers: the protocol's edge, thin over the services."""
