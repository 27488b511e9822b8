"""Uptime Kuma adapter: Socket.IO client (`client`), payload mapping (`payloads`), webhook parsing
(`webhook`). Import the submodule you need; `client` pulls in python-socketio, the others do not."""
