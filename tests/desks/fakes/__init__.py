"""Local fake vendor desks: aiohttp servers on 127.0.0.1 port 0 speaking documented APIs."""
