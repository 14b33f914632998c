"""Every endpoint checks the model permissions of what it reveals or changes: a view lists them
per method in `permissions_by_method` (`app.codename`); the token's user must hold them all."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

PHONE_PERMISSION = "campaigns.view_contact"


class ModelPermissions(BasePermission):
    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        needed = getattr(view, "permissions_by_method", {}).get(request.method)
        if needed is None:
            needed = getattr(view, "permissions_by_method", {}).get("*", ())
        return user.has_perms(needed)


def sees_contacts(user) -> bool:
    """Whether numbers, names and variables are shown in clear (else masked / left out)."""
    return user.has_perm(PHONE_PERMISSION)
