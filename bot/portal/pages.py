"""Rendering portal pages in the shell (templates/shell.html): server-side Jinja2, autoescaped.

    return render_page(request, "dashboard.html", access=access, title="Dashboard",
                       nav_key="dashboard", numbers=numbers)

Templates extend "shell.html" and fill `{% block content %}`. No inline script or style
(the CSP forbids both): styles in static/portal.css, scripts as static files, added with
`{% block scripts %}<script src="/portal/static/x.js" defer></script>{% endblock %}`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from bot.portal.access import PortalAccess
from bot.portal.keys import TEMPLATES
from bot.portal.login import Principal
from bot.portal.nav import nav_for
from bot.portal.session_auth import CSRF_FIELD

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


def template_environment() -> jinja2.Environment:
    """Built by the app factory (templates are read on first use, not at import)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_page(
    request: web.Request,
    template: str,
    *,
    access: PortalAccess | None,
    title: str,
    nav_key: str = "",
    status: int = 200,
    principal: Principal | None = None,
    **context: Any,
) -> web.Response:
    """A whole HTML page: the shell (header, tenant name, nav, sign-out) around `template`."""
    csrf = access.csrf_token if access else (principal.csrf_token if principal else "")
    html = request.app[TEMPLATES].get_template(template).render(
        access=access,
        principal=principal,
        title=title,
        nav=nav_for(access) if access else [],
        nav_key=nav_key,
        csrf_token=csrf,
        csrf_field=CSRF_FIELD,
        **context,
    )
    response = web.Response(text=html, status=status, content_type="text/html")
    response.headers["Cache-Control"] = "no-store"  # pages carry the CSRF token and firm data
    return response
