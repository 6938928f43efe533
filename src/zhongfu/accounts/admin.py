"""User and unit administration for the city administrator (Django admin, translated by Django)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Unit, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "display_name", "role", "region", "unit", "is_active")
    list_filter = ("role", "is_active")
    search_fields = ("username", "display_name")
    autocomplete_fields = ()
    raw_id_fields = ("region",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Role and scope"), {"fields": ("display_name", "role", "region", "unit")}),
        (_("Status"), {"fields": ("is_active", "is_staff", "last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"fields": ("username", "password1", "password2", "role", "region", "unit")}),)
    readonly_fields = ("last_login", "date_joined")


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "region")
    list_filter = ("kind",)
    raw_id_fields = ("region",)
