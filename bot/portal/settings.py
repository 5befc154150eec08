"""The portal's own settings, taken from the gateway's at composition."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PortalSettings:
    public_origin: str  # forms must be posted from a page of this origin (or the request's own)
    public_url: str  # invitation links point here
    secure_cookies: bool  # the session cookie only over HTTPS
    session_hours: float = 12.0  # a sign-in lasts this long, not extended by use
    invite_days: float = 7.0  # an invitation link works this long, once
