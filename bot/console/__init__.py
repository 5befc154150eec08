"""The agent console at /agent: login, the console page, its REST API and its WebSocket.

A sub-application of its own (bot.console.app.create_console_app, mounted by the
gateway with add_subapp, keys in bot.console.keys); every move of the live
handoff goes through one door (bot.console.door.HandoffDoor), and the live parts
(queue, chat, presence) run through bot.console.hub.AgentHub.
"""
