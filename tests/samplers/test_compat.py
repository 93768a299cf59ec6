"""Start-up compatibility of losses and samplers (sentemb.samplers.compat)."""

import pytest

from sentemb.bases import LossBase
from sentemb.losses.infonce import InfoNCELoss
from sentemb.methods.vascl import VaSCLLoss
from sentemb.samplers.compat import IncompatibleConfigError, check_compatible
from sentemb.samplers.debiased import DebiasedSampler
from sentemb.samplers.hard import HardNegativeSampler
from sentemb.samplers.in_batch import InBatchSampler
from sentemb.samplers.knn import KnnSampler


@pytest.mark.parametrize("loss,sampler", [
    (InfoNCELoss(), InBatchSampler()), (InfoNCELoss(), DebiasedSampler()), (InfoNCELoss(), HardNegativeSampler()),
    (VaSCLLoss(), KnnSampler(4)), (InfoNCELoss(), DebiasedSampler(0.0)),
])
def test_compatible_pairs_pass(loss, sampler):
    check_compatible(loss, sampler, batch_size=8)


def test_a_loss_that_ignores_tau_plus_is_refused_naming_both_settings():
    class PlainLoss(LossBase):  # e.g. a loss that does not know DCL
        config_name = "plain"

    with pytest.raises(IncompatibleConfigError, match=r"loss=plain .*sampler=debiased.*sampler\.tau_plus=0\.1"):
        check_compatible(PlainLoss(), DebiasedSampler(0.1))
    check_compatible(PlainLoss(), DebiasedSampler(0.0, anchors="first_view"))  # tau_plus 0 asks for nothing
    # DCL's layout leaves each anchor's similarity to itself out through the weights
    with pytest.raises(IncompatibleConfigError, match=r"loss=plain .*sampler\.anchors=all_views"):
        check_compatible(PlainLoss(), DebiasedSampler(0.0))


def test_infonce_with_knn_is_refused():
    with pytest.raises(IncompatibleConfigError, match=r"loss=infonce.*sampler=knn.*sampler\.k=4"):
        check_compatible(InfoNCELoss(), KnnSampler(4))


@pytest.mark.parametrize("sampler", [InBatchSampler(), DebiasedSampler(), HardNegativeSampler()])
def test_vascl_without_knn_is_refused(sampler):
    # DCL/HCL's weights are refused first (VaSCL does not use them), in_batch for lacking neighbourhoods
    with pytest.raises(IncompatibleConfigError,
                       match=r"loss=vascl (needs .*neighbourhoods.*sampler=knn|cannot use what sampler=(debiased|hard))"):
        check_compatible(VaSCLLoss(), sampler)


@pytest.mark.parametrize("batch_size", [16, 8])
def test_k_at_or_above_batch_size_is_refused(batch_size):
    with pytest.raises(IncompatibleConfigError, match=rf"sampler.k=16.*data.batch_size={batch_size}"):
        check_compatible(VaSCLLoss(), KnnSampler(16), batch_size=batch_size)
    check_compatible(VaSCLLoss(), KnnSampler(batch_size - 1), batch_size=batch_size)
