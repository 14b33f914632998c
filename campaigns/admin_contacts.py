from django.contrib import admin

from campaigns.models import Contact, ContactList, ImportJob


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ["phone", "name", "variables", "do_not_call"]
    show_change_link = True


@admin.register(ContactList)
class ContactListAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["phone", "name", "contact_list", "do_not_call"]
    list_filter = ["contact_list", "do_not_call"]
    search_fields = ["phone", "name"]


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["original_name", "contact_list", "status", "rows", "created", "updated", "rejected_count"]
