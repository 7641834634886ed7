"""The compiled, immutable, thread-safe :class:`Validator`."""

from __future__ import annotations

import copy
import threading
from typing import Any, NoReturn

from . import codes as c
from .compiler import Collect, Compiler, Node, Ok
from .document import Profile, extends_list, resolve_type_ref
from .problems import InvalidSchema, Problem

# Core 3.3.2 / 3.10.4: an instance document may name its schema and the
# add-ins it uses at its root; these members are metadata, not data.
_INSTANCE_META = ("$schema", "$uses")


class Validator:
    """Validates instances against one compiled schema.

    Instances of this class hold no per-call state and are never mutated
    after construction, so one validator may serve any number of threads or
    asyncio tasks at once.  Neither the schema (deep-copied at compile time)
    nor the instance is ever modified.
    """

    __slots__ = (
        "_collect",
        "_doc",
        "_lenient",
        "_lock",
        "_max_depth",
        "_ok",
        "_profile",
        "_variants",
    )
    _ok: Ok
    _collect: Collect
    _doc: dict[str, Any]
    _profile: Profile
    _lenient: bool
    _max_depth: int
    _variants: dict[frozenset[str], Node]
    _lock: threading.Lock

    def __init__(
        self, document: dict[str, Any], profile: Profile, *, lenient: bool, max_depth: int
    ) -> None:
        root = Compiler(document, profile, lenient=lenient, max_depth=max_depth).compile_root()
        _set = object.__setattr__
        _set(self, "_ok", root.ok)
        _set(self, "_collect", root.collect)
        _set(self, "_doc", document)
        _set(self, "_profile", profile)
        _set(self, "_lenient", lenient)
        _set(self, "_max_depth", max_depth)
        # Memo of validators with instance-selected add-ins (core 3.10.4).
        # Entries are immutable; the lock only guards insertion.
        _set(self, "_variants", {})
        _set(self, "_lock", threading.Lock())

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        raise AttributeError("Validator objects are immutable")

    @property
    def profile(self) -> Profile:
        return self._profile

    def is_valid(self, instance: Any) -> bool:
        """True if ``instance`` conforms; the fast path, no problem objects."""
        if type(instance) is dict and ("$schema" in instance or "$uses" in instance):
            root, instance = self._for_document(instance)
            if root is None:
                return False
            ok = root.ok
        else:
            ok = self._ok
        try:
            return ok(instance, 0)
        except RecursionError:
            return False

    def validate(self, instance: Any) -> list[Problem]:
        """Every problem in ``instance``, with JSON Pointers into it."""
        node: Node | None = None
        if type(instance) is dict and ("$schema" in instance or "$uses" in instance):
            node, instance = self._for_document(instance)
            if node is None:
                return self._addin_problems(instance)
            ok, collect = node.ok, node.collect
        else:
            ok, collect = self._ok, self._collect
        out: list[Problem] = []
        try:
            if ok(instance, 0):
                return out
            collect(instance, 0, "", out)
        except RecursionError:
            return [
                Problem("", c.INSTANCE_MAX_DEPTH_EXCEEDED, "instance nests too deeply to validate")
            ]
        if not out:  # defensive: the fast path and the report disagree
            out.append(Problem("", c.INSTANCE_TYPE_MISMATCH, "instance does not conform"))
        return out

    # -- instance documents with $schema / $uses --------------------------------
    def _for_document(self, instance: dict[str, Any]) -> tuple[Node | None, Any]:
        stripped = {k: v for k, v in instance.items() if k not in _INSTANCE_META}
        uses = instance.get("$uses")
        if not uses:
            return Node(self._ok, self._collect), stripped
        if not isinstance(uses, list) or not all(isinstance(u, str) for u in uses):
            return None, instance
        names = frozenset(uses)
        node = self._variants.get(names)
        if node is None:
            addins = self._resolve_addins(names)
            if addins is None:
                return None, instance
            compiler = Compiler(
                self._doc,
                self._profile,
                lenient=self._lenient,
                max_depth=self._max_depth,
                addins=addins,
            )
            node = compiler.compile_root()
            with self._lock:
                node = self._variants.setdefault(names, node)
        return node, stripped

    def _resolve_addins(self, names: frozenset[str]) -> dict[int, list[dict[str, Any]]] | None:
        offers = self._doc.get("$offers")
        if not isinstance(offers, dict) or not names <= offers.keys():
            return None
        merged: dict[int, list[dict[str, Any]]] = {}
        for name in sorted(names):
            refs = offers[name] if isinstance(offers[name], list) else [offers[name]]
            for ref in refs:
                status, addin = resolve_type_ref(self._doc, ref)
                if status != "ok":
                    return None
                for target_ref in extends_list(addin):
                    status, target = resolve_type_ref(self._doc, target_ref)
                    if status == "ok":
                        merged.setdefault(id(target), []).append(addin)
        return merged

    def _addin_problems(self, instance: dict[str, Any]) -> list[Problem]:
        uses = instance.get("$uses")
        offers = self._doc.get("$offers")
        known = set(offers) if isinstance(offers, dict) else set()
        if not isinstance(uses, list):
            return [
                Problem(
                    "/$uses", c.INSTANCE_ADDIN_UNKNOWN, "$uses must be an array of add-in names"
                )
            ]
        return [
            Problem(f"/$uses/{i}", c.INSTANCE_ADDIN_UNKNOWN, f"{u!r} is not offered by the schema")
            for i, u in enumerate(uses)
            if u not in known
        ] or [Problem("/$uses", c.INSTANCE_ADDIN_UNKNOWN, "add-ins could not be applied")]


def build_validator(
    schema: dict[str, Any],
    profile: Profile,
    *,
    lenient: bool,
    max_depth: int,
) -> Validator:
    """Deep-copy ``schema`` so later changes by the caller cannot leak in."""
    document = copy.deepcopy(schema)
    doc_has_root = (
        "type" in document
        or "$root" in document
        or (
            profile.composition
            and any(k in document for k in ("allOf", "anyOf", "oneOf", "not", "if"))
        )
    )
    if not doc_has_root:
        raise InvalidSchema(
            [
                Problem(
                    "",
                    c.SCHEMA_ROOT_MISSING_TYPE,
                    "the document declares no root type to validate against",
                ),
            ]
        )
    return Validator(document, profile, lenient=lenient, max_depth=max_depth)
