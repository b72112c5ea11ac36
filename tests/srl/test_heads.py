"""The PyTorch SRL heads on their own (no spaCy)."""

import torch

from spacy_bert_components.srl.pytorch_srl_model import SRLHead


def test_factorized_frame_input_equals_the_concatenation():
    """`SRLHead._frame_input` must compute `frame_input` over the concatenated
    [token; predicate; indicator; distance] input it replaces, so heads
    trained either way load and predict the same."""
    torch.manual_seed(0)
    head = SRLHead(16, n_tags=5, n_senses=3, position_size=4, max_distance=3).eval()
    X = torch.randn(2, 9, 16)
    pred_sent = torch.tensor([0, 0, 1])
    pred_pos = torch.tensor([1, 8, 4])
    offsets = torch.arange(9)[None, :] - pred_pos[:, None]
    Xv = X[pred_sent, pred_pos]
    concatenated = torch.cat(
        [
            X[pred_sent],
            Xv[:, None, :].expand(-1, 9, -1),
            head.indicator((offsets == 0).long()),
            head.distance(offsets.clamp(-3, 3) + 3),
        ],
        dim=-1,
    )
    expected = head.frame_input(concatenated)
    got = head._frame_input(X, Xv, pred_sent, offsets)
    assert got.shape == (3, 9, 16)
    assert torch.allclose(got, expected, atol=1e-5)
    # The gradient reaches the same weights.
    got.sum().backward()
    assert head.frame_input.weight.grad is not None and head.distance.weight.grad is not None


def test_between_features_sum_the_tokens_strictly_between():
    from spacy_bert_components.srl.conv_head import SRLConvHead

    torch.manual_seed(0)
    head = SRLConvHead(8, n_tags=5, n_senses=3, between_width=4).eval()
    X = torch.randn(2, 7, 8)
    sents = torch.tensor([0, 1, 1])
    positions = torch.tensor([0, 3, 6])
    mask = torch.ones((2, 7), dtype=torch.bool)
    got = head._between(head._between_prefix(X.reshape(14, 8), mask), sents, positions, 7)
    features = torch.relu(head.between_in(X))
    for g, (b, q) in enumerate(zip(sents.tolist(), positions.tolist())):
        for t in range(7):
            lo, hi = min(t, q) + 1, max(t, q)
            total = features[b, lo:hi].sum(dim=0) if hi > lo else torch.zeros(4)
            assert torch.allclose(got[g, t], head.between_out(torch.log1p(total)), atol=1e-5), (g, t)
    # Full forward with the feature, and without predicates.
    lengths = torch.tensor([7, 7])
    _, roles, senses, _, _, features, weight, bias = head(X, lengths, sents, positions)
    assert roles.shape == (3, 7, 6) and torch.isfinite(roles).all()
    # Prediction leaves the roleset logits to the component (candidates only).
    assert senses.shape == (3, 0) and features.shape == (3, 16)
    assert torch.allclose(features @ weight.T + bias, head.sense(features))
    head.train()
    _, _, senses, _, _, features, _, _ = head(X, lengths, sents, positions)
    assert torch.allclose(senses, head.sense(features)) and senses.shape == (3, 3)


def test_a_sentence_scores_the_same_alone_and_padded_in_a_batch():
    """The heads compute per-token parts on the real tokens only: a short
    sentence padded to a longer one in its batch gets the scores it gets alone."""
    from spacy_bert_components.srl.conv_head import SRLConvHead

    for head in (SRLHead(16, n_tags=5, n_senses=3), SRLConvHead(16, n_tags=5, n_senses=3, between_width=4)):
        torch.manual_seed(0)
        head.eval()
        X = torch.randn(2, 9, 16)
        X[0, 4:] = 0.0  # thinc pads with zeros
        batch = head(X, torch.tensor([4, 9]), torch.tensor([0, 1]), torch.tensor([1, 3]))
        alone = head(X[:1, :4], torch.tensor([4]), torch.tensor([0]), torch.tensor([1]))
        assert torch.allclose(batch[0][0, :4], alone[0][0], atol=1e-5)  # predicate logits
        assert torch.allclose(batch[1][0, :4], alone[1][0], atol=1e-5)  # role and head scores
        assert torch.allclose(batch[5][0], alone[5][0], atol=1e-5)  # roleset features
        second = head(X[1:], torch.tensor([9]), torch.tensor([0]), torch.tensor([3]))
        assert torch.allclose(batch[1][1], second[1][0], atol=1e-5)
        assert torch.allclose(batch[5][1], second[5][0], atol=1e-5)
