"""A firm admin (or a BPO supervisor) changes colleagues' roles and removes people who left:
the change applies at once, is in the Changes log, and a firm never loses its last admin."""

from __future__ import annotations

from sqlalchemy import select

from bot.db.models import AuditEntry, PortalSession, PortalUser

from .conftest import NORDLYS_ADMIN, NORDLYS_VIEWER


async def _user_id(portal_db, email: str) -> int:
    async with portal_db.sessionmaker() as session:
        return await session.scalar(select(PortalUser.id).where(PortalUser.email == email))


async def _role(portal_db, email: str) -> str | None:
    async with portal_db.sessionmaker() as session:
        return await session.scalar(select(PortalUser.role).where(PortalUser.email == email))


async def test_an_admin_makes_a_viewer_admin_and_the_viewer_may_write_at_once(firm_admin, firm_viewer, portal_db):
    viewer = await _user_id(portal_db, NORDLYS_VIEWER)
    assert (await firm_viewer.get("/portal/t/nordlys/users")).status == 403

    response = await firm_admin.post(f"/portal/t/nordlys/users/{viewer}/role", {"role": "admin"})

    assert response.status == 200
    assert "is now admin" in await response.text()
    assert await _role(portal_db, NORDLYS_VIEWER) == "admin"
    assert (await firm_viewer.get("/portal/t/nordlys/users")).status == 200  # same session, new role


async def test_a_removed_user_is_signed_out_at_once_and_cannot_sign_in_again(
    firm_admin, firm_viewer, browser, portal_db
):
    viewer = await _user_id(portal_db, NORDLYS_VIEWER)

    response = await firm_admin.post(f"/portal/t/nordlys/users/{viewer}/remove", {})

    assert response.status == 200
    page = await response.text()
    assert "was removed and signed out" in page
    assert NORDLYS_VIEWER not in page.split("was removed")[1]  # no longer in the list
    assert (await firm_viewer.get("/portal/t/nordlys/", html=False)).status == 401
    assert (await browser().sign_in(NORDLYS_VIEWER, "demo-portal-password")).status == 401
    async with portal_db.sessionmaker() as session:
        assert await session.scalar(select(PortalSession.id).where(PortalSession.user_id == viewer)) is None


async def test_role_changes_and_removals_are_in_the_changes_log_without_the_email(firm_admin, portal_db):
    viewer = await _user_id(portal_db, NORDLYS_VIEWER)
    await firm_admin.post(f"/portal/t/nordlys/users/{viewer}/role", {"role": "admin"})
    await firm_admin.post(f"/portal/t/nordlys/users/{viewer}/remove", {})

    async with portal_db.sessionmaker() as session:
        events = (await session.scalars(
            select(AuditEntry).where(AuditEntry.target_kind == "portal_user", AuditEntry.target_id == str(viewer))
            .order_by(AuditEntry.id)
        )).all()
    assert [event.details["change"] for event in events] == ["portal_user.role_changed", "portal_user.removed"]
    assert events[0].details["before"] == "viewer" and events[0].details["role"] == "admin"
    assert all(NORDLYS_VIEWER not in str(event.details) for event in events)


async def test_an_admin_cannot_remove_or_demote_themselves(firm_admin, portal_db):
    me = await _user_id(portal_db, NORDLYS_ADMIN)

    for action, form in (("remove", {}), ("role", {"role": "viewer"})):
        response = await firm_admin.post(f"/portal/t/nordlys/users/{me}/{action}", form)
        assert response.status == 400
        assert "ask another admin" in await response.text()
    assert await _role(portal_db, NORDLYS_ADMIN) == "admin"


async def test_the_last_admin_of_a_firm_cannot_be_demoted_or_removed_even_by_a_supervisor(supervisor, portal_db):
    admin = await _user_id(portal_db, NORDLYS_ADMIN)

    for action, form in (("role", {"role": "viewer"}), ("remove", {})):
        response = await supervisor.post(f"/portal/t/nordlys/users/{admin}/{action}", form)
        assert response.status == 400
        assert "only admin" in await response.text()
    assert await _role(portal_db, NORDLYS_ADMIN) == "admin"


async def test_with_two_admins_one_may_be_demoted(firm_admin, supervisor, portal_db):
    viewer = await _user_id(portal_db, NORDLYS_VIEWER)
    admin = await _user_id(portal_db, NORDLYS_ADMIN)
    await firm_admin.post(f"/portal/t/nordlys/users/{viewer}/role", {"role": "admin"})

    response = await supervisor.post(f"/portal/t/nordlys/users/{admin}/role", {"role": "viewer"})

    assert response.status == 200
    assert await _role(portal_db, NORDLYS_ADMIN) == "viewer"


async def test_a_user_of_another_firm_cannot_be_changed_through_ones_own_portal(firm_admin, portal_db):
    other = await _user_id(portal_db, "viewer@fjordnett.example")

    for action, form in (("role", {"role": "admin"}), ("remove", {})):
        response = await firm_admin.post(f"/portal/t/nordlys/users/{other}/{action}", form, html=False)
        assert response.status == 404
    assert await _role(portal_db, "viewer@fjordnett.example") == "viewer"


async def test_a_bad_role_or_user_id_is_a_clear_error(firm_admin, portal_db):
    viewer = await _user_id(portal_db, NORDLYS_VIEWER)

    response = await firm_admin.post(f"/portal/t/nordlys/users/{viewer}/role", {"role": "owner"})
    assert response.status == 400
    assert "Role: must be one of" in await response.text()
    assert (await firm_admin.post("/portal/t/nordlys/users/abc/remove", {}, html=False)).status == 404
    assert await _role(portal_db, NORDLYS_VIEWER) == "viewer"
