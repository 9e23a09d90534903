"""A small OpenAPI 3.1 checker for levy's docs/openapi.yaml: finds the operation of a request,
and validates a JSON body against the JSON Schema subset the document uses. Any keyword
outside that subset is an error, so the document cannot silently use what is not checked."""
import re

KNOWN = {"type", "enum", "const", "properties", "required", "additionalProperties", "items",
         "minItems", "pattern", "minimum", "maximum", "format", "oneOf", "anyOf", "allOf",
         "$ref", "description"}


class Spec:
    def __init__(self, doc):
        self.doc = doc
        self.ops = []   # (regex, template, method, operation)
        for tmpl, item in doc["paths"].items():
            rx = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(tmpl)) + "$"
            for method, op in item.items():
                if method in ("get", "put", "post", "delete", "patch", "head", "options"):
                    self.ops.append((re.compile(rx), tmpl, method.upper(), op))
        # literal templates first so /v1/x/sync never falls to a {param}
        self.ops.sort(key=lambda o: o[1].count("{"))

    def resolve(self, obj):
        while isinstance(obj, dict) and "$ref" in obj and len(obj) == 1:
            obj = self.ref(obj["$ref"])
        return obj

    def ref(self, ref):
        if not ref.startswith("#/"):
            raise ValueError("only local $ref: " + ref)
        node = self.doc
        for part in ref[2:].split("/"):
            node = node[part]
        return node

    def find(self, method, path):
        path = path.split("?", 1)[0]
        for rx, tmpl, m, op in self.ops:
            if m == method and rx.match(path):
                return tmpl, op
        return None, None

    def response_schema(self, op, status):
        """-> (found, media type -> schema or None)"""
        resps = op.get("responses", {})
        r = resps.get(str(status)) or resps.get("%dXX" % (status // 100)) or resps.get("default")
        if r is None:
            return False, None
        r = self.resolve(r)
        content = r.get("content")
        if not content:
            return True, {}
        return True, {mt: self.resolve(c).get("schema") for mt, c in content.items()}

    def validate(self, schema, value, where="$"):
        errs = []
        self._v(schema, value, where, errs)
        return errs

    def _v(self, s, v, where, errs):
        if s is True or s is None:
            return
        if s is False:
            errs.append("%s: not allowed" % where)
            return
        unknown = set(s) - KNOWN
        if unknown:
            errs.append("%s: schema keyword(s) outside the checked subset: %s" % (where, sorted(unknown)))
        if "$ref" in s:
            self._v(self.ref(s["$ref"]), v, where, errs)
        if "type" in s:
            types = s["type"] if isinstance(s["type"], list) else [s["type"]]
            if not any(_is(t, v) for t in types):
                errs.append("%s: %r is not of type %s" % (where, _short(v), types))
                return
        if "const" in s and v != s["const"]:
            errs.append("%s: %r != const %r" % (where, _short(v), s["const"]))
        if "enum" in s and v not in s["enum"]:
            errs.append("%s: %r not in %s" % (where, _short(v), s["enum"]))
        if "pattern" in s and isinstance(v, str) and not re.search(s["pattern"], v):
            errs.append("%s: %r does not match %s" % (where, _short(v), s["pattern"]))
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            if "minimum" in s and v < s["minimum"]:
                errs.append("%s: %r < minimum %r" % (where, v, s["minimum"]))
            if "maximum" in s and v > s["maximum"]:
                errs.append("%s: %r > maximum %r" % (where, v, s["maximum"]))
        if isinstance(v, dict):
            for k in s.get("required", []):
                if k not in v:
                    errs.append("%s: missing required %r" % (where, k))
            props = s.get("properties", {})
            for k, sub in props.items():
                if k in v:
                    self._v(sub, v[k], "%s.%s" % (where, k), errs)
            ap = s.get("additionalProperties", True)
            for k in v:
                if k not in props:
                    if ap is False:
                        errs.append("%s: unexpected property %r" % (where, k))
                    elif isinstance(ap, dict):
                        self._v(ap, v[k], "%s.%s" % (where, k), errs)
        if isinstance(v, list):
            if "minItems" in s and len(v) < s["minItems"]:
                errs.append("%s: %d items < minItems %d" % (where, len(v), s["minItems"]))
            if "items" in s:
                for i, item in enumerate(v):
                    self._v(s["items"], item, "%s[%d]" % (where, i), errs)
        for sub in s.get("allOf", []):
            self._v(sub, v, where, errs)
        for kw in ("anyOf", "oneOf"):
            if kw in s:
                ok = [not self.validate(sub, v, where) for sub in s[kw]]
                n = sum(ok)
                if n == 0 or (kw == "oneOf" and n > 1):
                    detail = [self.validate(sub, v, where)[:2] for sub in s[kw]]
                    errs.append("%s: %s matched %d of %d: %s" % (where, kw, n, len(ok), detail))


def _is(t, v):
    return {"null": v is None,
            "boolean": isinstance(v, bool),
            "integer": isinstance(v, int) and not isinstance(v, bool),
            "number": isinstance(v, (int, float)) and not isinstance(v, bool),
            "string": isinstance(v, str),
            "array": isinstance(v, list),
            "object": isinstance(v, dict)}[t]


def _short(v):
    r = repr(v)
    return r if len(r) < 80 else r[:77] + "..."
