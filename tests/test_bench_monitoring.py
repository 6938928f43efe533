"""The monitoring benchmark (bench/monitoring.py) on a small city in the test database, so it cannot rot: the
synthetic city is written and is what the registry and feed models expect, the run raises all three kinds of
warning from it, and the per-household peer agrees with the run on its sample."""

import importlib.util
import sys
from pathlib import Path

import pytest

from zhongfu.feeds.models import FeedRecord
from zhongfu.feeds.schemas import FEEDS
from zhongfu.monitoring.models import WarningKind
from zhongfu.registry.models import Household, Membership

BENCH = Path(__file__).resolve().parent.parent / "bench"
N = 400

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location("bench_monitoring", BENCH / "monitoring.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_monitoring"] = module
    spec.loader.exec_module(module)
    return module


def test_the_bench_city_and_run(bench):
    setup = bench.prepare(N, seed=7, bulk=False)
    assert Household.objects.count() == N == setup["households"]
    assert 2.2 < Membership.objects.count() / N < 2.8
    assert setup["feed_records"] >= 5 * N and len(setup["feed_records_by_feed"]) >= 6
    for record in FeedRecord.objects.all()[:2000]:
        assert set(record.values) <= set(FEEDS[record.feed].by_key), record.values
    assert record.person_id is not None

    sample = bench.peer_sample(N, 7, share=0.1)
    peer = bench.run_peer(sample)
    ours = bench.run_ours()
    kinds = ours["warnings_by_kind"]
    for kind in (WarningKind.AT_RISK, WarningKind.ELIGIBLE_NOT_ENROLLED, WarningKind.NO_LONGER_QUALIFYING):
        assert kinds.get(kind, 0) > 0, kinds
    agreement = bench.compare(peer["warnings"], ours["run_id"], sample)
    assert agreement["agree"], agreement
    assert agreement["sample_warnings"] > 0
    assert set(ours["stages"]) >= {"signal_inputs", "scores", "screening", "candidates", "insert"}
