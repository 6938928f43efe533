"""Authentication with permissions granted by role."""

from django.contrib.auth.backends import ModelBackend

from .roles import ROLE_PERMISSIONS


class RoleBackend(ModelBackend):
    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous:
            return set()
        perms = set(super().get_all_permissions(user_obj, obj))
        return perms | set(ROLE_PERMISSIONS.get(getattr(user_obj, "role", ""), ()))

    def has_perm(self, user_obj, perm, obj=None):
        # The role answers most checks without the two permission queries Django makes per user (an API
        # request loads a fresh user each time); permissions granted one by one are still looked up.
        if (
            user_obj.is_active
            and not user_obj.is_anonymous
            and perm in ROLE_PERMISSIONS.get(getattr(user_obj, "role", ""), ())
        ):
            return True
        return super().has_perm(user_obj, perm, obj)
