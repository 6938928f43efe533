"""The procedure of a case as dated configuration (workflow.yaml): loaded, validated, cached; and the date
arithmetic of its limits on the working-day calendar.

A case stores the procedure in force on the day it opened (`procedure_for(...).as_json()`), so changing the
file later changes new cases only. Reads only: the services apply what this module computes.
"""

import datetime as dt
import threading
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from zhongfu.workdays.selectors import add_working_days

from .models import Step

WORKFLOW_FILE = Path(__file__).with_name("workflow.yaml")
# The order every procedure follows; a procedure uses a subsequence of it.
ORDER = [s.value for s in Step if s != Step.CLOSED]
_LIMIT_KINDS = ("working_days", "calendar_days")


class WorkflowConfigError(Exception):
    """workflow.yaml breaks a rule; the message says where. Raised at load, so a bad file fails loudly."""


@dataclass(frozen=True)
class Procedure:
    version: str
    valid_from: dt.date
    steps: list[str]
    # step → {"working_days": n} or {"calendar_days": n}
    step_limits: dict = field(default_factory=dict)
    overall: int = 30
    extension: int = 45
    on_objection: str | None = None
    # The time limit to appeal a refusal or a termination: {"calendar_days": n} or {"working_days": n}.
    appeal: dict = field(default_factory=lambda: {"calendar_days": 60})

    def as_json(self) -> dict:
        return {
            "version": self.version,
            "valid_from": self.valid_from.isoformat(),
            "steps": list(self.steps),
            "step_limits": {k: dict(v) for k, v in self.step_limits.items()},
            "overall": self.overall,
            "extension": self.extension,
            "on_objection": self.on_objection,
            "appeal": dict(self.appeal),
        }


def _limit(where: str, value) -> dict:
    if isinstance(value, dict):
        kinds = [k for k in _LIMIT_KINDS if k in value]
        if len(kinds) == 1 and isinstance(value[kinds[0]], int) and value[kinds[0]] > 0:
            return {kinds[0]: value[kinds[0]]}
    raise WorkflowConfigError(f"{where}: give exactly one of working_days or calendar_days, a positive whole number")


def _days(where: str, value) -> int:
    if isinstance(value, dict):
        value = value.get("working_days")
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise WorkflowConfigError(f"{where}: working_days must be a positive whole number")
    return value


def _version(where: str, raw: dict, base: Procedure | None) -> Procedure:
    if not isinstance(raw, dict):
        raise WorkflowConfigError(f"{where}: a version is a mapping")
    unknown = set(raw) - {
        "valid_from",
        "source",
        "steps",
        "step_limits",
        "overall",
        "extension",
        "on_objection",
        "appeal",
    }
    if unknown:
        raise WorkflowConfigError(f"{where}: unknown keys {sorted(unknown)}")
    valid_from = raw.get("valid_from")
    if not isinstance(valid_from, dt.date):
        raise WorkflowConfigError(f"{where}: valid_from must be a date (YYYY-MM-DD)")
    steps = raw.get("steps", base.steps if base else None)
    if not isinstance(steps, list) or not steps:
        raise WorkflowConfigError(f"{where}: steps must be a list")
    bad = [s for s in steps if s not in ORDER]
    if bad:
        raise WorkflowConfigError(f"{where}: unknown steps {bad}; known: {ORDER}")
    if steps != sorted(set(steps), key=ORDER.index):
        raise WorkflowConfigError(f"{where}: steps must be in the order {ORDER}, each once")
    if steps[0] != Step.ACCEPTANCE or Step.DECISION not in steps:
        raise WorkflowConfigError(f"{where}: a procedure starts with acceptance and has a decision")
    limits = dict(base.step_limits) if base else {}
    for step, value in (raw.get("step_limits") or {}).items():
        if step not in ORDER:
            raise WorkflowConfigError(f"{where}.step_limits: unknown step {step!r}")
        limits[step] = _limit(f"{where}.step_limits.{step}", value)
    if Step.PUBLIC_NOTICE in steps and Step.PUBLIC_NOTICE not in limits:
        raise WorkflowConfigError(f"{where}: a public notice needs a limit (its length)")
    overall = _days(f"{where}.overall", raw["overall"]) if "overall" in raw else (base.overall if base else None)
    extension = (
        _days(f"{where}.extension", raw["extension"]) if "extension" in raw else (base.extension if base else None)
    )
    if overall is None or extension is None:
        raise WorkflowConfigError(f"{where}: overall and extension are required")
    if extension < overall:
        raise WorkflowConfigError(f"{where}: the extension ({extension}) is shorter than the limit ({overall})")
    on_objection = raw["on_objection"] if "on_objection" in raw else (base.on_objection if base else None)
    if on_objection is not None:
        if on_objection not in steps or Step.PUBLIC_NOTICE not in steps:
            raise WorkflowConfigError(f"{where}: on_objection must be a step of the procedure, and it needs a notice")
        if ORDER.index(on_objection) >= ORDER.index(Step.PUBLIC_NOTICE):
            raise WorkflowConfigError(f"{where}: on_objection must come before the public notice")
    elif Step.PUBLIC_NOTICE in steps:
        raise WorkflowConfigError(f"{where}: a procedure with a public notice says where an objection sends the case")
    if "appeal" in raw:
        appeal = _limit(f"{where}.appeal", raw["appeal"])
    elif base is not None:
        appeal = dict(base.appeal)
    else:
        raise WorkflowConfigError(f"{where}: appeal is required (the time limit to appeal a decision)")
    return Procedure(
        version=where,
        valid_from=valid_from,
        steps=list(steps),
        step_limits={s: limits[s] for s in steps if s in limits},
        overall=overall,
        extension=extension,
        on_objection=on_objection,
        appeal=appeal,
    )


def _dated(where: str, raw) -> list[dict]:
    if not isinstance(raw, list) or not raw:
        raise WorkflowConfigError(f"{where}: a list of dated versions")
    dates = [v.get("valid_from") for v in raw if isinstance(v, dict)]
    if len(dates) != len(raw) or len(set(dates)) != len(dates):
        raise WorkflowConfigError(f"{where}: every version needs its own valid_from")
    return sorted(raw, key=lambda v: v["valid_from"])


@dataclass(frozen=True)
class WorkflowConfig:
    default: list[Procedure]
    # policy → its raw dated overrides (merged with the default in force on the day asked)
    overrides: dict[str, list[dict]]

    def procedure_for(self, policy_code: str, on: dt.date) -> Procedure:
        default = _in_force(self.default, on) or self.default[0]
        raw = [v for v in self.overrides.get(policy_code, []) if v["valid_from"] <= on]
        if not raw:
            return default
        return _version(f"{policy_code}@{raw[-1]['valid_from'].isoformat()}", raw[-1], default)


def _in_force(procedures: list[Procedure], on: dt.date) -> Procedure | None:
    found = [p for p in procedures if p.valid_from <= on]
    return found[-1] if found else None


def workflow_parse(text: str) -> WorkflowConfig:
    """Parse and check the whole file; every override is checked against every default version."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise WorkflowConfigError(f"workflow.yaml is not valid YAML: {e}") from None
    if not isinstance(raw, dict) or set(raw) - {"default", "policies"}:
        raise WorkflowConfigError("workflow.yaml has two keys: default and policies")
    default = [
        _version(f"default@{v['valid_from'].isoformat()}", v, None) for v in _dated("default", raw.get("default"))
    ]
    overrides = {}
    for code, versions in (raw.get("policies") or {}).items():
        versions = _dated(f"policies.{code}", versions)
        for v in versions:
            # Checked now against the default in force on its date, so a bad override fails at load.
            _version(f"{code}@{v['valid_from']}", v, _in_force(default, v["valid_from"]) or default[0])
        overrides[str(code)] = versions
    return WorkflowConfig(default=default, overrides=overrides)


_lock = threading.Lock()
_cache: dict = {}


def workflow_config(path: Path | None = None) -> WorkflowConfig:
    """The parsed file, cached per process and re-read when the file changes (mtime)."""
    path = path or WORKFLOW_FILE
    stamp = (str(path), path.stat().st_mtime_ns)
    with _lock:
        if _cache.get("stamp") == stamp:
            return _cache["config"]
    config = workflow_parse(path.read_text(encoding="utf-8"))
    with _lock:
        _cache.update(stamp=stamp, config=config)
    return config


def procedure_for(policy_code: str, on: dt.date) -> dict:
    """The procedure in force for a policy on a day, as the JSON a case keeps."""
    return workflow_config().procedure_for(policy_code, on).as_json()


# --- date arithmetic on a stored procedure --------------------------------------------------------------


def step_due(procedure: dict, step: str, start: dt.date) -> dt.date | None:
    limit = procedure.get("step_limits", {}).get(step)
    if not limit:
        return None
    if "calendar_days" in limit:
        return start + dt.timedelta(days=limit["calendar_days"])
    return add_working_days(start, limit["working_days"])


def next_step(procedure: dict, step: str) -> str:
    """The step after `step` in this procedure (closed after the last)."""
    steps = procedure["steps"]
    i = steps.index(step)
    return steps[i + 1] if i + 1 < len(steps) else Step.CLOSED.value


def has_step(procedure: dict, step: str) -> bool:
    return step in procedure["steps"]


def appeal_due(procedure: dict, policy_code: str, start: dt.date) -> dt.date:
    """The last day to appeal a decision made known on `start`. A case opened before appeals were configured
    keeps no limit in its procedure: the limit in force for its policy on `start` applies."""
    limit = procedure.get("appeal") or workflow_config().procedure_for(policy_code, start).appeal
    if "calendar_days" in limit:
        return start + dt.timedelta(days=limit["calendar_days"])
    return add_working_days(start, limit["working_days"])
