"""Every endpoint checks the model permissions of what it reveals or changes: a view lists them
per method in `permissions_by_method` (`app.codename`); the token's user must hold them all."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

PHONE_PERMISSION = "campaigns.view_contact"


def signed_in(request) -> bool:
    """A token's user, or a staff member signed in to the admin (the browsable API)."""
    from api.models import ApiToken

    user = request.user
    if not (user and user.is_authenticated and user.is_active):
        return False
    return user.is_staff or isinstance(request.auth, ApiToken)


class SignedIn(BasePermission):
    """The schema and the docs page: for anyone who may use the API, nobody else."""

    def has_permission(self, request, view) -> bool:
        return signed_in(request)


class ModelPermissions(BasePermission):
    def has_permission(self, request, view) -> bool:
        user = request.user
        if not signed_in(request):
            return False
        needed = getattr(view, "permissions_by_method", {}).get(request.method)
        if needed is None:
            needed = getattr(view, "permissions_by_method", {}).get("*", ())
        return user.has_perms(needed)


def sees_contacts(user) -> bool:
    """Whether numbers, names and variables are shown in clear (else masked / left out)."""
    return user.has_perm(PHONE_PERMISSION)
