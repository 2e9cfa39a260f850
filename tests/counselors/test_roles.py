"""The role and Django's admin access follow each other, wherever the account is saved: the
admin's change form (posted as a real admin would), staff_create, createsuperuser."""

import pytest
from django.core.management import call_command

from counselors.models import Role, User
from tests.counselors.admin_form import post_change
from tests.support.staff import make_staff, signed_in


def _admin_site_opens(user: User) -> bool:
    user.refresh_from_db()
    response = signed_in(user).get("/admin/")
    return response.status_code == 200


@pytest.mark.django_db
def test_making_a_counselor_an_administrator_in_the_admin_opens_the_admin_site() -> None:
    ada = make_staff("ada", role=Role.ADMIN)
    casey = make_staff("casey")
    admin = signed_in(ada)
    assert not _admin_site_opens(casey)

    assert post_change(admin, casey, role=Role.ADMIN).status_code == 302
    casey.refresh_from_db()
    assert (casey.role, casey.is_staff, casey.is_superuser) == (Role.ADMIN, True, True)
    assert _admin_site_opens(casey)
    assert signed_in(casey).get("/admin/counselors/user/").status_code == 200

    # Demoted: the access goes with the role.
    assert post_change(admin, casey, role=Role.SUPERVISOR).status_code == 302
    casey.refresh_from_db()
    assert (casey.role, casey.is_staff, casey.is_superuser) == (Role.SUPERVISOR, False, False)
    assert not _admin_site_opens(casey)
    assert signed_in(casey).get("/").status_code == 200  # still a supervisor on the floor


@pytest.mark.django_db
def test_ticking_superuser_does_not_bypass_the_role() -> None:
    ada = make_staff("ada", role=Role.ADMIN)
    casey = make_staff("casey")
    response = post_change(signed_in(ada), casey, is_staff=True, is_superuser=True)
    assert response.status_code == 302
    casey.refresh_from_db()
    assert (casey.role, casey.is_staff, casey.is_superuser) == (Role.COUNSELOR, False, False)
    assert not _admin_site_opens(casey)


@pytest.mark.django_db
def test_staff_create_gives_admin_access_to_administrators_only() -> None:
    assert _admin_site_opens(make_staff("ada", role=Role.ADMIN))
    assert not _admin_site_opens(make_staff("morgan", role=Role.SUPERVISOR))
    assert not _admin_site_opens(make_staff("casey", role=Role.COUNSELOR))


@pytest.mark.django_db
def test_a_superuser_made_by_createsuperuser_is_an_administrator(monkeypatch) -> None:
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-test-passphrase-1")
    call_command("createsuperuser", interactive=False, username="root", email="root@example.org")
    root = User.objects.get(username="root")
    assert (root.role, root.is_staff, root.is_superuser) == (Role.ADMIN, True, True)
    assert _admin_site_opens(root)
    assert signed_in(root).get("/").status_code == 200  # the console treats them as admin too


@pytest.mark.django_db
def test_saving_only_the_role_saves_the_access_with_it() -> None:
    casey = make_staff("casey")
    casey.role = Role.ADMIN
    casey.save(update_fields=["role"])
    assert User.objects.filter(pk=casey.pk, is_staff=True, is_superuser=True).exists()
