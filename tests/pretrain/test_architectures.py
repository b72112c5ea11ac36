"""Pre-training runs on the tiny MPNet and RoBERTa as on the tiny BERT
(`test_pretrain.py`): the held-out loss falls and the output is an encoder
folder of the same architecture that a pipeline takes."""

import pytest

from spacy_bert_components.pretrain.runner import pretrain_encoder

from .conftest import TOY_TEXT, Quiet, small_settings


@pytest.mark.parametrize("architecture,model_class", [("mpnet", "MPNetModel"), ("roberta", "RobertaModel")])
def test_pretraining_adapts_other_architectures(architecture, model_class, request, toy_corpus, tmp_path):
    import spacy
    from transformers import AutoModel, AutoModelForMaskedLM

    encoder = request.getfixturevalue(f"tiny_{architecture}")
    output = tmp_path / "out"
    metrics = pretrain_encoder([toy_corpus], output, encoder=encoder, settings=small_settings(), progress=Quiet)
    assert metrics["steps"] == 6 and metrics["new_head"] is True
    assert metrics["heldout_mlm_loss_after"] < metrics["heldout_mlm_loss_before"] - 0.3
    model, info = AutoModel.from_pretrained(str(output), output_loading_info=True)
    assert type(model).__name__ == model_class and info["missing_keys"] == []
    assert AutoModelForMaskedLM.from_pretrained(str(output), output_loading_info=True)[1]["missing_keys"] == []
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe(
        "transformer", config={"model": {"@architectures": "spacy-bert-components.Encoder.v2", "name": str(output)}}
    )
    nlp.initialize()
    assert nlp(TOY_TEXT)._.trf_data.model_output.last_hidden_state.shape[-1] == 32
