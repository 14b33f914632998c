"""The POST data an admin add/change page would send as it stands: its form's and its inline
formsets' current values, so a test changes only the fields it is about."""

from __future__ import annotations

import datetime as dt


def _value(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else ""
    if isinstance(value, list | tuple):
        return [str(v.pk if hasattr(v, "pk") else v) for v in value]
    if isinstance(value, dt.datetime):
        return [value.strftime("%Y-%m-%d"), value.strftime("%H:%M:%S")]
    if hasattr(value, "pk"):
        return str(value.pk)
    return str(value)


def _form_fields(form) -> dict:
    data = {}
    for bound in form:
        value = _value(bound.value())
        if isinstance(value, list) and bound.field.widget.__class__.__name__ == "SplitDateTimeWidget":
            data[bound.html_name + "_0"], data[bound.html_name + "_1"] = value
        elif value == "" and bound.field.widget.__class__.__name__.endswith("CheckboxInput"):
            continue
        else:
            data[bound.html_name] = value
    return data


def form_data(response, **changes) -> dict:
    """The page's form as it would be posted, with `changes` (field name → value) applied."""
    context = response.context
    data = _form_fields(context["adminform"].form)
    for inline in context.get("inline_admin_formsets", []):
        formset = inline.formset
        management = formset.management_form
        for bound in management:
            data[bound.html_name] = _value(bound.value())
        for form in formset.forms:
            data.update({k: v for k, v in _form_fields(form).items() if v != ""})
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}
