"""Domain errors: each carries a message the user can read, in their language, and the field it concerns."""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """Base for errors a user can act on. `field` names the input at fault, when there is one."""

    default_message = _("The request could not be completed.")

    def __init__(self, message=None, *, field: str | None = None, **params):
        self.message = message if message is not None else self.default_message
        self.field = field
        self.params = params
        super().__init__(str(self))

    def __str__(self) -> str:
        text = str(self.message)
        return text % self.params if self.params else text


class NotFound(DomainError):
    """Raised for missing records and for records outside the user's scope alike, so scope leaks nothing."""

    default_message = _("Record not found.")


class PermissionDenied(DomainError):
    default_message = _("You do not have permission to do this.")


class InvalidInput(DomainError):
    default_message = _("The input is not valid.")
