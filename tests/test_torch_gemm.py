"""`TorchGemmOps.gemm` gives thinc's `NumpyOps.gemm` results, in every layout."""

import numpy
import pytest
from thinc.api import Maxout, NumpyOps, chain

from spacy_bert_components.torch_gemm import TORCH_GEMM_OPS, use_torch_gemm


@pytest.mark.parametrize("trans1", [False, True])
@pytest.mark.parametrize("trans2", [False, True])
@pytest.mark.parametrize("with_out", [False, True])
def test_gemm_equals_numpy_ops(trans1, trans2, with_out):
    rng = numpy.random.default_rng(0)
    x = rng.standard_normal((37, 19) if not trans1 else (19, 37)).astype("float32")
    y = rng.standard_normal((19, 23) if not trans2 else (23, 19)).astype("float32")
    expected = NumpyOps().gemm(x, y, trans1=trans1, trans2=trans2)
    if with_out:
        out = numpy.full((37, 23), 7.0, dtype="float32")
        found = TORCH_GEMM_OPS.gemm(x, y, out=out, trans1=trans1, trans2=trans2)
        assert found is out
    else:
        found = TORCH_GEMM_OPS.gemm(x, y, trans1=trans1, trans2=trans2)
    assert found.shape == (37, 23)
    numpy.testing.assert_allclose(found, expected, rtol=1e-5, atol=1e-5)


def test_gemm_falls_back_where_torch_cannot_view():
    rng = numpy.random.default_rng(1)
    x = rng.standard_normal((8, 5)).astype("float32")[::-1]  # negative strides
    y = rng.standard_normal((5, 3)).astype("float32")
    numpy.testing.assert_allclose(TORCH_GEMM_OPS.gemm(x, y), NumpyOps().gemm(x, y), rtol=1e-5, atol=1e-6)
    frozen = rng.standard_normal((5, 3)).astype("float32")
    frozen.flags.writeable = False
    numpy.testing.assert_allclose(TORCH_GEMM_OPS.gemm(x.copy(), frozen), NumpyOps().gemm(x.copy(), frozen), rtol=1e-5)


def test_a_model_on_torch_gemm_predicts_what_it_did_on_numpy_ops():
    model = chain(Maxout(16, 12, nP=3), Maxout(8, 16, nP=2))
    X = numpy.random.default_rng(2).standard_normal((50, 12)).astype("float32")
    model.initialize(X=X)
    expected = model.predict(X)
    use_torch_gemm(model)
    assert all(type(node.ops) is type(TORCH_GEMM_OPS) for node in model.walk())
    numpy.testing.assert_allclose(model.predict(X), expected, rtol=1e-5, atol=1e-6)
