"""A firm admin invites colleagues: a single-use, expiring link; the invitee sets a password."""

from __future__ import annotations

import re

from sqlalchemy import select, update

from bot.db.audit import ADMIN_CHANGE
from bot.db.models import AuditEntry, PortalInvite, PortalUser

from .conftest import NORDLYS_ADMIN
from .support import HTML, csrf_of

LINK = re.compile(r'value="(http://[^"]+/portal/invite/[^"]+)"')
NEW_PASSWORD = "a long enough passphrase"


async def _invite(admin, email: str, role: str = "viewer") -> str:
    response = await admin.post("/portal/t/nordlys/users/invite", {"email": email, "role": role})
    assert response.status == 201, await response.text()
    match = LINK.search(await response.text())
    assert match, "the page shows the invitation link"
    return match.group(1).split("/portal/", 1)[1]


async def _accept(visitor, path: str, name: str = "Nina", password: str = NEW_PASSWORD):
    return await visitor.http.post(
        visitor.url(f"/portal/{path}"), data={"name": name, "password": password},
        headers=HTML, allow_redirects=False,
    )


async def test_invited_viewer_sets_a_password_and_lands_on_the_firms_dashboard(firm_admin, browser, portal_db):
    path = await _invite(firm_admin, "nina@nordlys.example", "viewer")
    invitee = browser()
    page = await invitee.get(f"/portal/{path}")
    assert page.status == 200
    text = await page.text()
    assert "Nordlys Energi" in text and "nina@nordlys.example" in text
    assert page.headers["Referrer-Policy"] == "no-referrer"

    accepted = await _accept(invitee, path)
    assert accepted.status == 303
    dashboard = await invitee.get("/portal/")
    assert str(dashboard.url).endswith("/portal/t/nordlys/")
    assert "viewer" in await dashboard.text()

    signed_in_again = await browser().sign_in("nina@nordlys.example", NEW_PASSWORD)
    assert signed_in_again.status == 303
    async with portal_db.sessionmaker() as session:
        nina = await session.scalar(select(PortalUser).where(PortalUser.email == "nina@nordlys.example"))
        changes = [e.details["change"] for e in await session.scalars(
            select(AuditEntry).where(AuditEntry.action == ADMIN_CHANGE, AuditEntry.tenant_id == nina.tenant_id)
        )]
    assert nina.role == "viewer" and nina.password_hash.startswith("$argon2id$")
    assert {"portal_user.invited", "portal_user.invite_accepted"} <= set(changes)


async def test_an_invitation_works_once(firm_admin, browser):
    path = await _invite(firm_admin, "once@nordlys.example")
    assert (await _accept(browser(), path)).status == 303
    second = await _accept(browser(), path, name="Mallory")
    assert second.status == 410
    assert (await browser().get(f"/portal/{path}")).status == 410


async def test_an_expired_invitation_is_refused(firm_admin, browser, portal_db):
    path = await _invite(firm_admin, "late@nordlys.example")
    async with portal_db.sessionmaker.begin() as session:
        await session.execute(update(PortalInvite).values(expires_at=PortalInvite.created_at))
    assert (await browser().get(f"/portal/{path}")).status == 410
    assert (await _accept(browser(), path)).status == 410


async def test_an_unknown_token_is_refused(browser):
    assert (await browser().get("/portal/invite/not-a-real-token")).status == 410


async def test_a_weak_password_is_explained_and_the_invitation_stays_usable(firm_admin, browser):
    path = await _invite(firm_admin, "weak@nordlys.example")
    invitee = browser()
    weak = await _accept(invitee, path, password="short")
    assert weak.status == 400
    assert "at least 12 characters" in await weak.text()
    assert (await _accept(invitee, path)).status == 303


async def test_the_invitation_gives_the_invited_role_and_tenant(firm_admin, browser):
    path = await _invite(firm_admin, "second.admin@nordlys.example", "admin")
    invitee = browser()
    await _accept(invitee, path)
    users_page = await invitee.get("/portal/t/nordlys/users")
    assert users_page.status == 200
    assert (await invitee.get("/portal/t/fjordnett/", html=False)).status == 404


async def test_inviting_an_email_that_already_has_an_account_is_refused(firm_admin):
    for taken in (NORDLYS_ADMIN, "kari@bpo.example"):
        response = await firm_admin.post("/portal/t/nordlys/users/invite", {"email": taken, "role": "viewer"})
        assert response.status == 400
        assert "already has an account" in await response.text()


async def test_a_bad_role_or_email_is_refused(firm_admin):
    bad_role = await firm_admin.post("/portal/t/nordlys/users/invite", {"email": "x@nordlys.example", "role": "owner"})
    bad_email = await firm_admin.post("/portal/t/nordlys/users/invite", {"email": "not-an-email", "role": "viewer"})
    assert bad_role.status == bad_email.status == 400


async def test_viewer_cannot_invite(firm_viewer, portal_db):
    response = await firm_viewer.post("/portal/t/nordlys/users/invite", {"email": "v@nordlys.example", "role": "admin"})
    assert response.status == 403
    async with portal_db.sessionmaker() as session:
        assert (await session.scalars(select(PortalInvite))).first() is None


async def test_supervisor_invites_into_any_firm(supervisor, browser):
    response = await supervisor.post("/portal/t/lighthouse/users/invite", {"email": "new@lighthouse.example", "role": "admin"})
    assert response.status == 201
    path = LINK.search(await response.text()).group(1).split("/portal/", 1)[1]
    invitee = browser()
    await _accept(invitee, path)
    landing = await invitee.get("/portal/")
    assert str(landing.url).endswith("/portal/t/lighthouse/")
    assert csrf_of(await landing.text())
