"""Maker-checker for the risk model: proposed by one city administrator, approved by another, audited;
the approved version is the one in force and retires the previous one."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from zhongfu.accounts.roles import Role
from zhongfu.audit.models import AuditEntry
from zhongfu.common.errors import InvalidInput, NotFound, PermissionDenied
from zhongfu.monitoring.models import RiskModelStatus, RiskModelVersion
from zhongfu.monitoring.selectors import risk_model_in_force
from zhongfu.monitoring.services import (
    SHIPPED_DIR,
    RiskModelInvalid,
    risk_model_approve,
    risk_model_propose,
    risk_model_reject,
    risk_model_sync,
)

SHIPPED = (SHIPPED_DIR / "default.yaml").read_text(encoding="utf-8")
CHANGED = SHIPPED.replace("min_score: 60", "min_score: 70")


def test_no_model_in_force_until_one_is_approved(db):
    with pytest.raises(NotFound):
        risk_model_in_force()


def test_the_shipped_model_is_approved_by_the_system_once(db):
    added = risk_model_sync()
    assert len(added) == 1 and added[0].status == RiskModelStatus.APPROVED and added[0].approved_by is None
    assert risk_model_sync() == []
    assert risk_model_in_force().tiers[0].min_score == 60


def test_maker_checker(admin, admin2):
    risk_model_sync()
    version = risk_model_propose(actor=admin, content=CHANGED, note="stricter red")
    assert version.status == RiskModelStatus.PROPOSED
    assert risk_model_in_force().tiers[0].min_score == 60  # nothing changes before approval
    with pytest.raises(PermissionDenied) as caught:
        risk_model_approve(actor=admin, version_id=version.pk)
    assert "another administrator" in str(caught.value)
    approved = risk_model_approve(actor=admin2, version_id=version.pk, note="ok")
    assert approved.status == RiskModelStatus.APPROVED and approved.approved_by == admin2 and approved.valid_from
    assert risk_model_in_force().tiers[0].min_score == 70
    old = RiskModelVersion.objects.get(note="shipped")
    assert old.status == RiskModelStatus.RETIRED and old.valid_until == approved.valid_from
    actions = list(
        AuditEntry.objects.filter(object_type="risk_model_version").order_by("seq").values_list("action", flat=True)
    )
    assert actions[-3:] == ["propose", "update", "approve"]
    # a decided proposal cannot be decided again
    with pytest.raises(InvalidInput):
        risk_model_approve(actor=admin2, version_id=version.pk)


def test_the_database_refuses_the_maker_as_checker(admin):
    version = risk_model_propose(actor=admin, content=SHIPPED)
    version.status, version.approved_by, version.valid_from = RiskModelStatus.APPROVED, admin, timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        version.save()


def test_a_bad_proposal_is_refused_with_the_signal(admin):
    bad = SHIPPED.replace("when: unemployed_members > 0", "when: unemployed_member > 0")
    with pytest.raises(RiskModelInvalid) as caught:
        risk_model_propose(actor=admin, content=bad)
    assert caught.value.field == "content"
    assert "signal unemployment (when) column 1" in str(caught.value)
    assert "did you mean “unemployed_members”" in str(caught.value)
    assert not RiskModelVersion.objects.exists()


def test_duplicates_rejection_and_permissions(admin, admin2, users):
    risk_model_sync()
    with pytest.raises(InvalidInput, match="in force"):
        risk_model_propose(actor=admin, content=SHIPPED)
    version = risk_model_propose(actor=admin, content=CHANGED)
    with pytest.raises(InvalidInput, match="already waiting"):
        risk_model_propose(actor=admin2, content=CHANGED)
    with pytest.raises(PermissionDenied):
        risk_model_propose(actor=users[Role.DISTRICT_CASEWORKER], content=CHANGED + "\n")
    with pytest.raises(PermissionDenied):
        risk_model_approve(actor=users[Role.DISTRICT_CASEWORKER], version_id=version.pk)
    with pytest.raises(InvalidInput):
        risk_model_reject(actor=admin2, version_id=version.pk, note="")
    rejected = risk_model_reject(actor=admin2, version_id=version.pk, note="too strict")
    assert rejected.status == RiskModelStatus.REJECTED
    assert risk_model_in_force().tiers[0].min_score == 60
    with pytest.raises(NotFound):
        risk_model_approve(actor=admin2, version_id=10**9)
