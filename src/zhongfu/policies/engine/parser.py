"""Our own recursive-descent parser for the CEL subset of docs/policies.md. Policy text is data: it is
tokenised and parsed here, never handed to eval/exec or to a third-party parser."""

from django.utils.translation import gettext_lazy as _

from .errors import PolicyError
from .nodes import Binary, Call, ListLit, Lit, Name, Select, Ternary, Unary

MAX_LENGTH = 500
MAX_NESTING = 40  # guards the parser's own recursion; the depth rule proper (12) is checked on the tree
INT_MAX = 2**63 - 1

OPERATORS = ("&&", "||", "==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "%", "!", "?", ":", "(", ")", "[", "]")
OPERATORS += (",", ".")
ESCAPES = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "t": "\t"}


class Token:
    __slots__ = ("kind", "value", "pos", "end")

    def __init__(self, kind, value, pos, end):
        self.kind, self.value, self.pos, self.end = kind, value, pos, end

    def __repr__(self):
        return f"Token({self.kind}, {self.value!r}, {self.pos})"


def _is_ident_start(char: str) -> bool:
    return char.isascii() and (char.isalpha() or char == "_")


def _is_ident_char(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char == "_")


def tokenize(text: str) -> list[Token]:
    tokens = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char in " \t\r\n":
            i += 1
        elif text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
        elif char.isascii() and char.isdigit():
            i = _number(text, i, tokens)
        elif char in "\"'":
            i = _string(text, i, tokens)
        elif _is_ident_start(char):
            start = i
            while i < n and _is_ident_char(text[i]):
                i += 1
            word = text[start:i]
            if i < n and text[i] in "\"'" and word.lower() in ("r", "b", "rb", "br"):
                raise PolicyError(_("raw and byte strings are not supported"), position=start)
            tokens.append(Token("ident", word, start, i))
        else:
            for op in OPERATORS:
                if text.startswith(op, i):
                    tokens.append(Token("op", op, i, i + len(op)))
                    i += len(op)
                    break
            else:
                raise PolicyError(_("unexpected character “%(char)s”"), position=i, char=char)
    tokens.append(Token("end", None, n, n))
    return tokens


def _number(text: str, i: int, tokens: list) -> int:
    start, n = i, len(text)
    while i < n and text[i].isascii() and text[i].isdigit():
        i += 1
    is_double = False
    if i + 1 < n and text[i] == "." and text[i + 1].isascii() and text[i + 1].isdigit():
        is_double = True
        i += 1
        while i < n and text[i].isascii() and text[i].isdigit():
            i += 1
    if i < n and text[i] in "eE":
        j = i + 1
        if j < n and text[j] in "+-":
            j += 1
        if j < n and text[j].isascii() and text[j].isdigit():
            is_double = True
            i = j
            while i < n and text[i].isascii() and text[i].isdigit():
                i += 1
    if i < n and _is_ident_char(text[i]):
        raise PolicyError(_("not a number: “%(text)s”"), position=start, text=text[start : i + 1])
    literal = text[start:i]
    if is_double:
        tokens.append(Token("double", float(literal), start, i))
    else:
        value = int(literal)
        if value > INT_MAX:
            raise PolicyError(_("the number %(text)s is too large"), position=start, text=literal)
        tokens.append(Token("int", value, start, i))
    return i


def _string(text: str, i: int, tokens: list) -> int:
    quote, start, n = text[i], i, len(text)
    if text.startswith(quote * 3, i):
        raise PolicyError(_("triple-quoted strings are not supported"), position=start)
    i += 1
    chars = []
    while True:
        if i >= n or text[i] == "\n":
            raise PolicyError(_("a string is not closed"), position=start)
        char = text[i]
        if char == quote:
            i += 1
            break
        if char == "\\":
            escaped = text[i + 1] if i + 1 < n else ""
            if escaped not in ESCAPES:
                raise PolicyError(_("unsupported escape “\\%(char)s” in a string"), position=i, char=escaped)
            chars.append(ESCAPES[escaped])
            i += 2
            continue
        chars.append(char)
        i += 1
    tokens.append(Token("string", "".join(chars), start, i))
    return i


class Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0
        self.nesting = 0

    # -- helpers --
    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def at(self, *ops: str) -> bool:
        token = self.current
        return (token.kind == "op" and token.value in ops) or (token.kind == "ident" and token.value in ops)

    def advance(self) -> Token:
        token = self.current
        self.index += 1
        return token

    def expect(self, op: str) -> Token:
        if not self.at(op):
            self.fail_here(_("expected “%(expected)s”"), expected=op)
        return self.advance()

    def fail_here(self, message, **params):
        token = self.current
        if token.kind == "end":
            raise PolicyError(_("the expression ends too early"), position=token.pos)
        if message is None:
            raise PolicyError(_("unexpected “%(token)s”"), position=token.pos, token=self.text[token.pos : token.end])
        raise PolicyError(message, position=token.pos, **params)

    def nested(self):
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise PolicyError(_("the expression is nested too deeply"), position=self.current.pos)

    # -- grammar (CEL precedence: ?: < || < && < relations < + - < * / % < unary < member) --
    def parse(self):
        if not self.text.strip():
            raise PolicyError(_("the expression is empty"), position=0)
        node = self.expression()
        if self.current.kind != "end":
            self.fail_here(None)
        return node

    def expression(self):
        self.nested()
        cond = self.logical_or()
        if self.at("?"):
            self.advance()
            then = self.expression()
            self.expect(":")
            otherwise = self.expression()
            cond = Ternary(cond.pos, otherwise.end, cond, then, otherwise)
        self.nesting -= 1
        return cond

    def logical_or(self):
        node = self.logical_and()
        while self.at("||"):
            self.advance()
            right = self.logical_and()
            node = Binary(node.pos, right.end, "||", node, right)
        return node

    def logical_and(self):
        node = self.relation()
        while self.at("&&"):
            self.advance()
            right = self.relation()
            node = Binary(node.pos, right.end, "&&", node, right)
        return node

    def relation(self):
        node = self.additive()
        while self.at("<", "<=", ">", ">=", "==", "!=", "in"):
            op = self.advance().value
            right = self.additive()
            node = Binary(node.pos, right.end, op, node, right)
        return node

    def additive(self):
        node = self.multiplicative()
        while self.at("+", "-"):
            op = self.advance().value
            right = self.multiplicative()
            node = Binary(node.pos, right.end, op, node, right)
        return node

    def multiplicative(self):
        node = self.unary()
        while self.at("*", "/", "%"):
            op = self.advance().value
            right = self.unary()
            node = Binary(node.pos, right.end, op, node, right)
        return node

    def unary(self):
        ops = []
        while self.at("!", "-"):
            ops.append(self.advance())
        node = self.member()
        for token in reversed(ops):
            if (
                token.value == "-"
                and isinstance(node, Lit)
                and node.type in ("int", "double")
                and node.pos == token.end
            ):
                node = Lit(token.pos, node.end, -node.value, node.type)  # a negative literal, as CEL reads it
            else:
                node = Unary(token.pos, node.end, token.value, node)
        return node

    def member(self):
        node = self.primary()
        while self.at(".", "["):
            if self.at("["):
                raise PolicyError(_("indexing with [ ] is not supported"), position=self.current.pos)
            self.advance()
            token = self.current
            if token.kind != "ident":
                self.fail_here(_("expected a name after “.”"))
            self.advance()
            if self.at("("):
                args, end = self.arguments()
                node = Call(node.pos, end, token.value, args, node, token.pos)
            else:
                node = Select(node.pos, token.end, node, token.value, token.pos)
        return node

    def arguments(self):
        self.expect("(")
        args = []
        if not self.at(")"):
            args.append(self.expression())
            while self.at(","):
                self.advance()
                args.append(self.expression())
        end = self.expect(")").end
        return tuple(args), end

    def primary(self):
        token = self.current
        if token.kind in ("int", "double", "string"):
            self.advance()
            return Lit(token.pos, token.end, token.value, token.kind)
        if token.kind == "ident":
            self.advance()
            if token.value in ("true", "false"):
                return Lit(token.pos, token.end, token.value == "true", "bool")
            if token.value == "null":
                raise PolicyError(
                    _("there is no null literal: missing data is “unknown” by itself"), position=token.pos
                )
            if self.at("("):
                args, end = self.arguments()
                return Call(token.pos, end, token.value, args, None, token.pos)
            return Name(token.pos, token.end, token.value)
        if self.at("("):
            self.nested()
            self.advance()
            node = self.expression()
            self.expect(")")
            self.nesting -= 1
            return node
        if self.at("["):
            start = self.advance().pos
            items = []
            if not self.at("]"):
                items.append(self.expression())
                while self.at(","):
                    self.advance()
                    items.append(self.expression())
            end = self.expect("]").end
            return ListLit(start, end, tuple(items))
        self.fail_here(None)


def parse(text: str):
    """Parse one expression into a raw tree; raises PolicyError with the offset of the problem."""
    if len(text) > MAX_LENGTH:
        raise PolicyError(
            _("the expression is %(length)s characters long; at most %(limit)s are allowed"),
            position=MAX_LENGTH,
            length=len(text),
            limit=MAX_LENGTH,
        )
    return Parser(text).parse()
