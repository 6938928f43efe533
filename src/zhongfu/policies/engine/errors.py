"""The one error the engine raises: it says which policy, which variable and where in the expression."""

from django.utils.translation import gettext_lazy as _


class Text:
    """A message translated when it is read (not when it is raised), with its parameters."""

    def __init__(self, msgid, **params):
        self.msgid = msgid
        self.params = params

    def __str__(self) -> str:
        return str(self.msgid) % {key: str(value) for key, value in self.params.items()}


def line_column(text: str, position: int) -> tuple[int, int]:
    """1-based line and column of an offset in an expression."""
    before = text[:position]
    line = before.count("\n") + 1
    column = position - (before.rfind("\n") + 1) + 1
    return line, column


class PolicyError(Exception):
    """A policy, a parameter file or a catalogue that the engine refuses.

    `message` is the reason alone; `str(error)` adds the policy, the variable and the position.
    """

    def __init__(
        self,
        message,
        *,
        policy: str | None = None,
        variable: str | None = None,
        position: int | None = None,
        expression: str | None = None,
        parameter: str | None = None,
        **params,
    ):
        self._text = Text(message, **params)
        self.policy = policy
        self.variable = variable
        self.position = position
        self.expression = expression
        self.parameter = parameter
        self.line = self.column = None
        if position is not None and expression is not None:
            self.line, self.column = line_column(expression, position)
        super().__init__(message)

    @property
    def message(self) -> str:
        return str(self._text)

    def located(self, *, policy=None, variable=None, expression=None) -> "PolicyError":
        """Fill in what the raiser did not know (the checker knows the node, the loader the variable)."""
        if self.policy is None and policy is not None:
            self.policy = policy
        if self.variable is None and variable is not None:
            self.variable = variable
        if self.expression is None and expression is not None:
            self.expression = expression
            if self.position is not None:
                self.line, self.column = line_column(expression, self.position)
        return self

    def where(self) -> str:
        parts = []
        if self.policy:
            parts.append(str(_("policy %(policy)s") % {"policy": self.policy}))
        if self.parameter:
            parts.append(str(_("parameter %(parameter)s") % {"parameter": self.parameter}))
        if self.variable:
            here = str(_("variable %(variable)s") % {"variable": self.variable})
            if self.line is not None and self.line > 1:
                position = _("line %(line)s, column %(column)s") % {"line": self.line, "column": self.column}
                here = str(_("%(variable)s %(position)s") % {"variable": here, "position": position})
            elif self.column is not None:
                position = _("column %(column)s") % {"column": self.column}
                here = str(_("%(variable)s %(position)s") % {"variable": here, "position": position})
            parts.append(here)
        separator = str(_(", "))
        return separator.join(parts)

    def __str__(self) -> str:
        where = self.where()
        if not where:
            return self.message
        return str(_("%(where)s: %(message)s") % {"where": where, "message": self.message})

    def __repr__(self) -> str:
        return f"PolicyError({str(self)!r})"
