"""The agent console at /agent: login, the console page, its REST API and its WebSocket.

Routes are added to the gateway app by bot.console.routes.add_console_routes;
the live parts (queue, chat, presence) run through bot.console.hub.AgentHub.
"""
