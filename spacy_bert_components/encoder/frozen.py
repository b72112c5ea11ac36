"""Training heads on a frozen shared encoder with `spacy train`.

spaCy's `init_nlp` disables `[training] frozen_components` while it
initializes the pipeline, because it expects them to be sourced, already
trained. A frozen *packaged* encoder is not sourced: it still has to load its
weights and tell its listeners their width before they are initialized.
This callback does that:

    [initialize.before_init]
    @callbacks = "spacy-bert-components.init_frozen_encoder.v1"
    component = "transformer"
"""

from typing import Any, Callable

from spacy.language import Language
from spacy.util import registry


@registry.callbacks("spacy-bert-components.init_frozen_encoder.v1")
def make_init_frozen_encoder(component: str = "transformer") -> Callable[[Language], Language]:
    """Initialize a frozen transformer component that `init_nlp` skipped.

    component (str): Name of the transformer component.
    RETURNS (Callable[[Language], Language]): The `before_init` callback.
    """

    def init_frozen_encoder(nlp: Language) -> Language:
        pipe = _get_component(nlp, component, "[initialize.before_init]")
        if not pipe.model.attrs.get("has_transformer", False):
            pipe.model.initialize(X=[nlp.make_doc("init")])
        # Transformer.initialize would link the listeners, but only through
        # nlp.pipeline, which leaves out the (disabled) frozen component.
        _link_all_listeners(nlp, component)
        return nlp

    return init_frozen_encoder


@registry.callbacks("spacy-bert-components.link_sourced_listeners.v1")
def make_link_sourced_listeners(component: str = "transformer") -> Callable[[Language], Language]:
    """Link the listeners of sourced components to a transformer trained
    anew, e.g. trained heads sourced beside a fresh adapted encoder.

    `init_nlp` disables sourced components while it initializes the rest,
    and linking then goes through `nlp.pipeline`, which leaves them out: the
    transformer forgets their listeners, and their first update fails with
    E203. As `[initialize.after_init]`, this relinks over every component:

        [initialize.after_init]
        @callbacks = "spacy-bert-components.link_sourced_listeners.v1"
        component = "transformer"

    component (str): Name of the transformer component.
    RETURNS (Callable[[Language], Language]): The `after_init` callback.
    """

    def link_sourced_listeners(nlp: Language) -> Language:
        _get_component(nlp, component, "[initialize.after_init]")
        _link_all_listeners(nlp, component, forget=True)
        return nlp

    return link_sourced_listeners


def _get_component(nlp: Language, component: str, section: str) -> Any:
    if component not in nlp.component_names:
        raise ValueError(
            f"{section} component = {component!r} is not in the pipeline ({', '.join(nlp.component_names)})."
        )
    return nlp.get_pipe(component)


def _link_all_listeners(nlp: Language, component: str, *, forget: bool = False) -> None:
    """Link the transformer `component` to the listeners of every component
    after it, disabled ones included (`nlp.component_names`, where spaCy's
    own linking goes through `nlp.pipeline`). forget: drop the links it had."""
    pipe = nlp.get_pipe(component)
    if forget:
        pipe.listener_map = {}
    names = nlp.component_names
    for name in names[names.index(component) + 1 :]:
        pipe.find_listeners(nlp.get_pipe(name))
