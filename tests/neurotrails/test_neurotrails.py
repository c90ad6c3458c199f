import pytest
import torch
from transformers import LlamaConfig

from reprolab.neurotrails.ensemble import ensemble_logits, scores
from reprolab.neurotrails.lm_heads import MultiHeadCausalLM
from reprolab.neurotrails.models import MultiHeadResNet, ResNetConfig, unpack_heads
from reprolab.sparsity import DSTConfig, DynamicSparsity

SMALL = ResNetConfig(channels=(8, 16), blocks_per_stage=1)


def test_packed_heads_equal_independent_heads_and_the_trunk_is_shared():
    torch.manual_seed(0)
    model = MultiHeadResNet(SMALL, n_heads=3, blocks_in_head=2).eval()
    x = torch.randn(5, 1, 40)
    packed = model(x).logits  # (5, 3, 10)
    features = model.trunk(x)
    loop = torch.cat([head(features) for head in unpack_heads(model)], 1)
    assert torch.allclose(packed, loop, atol=1e-5)
    trunk = sum(p.numel() for p in model.trunk.parameters())
    one_head = sum(p.numel() for p in unpack_heads(model)[0].parameters())
    assert sum(p.numel() for p in model.parameters()) == trunk + 3 * one_head


def test_heads_start_different_and_ensemble_is_the_mean_of_head_logits():
    torch.manual_seed(0)
    model = MultiHeadResNet(SMALL, n_heads=3, blocks_in_head=1).eval()
    logits = model(torch.randn(4, 40)).logits
    assert not torch.allclose(logits[:, 0], logits[:, 1])
    assert torch.allclose(ensemble_logits(logits), logits.mean(1))
    probs = ensemble_logits(logits, "probs").exp()
    assert torch.allclose(probs, logits.softmax(-1).mean(1), atol=1e-6)


def test_scores_on_a_hand_made_case():
    # two heads, two inputs: head 0 right on both, head 1 right on the first only
    logits = torch.tensor([[[5.0, 0.0], [5.0, 0.0]], [[0.0, 5.0], [5.0, 0.0]]])
    out = scores(logits, torch.tensor([0, 1]))
    assert out["member_accuracy"] == 0.75 and out["disagreement"] == 0.5
    assert out["disagreement_with_diagonal"] == 0.25 and out["kl"] > 0


def test_dst_keeps_each_heads_density_exact_through_training_steps():
    torch.manual_seed(0)
    model = MultiHeadResNet(SMALL, n_heads=3, blocks_in_head=2)
    weights, groups = model.masked_weights()
    dst = DynamicSparsity(weights, DSTConfig(density=0.3, update_every=1), total_steps=5, groups=groups)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for step in range(4):
        out = model(torch.randn(8, 1, 40), torch.randint(0, 10, (8,)))
        out.loss.backward()
        dst.after_backward(step, model)
        opt.step()
        dst.after_step(step, model, opt)
        opt.zero_grad()
        for name, counts in dst.live_counts().items():
            assert counts == [dst.live_per_group[name]] * groups[name]
            assert (weights[name].detach()[~dst.masks[name]] == 0).all()
    assert len(dst.updates) == 3 and sum(u["changed"] for u in dst.updates) > 0


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="blocks_in_head must be in"):
        MultiHeadResNet(SMALL, 3, 9)
    with pytest.raises(ValueError, match="at least 1"):
        MultiHeadResNet(SMALL, 0, 1)
    from reprolab.neurotrails.config import NeuroTrailsConfig
    with pytest.raises(ValueError, match="parameter .n_heads. got 1; allowed: >=2"):
        NeuroTrailsConfig(n_heads=1)
    with pytest.raises(ValueError, match=r"parameter .density. got 0.0; allowed: \(0,1\]"):
        NeuroTrailsConfig(density=0.0)


def test_multi_head_lm_shares_its_trunk_and_averages_heads():
    config = LlamaConfig(vocab_size=16, hidden_size=32, intermediate_size=64, num_hidden_layers=3, num_attention_heads=2,
                         num_key_value_heads=2, max_position_embeddings=32)
    model = MultiHeadCausalLM(config, n_heads=2, blocks_in_head=1).eval()
    ids = torch.randint(0, 16, (2, 8))
    out = model(ids, labels=ids)
    assert out.logits.shape == (2, 2, 8, 16) and torch.isfinite(out.loss)
    assert len(model.trunk.layers) == 2 and all(len(h.model.layers) == 1 for h in model.heads)
    hidden = model.trunk(input_ids=ids).last_hidden_state
    assert torch.allclose(out.logits[:, 1], model.heads[1](inputs_embeds=hidden).logits, atol=1e-6)


def test_matching_density_hits_the_non_zero_budget():
    from reprolab.neurotrails import NeuroTrailsConfig, matching_density

    cfg = NeuroTrailsConfig(channels=(8, 16), blocks_per_stage=1, blocks_in_head=2, sweep_blocks=(0, 2))
    model = MultiHeadResNet(ResNetConfig((8, 16), 1), 3, 2)
    weights, groups = model.masked_weights()
    d = matching_density(cfg, 2, 2000)
    dst = DynamicSparsity(weights, DSTConfig(density=d, distribution="uniform"), 10, groups)
    total = sum(p.numel() for p in model.parameters()) - sum(w.numel() for w in weights.values()) + dst.nonzeros()
    assert abs(total - 2000) < 20
    assert matching_density(cfg, 2, 10**9) == 1.0
    from reprolab.neurotrails import nonzero_budget
    assert matching_density(cfg, 2, nonzero_budget(cfg, 2, 0.3)) == pytest.approx(0.3, abs=1e-3)


TINY_2D = ResNetConfig(channels=(4, 8), blocks_per_stage=(1, 1), kernel=3, n_classes=5, dims=2, bottleneck=True,
                       in_channels=3, imagenet_stem=True)


def test_packed_2d_bottleneck_heads_equal_independent_heads():
    torch.manual_seed(0)
    model = MultiHeadResNet(TINY_2D, n_heads=3, blocks_in_head=2).eval()
    x = torch.randn(2, 3, 32, 32)
    features = model.trunk(x)
    loop = torch.cat([head(features) for head in unpack_heads(model)], 1)
    assert model(x).logits.shape == (2, 3, 5) and torch.allclose(model(x).logits, loop, atol=1e-5)


def test_resnet_presets_have_torchvisions_parameter_counts():
    from reprolab.neurotrails import resnet_preset

    counts = {name: sum(p.numel() for p in MultiHeadResNet(resnet_preset(name), 1, 0).parameters())
              for name in ("resnet18", "resnet50")}
    assert counts == {"resnet18": 11_689_512, "resnet50": 25_557_032}  # torchvision.models.resnet18/50()
    assert resnet_preset("resnet50").n_units == 17  # stem + 3 + 4 + 6 + 3 blocks
    with pytest.raises(ValueError, match="unknown ResNet preset"):
        resnet_preset("resnet34")


def test_batched_scores_equal_scores_over_everything():
    from reprolab.neurotrails import batched_scores

    torch.manual_seed(0)
    logits, labels = torch.randn(50, 3, 4), torch.randint(0, 4, (50,))
    whole = scores(logits, labels)
    parts = batched_scores(zip(logits.split(16), labels.split(16)))
    assert parts.keys() == whole.keys() and all(parts[k] == pytest.approx(whole[k], abs=1e-6) for k in whole)


def test_image_folder_runs_through_resnet18_heads(tmp_path):
    from PIL import Image

    from reprolab.neurotrails import NeuroTrailsConfig, Variant, run_vision, vision_data

    for split, per_class in (("train", 4), ("val", 2)):
        for c, color in (("cat", (200, 10, 10)), ("dog", (10, 10, 200))):
            (tmp_path / split / c).mkdir(parents=True)
            for i in range(per_class):
                Image.new("RGB", (36, 36), tuple(v + 5 * i for v in color)).save(tmp_path / split / c / f"{i}.jpg")
    cfg = NeuroTrailsConfig(arch="resnet18", image_root=str(tmp_path), image_size=32, blocks_in_head=3, epochs=1,
                            batch_size=4, sweep_blocks=(), lr_schedule="multistep", nesterov=False, device="cpu")
    data = vision_data(cfg)
    assert data["n_classes"] == 2 and len(data["train"]) == 8 and len(data["test"]) == 4
    result = run_vision(cfg, data, Variant("neurotrails", 3, 3, 0.3), seed=0, log_dir=tmp_path / "runs")
    assert result.density_exact and 0 <= result.scores["accuracy"] <= 1
    assert (tmp_path / "runs" / "neurotrails-b3-seed0" / "history.jsonl").is_file()


def test_vision_config_errors_name_the_fix(tmp_path):
    from reprolab.neurotrails import NeuroTrailsConfig, vision_data

    with pytest.raises(ValueError, match="need image_root"):
        NeuroTrailsConfig(arch="resnet50")
    with pytest.raises(ValueError, match="unknown arch"):
        NeuroTrailsConfig(arch="vgg16")
    with pytest.raises(FileNotFoundError, match="missing: .*val"):
        (tmp_path / "train").mkdir()
        vision_data(NeuroTrailsConfig(arch="resnet50", image_root=str(tmp_path), blocks_in_head=10, sweep_blocks=()))


def test_language_heads_sum_their_losses_as_the_official_code():
    from transformers import LlamaConfig

    from reprolab.neurotrails.lm_heads import MultiHeadCausalLM

    config = LlamaConfig(vocab_size=20, hidden_size=16, intermediate_size=32, num_hidden_layers=2, num_attention_heads=2,
                         num_key_value_heads=2, max_position_embeddings=32)
    ids = torch.randint(0, 20, (2, 8))
    summed = MultiHeadCausalLM(config, 3, 1, seed=0)(ids, labels=ids).loss
    mean = MultiHeadCausalLM(config, 3, 1, seed=0, head_loss="mean")(ids, labels=ids).loss
    torch.testing.assert_close(summed, 3 * mean)
