"""Soak benchmark (`make bench-soak`): many customers and a few agents for a long while.

What it reports: errors customers and agents met, messages lost or duplicated (each
customer counts its acks; the database is checked against them at the end) and the memory
of each process at start and end. Loopback only, bounded in time (see options.py).
"""
