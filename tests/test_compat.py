"""`_compat.py`'s seams: each test fails on the first thinc, spacy-transformers
or transformers version that changes what the seam relies on (these read the
libraries' private attributes on purpose: the package does not)."""

import numpy
import spacy
from spacy_transformers.layers.hf_shim import HFShim
from spacy_transformers.layers.listener import TransformerListener
from spacy_transformers.layers.listener import forward as listener_forward
from spacy_transformers.layers.transformer_model import TransformerModel
from spacy_transformers.span_getters import configure_strided_spans
from thinc.api import PyTorchShim, PyTorchWrapper_v2
from thinc.layers.pytorchwrapper import forward as pytorch_forward

from spacy_bert_components._compat import pytorch_wrapper
from spacy_bert_components.encoder.listener import CheckedTransformerListener, _checked_forward
from spacy_bert_components.encoder.model import BertEncoderModel, _caching_forward, _resolving_init


def _node_shape(model):
    """What thinc's constructor was given, node by node: name, dims, attrs,
    params, refs and shim types."""
    return [
        (
            node.name,
            sorted(node.dim_names),
            sorted(node.attrs),
            sorted(node.param_names),
            sorted(node.ref_names),
            len(node.shims),
        )
        for node in model.walk()
    ]


def test_encoder_model_is_built_as_transformer_model_builds_itself():
    """`init_transformer_model`: the same nodes, dims, attrs (ours add some)
    and converters as `TransformerModel.__init__` builds, its wrapper's
    forward is thinc's PyTorch forward (what `HFWrapper` uses), and only the
    root's forward and init and the shim's class differ."""
    get_spans = configure_strided_spans(128, 96)
    plain = TransformerModel("bert", get_spans, {"use_fast": True}, {})
    ours = BertEncoderModel("bert", get_spans, {"use_fast": True}, {})
    plain_shape, our_shape = _node_shape(plain), _node_shape(ours)
    assert [s[:2] + s[3:] for s in plain_shape] == [s[:2] + s[3:] for s in our_shape]
    for plain_node, our_node in zip(plain.walk(), ours.walk()):
        assert set(plain_node.attrs) <= set(our_node.attrs)
    assert plain.layers[0].attrs == ours.layers[0].attrs
    assert plain.layers[0]._func is ours.layers[0]._func is pytorch_forward
    assert ours._func is _caching_forward and ours.init is _resolving_init
    plain_shim, our_shim = plain.layers[0].shims[0], ours.layers[0].shims[0]
    assert type(plain_shim) is HFShim and isinstance(our_shim, HFShim)
    assert set(vars(plain_shim)) <= set(vars(our_shim))
    assert our_shim._hfmodel._init_tokenizer_config == plain_shim._hfmodel._init_tokenizer_config


def test_listener_is_built_as_transformer_listener_builds_itself():
    """`init_transformer_listener`: the listener's state as spacy-transformers
    sets it, the node as thinc builds it, our forward."""
    plain = TransformerListener("transformer")
    ours = CheckedTransformerListener("transformer")
    assert _node_shape(plain) == _node_shape(ours)
    assert set(vars(plain)) <= set(vars(ours))
    assert plain._func is listener_forward and ours._func is _checked_forward


def test_listener_hears_the_batch_through_receive_and_backprop_and_clear():
    """The listener knows it holds a batch from the two public methods the
    transformer component and spacy-transformers' forward call: exactly when
    spacy-transformers' own `_batch_id` is set."""
    nlp = spacy.blank("en")
    docs = [nlp.make_doc("a b")]
    batch_id = TransformerListener.get_batch_id(docs)
    listener = CheckedTransformerListener("transformer")
    assert not listener.holds_batch and listener._batch_id is None
    listener.receive(batch_id, ["output"], lambda d_outputs: "backpropagated")
    assert listener.holds_batch and listener._batch_id is not None
    outputs, backprop = listener_forward(listener, docs, is_train=True)
    assert outputs == ["output"]
    assert backprop(None) == "backpropagated"
    assert not listener.holds_batch and listener._batch_id is None


def test_pytorch_wrapper_is_thincs_wrapper_with_a_given_shim():
    import torch

    module = torch.nn.Linear(2, 2)
    plain = PyTorchWrapper_v2(module)
    ours = pytorch_wrapper(PyTorchShim(module))
    assert _node_shape(plain) == _node_shape(ours)
    assert plain.attrs == ours.attrs
    assert plain._func is ours._func
    X = numpy.ones((1, 2), dtype="f")
    numpy.testing.assert_array_equal(plain.predict(X), ours.predict(X))


def test_bert_config_attn_implementation_picks_fused_attention():
    """The SRL head's copied layers ask for PyTorch's fused attention through
    the config's public `attn_implementation` argument."""
    from transformers.models.bert.modeling_bert import BertLayer, BertSdpaSelfAttention

    from spacy_bert_components.srl.top_layers_head import layer_config

    config = layer_config({"model_type": "bert", "hidden_size": 8, "num_attention_heads": 2, "intermediate_size": 16})
    assert isinstance(BertLayer(config).attention.self, BertSdpaSelfAttention)
