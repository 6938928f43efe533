"""Authentication with permissions granted by role."""

from django.contrib.auth.backends import ModelBackend

from .roles import ROLE_PERMISSIONS


class RoleBackend(ModelBackend):
    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous:
            return set()
        perms = set(super().get_all_permissions(user_obj, obj))
        return perms | set(ROLE_PERMISSIONS.get(getattr(user_obj, "role", ""), ()))
