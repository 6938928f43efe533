"""Reads of the risk model: the version in force (loaded and checked once per version) and the history."""

import functools

from django.utils.translation import gettext_lazy as _

from zhongfu.common.errors import NotFound

from .models import RiskModelStatus, RiskModelVersion
from .riskmodel import RiskModel, load_risk_model

DEFAULT_CODE = "default"


@functools.lru_cache(maxsize=16)
def _loaded(content_hash: str, content: str) -> RiskModel:
    # Keyed by the hash: a new approval is a new key, so nothing needs clearing.
    return load_risk_model(content)


def risk_model_version_in_force(code: str = DEFAULT_CODE) -> RiskModelVersion:
    version = RiskModelVersion.objects.filter(code=code, status=RiskModelStatus.APPROVED).first()
    if version is None:
        raise NotFound(_("No risk model “%(code)s” is approved yet."), field="model", code=code)
    return version


def risk_model_in_force(code: str = DEFAULT_CODE) -> RiskModel:
    """The approved model, checked; NotFound when none is approved (`zhongfu monitoring_sync` adds the shipped one)."""
    version = risk_model_version_in_force(code)
    return _loaded(version.content_hash, version.content)


def risk_model_versions(code: str = DEFAULT_CODE):
    """Every version of a model, newest first, with who proposed and who decided."""
    return RiskModelVersion.objects.filter(code=code).select_related("proposed_by", "approved_by").order_by("-pk")
