"""A small YAML emitter that prints objects the way `kubectl get -o yaml` does.

kubectl converts objects to JSON and then to YAML with go-yaml v2, so:
  * map keys come out sorted,
  * sequences sit at the indentation of their parent key (`- ` items),
  * strings that YAML 1.1 would read as something else (numbers, booleans, null, timestamps)
    are double-quoted; other strings that cannot be plain are single-quoted,
  * strings with line breaks are literal block scalars (`|` or `|-`).
Long strings are not folded (go-yaml folds at 80 columns; the result parses the same).
"""
import re

_INT = re.compile(r"^[-+]?(0b[01_]+|0x[0-9a-fA-F_]+|0o?[0-7_]+|[0-9][0-9_]*|[1-9][0-9_]*(:[0-5]?[0-9])+)$")
_FLOAT = re.compile(r"^[-+]?([0-9][0-9_]*\.[0-9_]*|\.[0-9][0-9_]*)([eE][-+]?[0-9]+)?$"
                    r"|^[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+$"
                    r"|^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$|^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*$")
_TS = re.compile(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ]|$)")
_WORDS = {"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE",
          "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", "null", "Null",
          "NULL", "~", "", "<<", "="}
_INDICATORS = set("-?:,[]{}#&*!|>'\"%@`")


def _resolves_to_other(s):
    """True when a plain scalar `s` would not be read back as a string."""
    return (s in _WORDS or bool(_INT.match(s)) or bool(_FLOAT.match(s))
            or bool(_TS.match(s)))


def _plain_ok(s):
    if s[0] in _INDICATORS and not (s[0] in "-?:" and len(s) > 1 and s[1] not in " \t"):
        return False
    if s[0] in " \t" or s[-1] in " \t:":
        return False
    if ": " in s or " #" in s or "\t" in s:
        return False
    return all(c.isprintable() for c in s)


def _dq(s):
    out = ['"']
    for c in s:
        if c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        elif c == "\t":
            out.append("\\t")
        elif not c.isprintable():
            out.append("\\u%04x" % ord(c))
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def scalar(v):
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    s = str(v)
    if _resolves_to_other(s):
        return _dq(s)
    if not _plain_ok(s):
        if all(c.isprintable() for c in s):
            return "'" + s.replace("'", "''") + "'"
        return _dq(s)
    return s


def _block(s, indent):
    """A literal block scalar for a string with line breaks."""
    chomp = "" if s.endswith("\n") and not s.endswith("\n\n") else "-"
    if chomp == "-" and s.endswith("\n"):
        chomp = "+"
    body = s[:-1] if s.endswith("\n") else s
    if chomp == "+":
        body = s.rstrip("\n")
    head = "|" + ("2" if body[:1] == " " else "") + chomp
    pad = " " * indent
    lines = [(pad + line) if line else "" for line in body.split("\n")]
    if chomp == "+":
        lines += [""] * (len(s) - len(s.rstrip("\n")) - 1)
    return head, lines


def _emit(v, indent, out, first_prefix=None):
    """Append the lines for value `v` (a map or a list) at `indent` to `out`.

    `first_prefix`, when given, replaces the indentation of the first line (for `- `)."""
    pad = " " * indent
    if isinstance(v, dict):
        first = True
        for k in sorted(v):
            lead = first_prefix if (first and first_prefix is not None) else pad
            first = False
            _pair(scalar(k), v[k], indent, lead, out)
    elif isinstance(v, list):
        first = True
        for item in v:
            lead = first_prefix if (first and first_prefix is not None) else pad
            first = False
            _item(item, indent, lead, out)
    else:
        raise TypeError(type(v))


def _pair(key, val, indent, lead, out):
    if isinstance(val, dict):
        if not val:
            out.append(f"{lead}{key}: {{}}")
        else:
            out.append(f"{lead}{key}:")
            _emit(val, indent + 2, out)
    elif isinstance(val, list):
        if not val:
            out.append(f"{lead}{key}: []")
        else:
            out.append(f"{lead}{key}:")
            _emit(val, indent, out)  # sequences stay at the key's indentation
    elif isinstance(val, str) and "\n" in val:
        head, lines = _block(val, indent + 2)
        out.append(f"{lead}{key}: {head}")
        out.extend(lines)
    else:
        out.append(f"{lead}{key}: {scalar(val)}")


def _item(item, indent, lead, out):
    if isinstance(item, dict):
        if not item:
            out.append(f"{lead}- {{}}")
        else:
            _emit(item, indent + 2, out, first_prefix=lead + "- ")
    elif isinstance(item, list):
        if not item:
            out.append(f"{lead}- []")
        else:
            _emit(item, indent + 2, out, first_prefix=lead + "- ")
    elif isinstance(item, str) and "\n" in item:
        head, lines = _block(item, indent + 2)
        out.append(f"{lead}- {head}")
        out.extend(lines)
    else:
        out.append(f"{lead}- {scalar(item)}")


def dump(obj):
    """The YAML text of a map, ending with a newline."""
    out = []
    _emit(obj, 0, out)
    return "\n".join(out) + "\n"
