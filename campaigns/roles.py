"""The staff roles: groups created by a migration (campaigns 0012), described in the README.

Superusers are not the normal way to work: give staff one of these groups. Only the
Administrator and the Campaign manager may see full phone numbers (and download lists and
per-person results); the Analyst sees every page with numbers masked, the Viewer campaigns only.
"""

from __future__ import annotations

# name → (description, permissions as "app_label.codename"; "app_label.*" is every permission of
# the app, "app_label.view_*" every view permission of it); "-app.codename" takes one away.
ROLES: dict[str, tuple[str, list[str]]] = {
    "Administrator": (
        "Everything, including staff accounts, roles and Aliyun accounts.",
        ["*"],
    ),
    "Campaign manager": (
        "Contact lists, menus, campaigns and follow-ups; sees full phone numbers and downloads "
        "per-person results; reads receipts and the audit trail.",
        [
            "campaigns.*",
            "-campaigns.add_voiceaccount",
            "-campaigns.change_voiceaccount",
            "-campaigns.delete_voiceaccount",
            "receipts.view_*",
            "audit.view_*",
        ],
    ),
    "Analyst": (
        "Dashboards, charts, cross-tabs and aggregate exports; every page readable with phone "
        "numbers masked; no per-person downloads.",
        ["campaigns.view_*", "-campaigns.view_voiceaccount", "receipts.view_*"],
    ),
    "Viewer": (
        "Campaigns, their progress and dashboards, lists and menus by name; no contacts, calls or receipts.",
        [
            "campaigns.view_campaign",
            "campaigns.view_contactlist",
            "campaigns.view_menutemplate",
            "campaigns.view_menuoption",
            "campaigns.view_callernumber",
            "campaigns.view_nocallday",
            "campaigns.view_ttstemplate",  # what a menu says, no contact in it
        ],
    ),
}


def create_missing_roles(apps, only_missing: bool = True) -> None:
    """Each role's group with its permissions (`apps`: a migration's or the global registry).
    After every `migrate` (post_migrate) only groups that do not exist are made: an administrator's
    changes to a group stay; a flushed test database gets its roles back."""
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    every = list(permission_model.objects.values_list("pk", "content_type__app_label", "codename"))
    for name, (_description, patterns) in ROLES.items():
        group, created = group_model.objects.get_or_create(name=name)
        if created or not only_missing:
            group.permissions.set(role_permissions(patterns, every))


def role_permissions(patterns: list[str], permissions: list[tuple[int, str, str]]) -> set[int]:
    """The ids of `permissions` ((id, app_label, codename) rows) the patterns name."""
    chosen: set[int] = set()
    for pattern in patterns:
        remove = pattern.startswith("-")
        app, _dot, codename = pattern.lstrip("-").partition(".")
        matched = {
            pk
            for pk, perm_app, perm_code in permissions
            if app == "*" or (perm_app == app and _matches(codename, perm_code))
        }
        chosen = chosen - matched if remove else chosen | matched
    return chosen


def _matches(pattern: str, codename: str) -> bool:
    return codename.startswith(pattern[:-1]) if pattern.endswith("*") else codename == pattern
