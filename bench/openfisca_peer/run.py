"""OpenFisca's side of `bench/screening.py`, run in .venv-openfisca as a subprocess:

    .venv-openfisca/bin/python bench/openfisca_peer/run.py --data DIR --out DIR/openfisca.parquet

Reads DIR/households/*.parquet, DIR/members/*.parquet (sorted by household) and DIR/params.json written by
the bench; builds the simulation (tax-benefit system, entities, inputs) and computes every policy's
eligibility and amount, timing each step; writes one row per household to --out and prints one JSON
object on stdout: timings, its peak memory, eligible counts and amount totals.
"""

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))

from country import POLICIES, ZhongfuRules, parameter_tree  # noqa: E402
from openfisca_core.simulations import SimulationBuilder  # noqa: E402

HOUSEHOLD_MONEY = ("monthly_income", "annual_medical_expenses", "annual_education_expenses", "financial_assets")
HOUSEHOLD_COUNTS = ("vehicles", "company_roles", "homes", "home_floor_area")
MEMBER_FIELDS = ("age", "disabled", "disability_grade", "serious_illness", "labour_capacity")


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM: not the parent's, which ru_maxrss keeps across exec)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def load(data: Path) -> tuple[dict, dict, dict]:
    # Only the columns the rules read.
    households = pl.read_parquet(
        data / "households" / "*.parquet",
        columns=["household_id", "home_bought_within_year", *HOUSEHOLD_MONEY, *HOUSEHOLD_COUNTS],
    )
    members = pl.read_parquet(data / "members" / "*.parquet", columns=["household_id", *MEMBER_FIELDS])
    params = json.loads((data / "params.json").read_text())
    h = {name: households[name].to_numpy() for name in ("household_id", "home_bought_within_year")}
    for name in HOUSEHOLD_MONEY + HOUSEHOLD_COUNTS:
        column = households[name]
        h[name] = column.fill_null(0).to_numpy()
        if name in ("monthly_income", "home_floor_area"):
            h[name + "_known"] = column.is_not_null().to_numpy()
    m = {name: members[name].to_numpy() for name in ("household_id", *MEMBER_FIELDS)}
    m["labour_capacity"] = m["labour_capacity"].astype(str)  # OpenFisca encodes enums from numpy unicode
    return h, m, params


def build(h: dict, m: dict, params: dict):
    system = ZhongfuRules(parameter_tree(params["values"], params["instant"]))
    builder = SimulationBuilder()
    builder.create_entities(system)
    builder.declare_person_entity("person", np.arange(len(m["household_id"])))
    household = builder.declare_entity("household", h["household_id"])
    # Every person's household, and their role as an index into the one role (`member`).
    builder.join_with_persons(household, m["household_id"], np.zeros(len(m["household_id"]), dtype=np.int64))
    simulation = builder.build(system)
    period = params["period"]
    for name in HOUSEHOLD_MONEY:
        simulation.set_input(name, period, h[name] / 100.0)  # fen → yuan, stored as float32
    for name in (*HOUSEHOLD_COUNTS, "home_bought_within_year"):
        simulation.set_input(name, period, h[name])
    for name in ("monthly_income_known", "home_floor_area_known"):
        simulation.set_input(name, period, h[name])
    for name in MEMBER_FIELDS:
        simulation.set_input(name, period, m[name])
    return simulation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    started = time.perf_counter()
    h, m, params = load(args.data)
    load_s = time.perf_counter() - started

    started, cpu_started = time.perf_counter(), cpu_seconds()
    simulation = build(h, m, params)
    build_s = time.perf_counter() - started

    started = time.perf_counter()
    results = {}
    for policy in POLICIES:
        results[f"{policy}_eligible"] = simulation.calculate(f"{policy}_eligible", params["period"])
        results[f"{policy}_amount"] = simulation.calculate(f"{policy}_amount", params["period"])
    compute_s = time.perf_counter() - started
    cpu_s = cpu_seconds() - cpu_started

    pl.DataFrame({"household_id": h["household_id"], **results}).write_parquet(args.out)
    import openfisca_core

    summary = {
        "openfisca_core": getattr(openfisca_core, "__version__", None) or _version("openfisca-core"),
        "numpy": np.__version__,
        "households": len(h["household_id"]),
        "persons": len(m["household_id"]),
        "load_s": load_s,
        "build_s": build_s,
        "compute_s": compute_s,
        "seconds": build_s + compute_s,
        "cpu_s": cpu_s,
        "peak_mb": peak_mb(),
        "amount_dtype": str(results[f"{POLICIES[0]}_amount"].dtype),
        "eligible": {p: int(results[f"{p}_eligible"].sum()) for p in POLICIES},
        # The total as OpenFisca's float32 arrays add up (numpy's pairwise float32 sum), and the exact sum
        # of the same float32 values.
        "amount_float32_sum_yuan": {p: float(results[f"{p}_amount"].sum()) for p in POLICIES},
        "amount_exact_sum_yuan": {p: float(results[f"{p}_amount"].astype(np.float64).sum()) for p in POLICIES},
    }
    print(json.dumps(summary))


def _version(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


if __name__ == "__main__":
    main()
