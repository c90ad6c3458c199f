import numpy as np
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


@pytest.mark.parametrize("cfg, blocks_in_head, x", [
    (SMALL, SMALL.n_units, torch.randn(6, 1, 40)),
    (ResNetConfig((8, 16), 1, imagenet_stem=True), 3, torch.randn(6, 1, 40)),  # 1-D stem with a max-pool in the heads
    (TINY_2D, 2, torch.randn(3, 3, 32, 32)),
    (TINY_2D, TINY_2D.n_units, torch.randn(3, 3, 32, 32))])
def test_per_head_and_grouped_layouts_train_the_same_network(cfg, blocks_in_head, x):
    torch.manual_seed(0)
    labels = torch.randint(0, cfg.n_classes, (x.shape[0],))
    grouped = MultiHeadResNet(cfg, 3, blocks_in_head, head_layout="grouped")
    per_head = MultiHeadResNet(cfg, 3, blocks_in_head, head_layout="per_head")
    per_head.load_state_dict(grouped.state_dict())
    optimizers = [torch.optim.SGD(m.parameters(), lr=0.1) for m in (grouped, per_head)]
    for _ in range(2):
        losses = []
        for model, opt in zip((grouped, per_head), optimizers):
            loss = model(x, labels).loss
            loss.backward()
            opt.step()
            opt.zero_grad()
            losses.append(loss.item())
        assert losses[0] == pytest.approx(losses[1], abs=1e-6)
    for (name, a), b in zip(grouped.state_dict().items(), per_head.state_dict().values()):
        assert torch.allclose(a.float(), b.float(), atol=1e-5), name  # weights, BN running stats and batch counts
    with torch.no_grad():
        assert torch.allclose(grouped.eval()(x).logits, per_head.eval()(x).logits, atol=1e-5)


def test_an_unknown_head_layout_is_named():
    with pytest.raises(ValueError, match="head_layout must be one of auto, grouped, per_head"):
        MultiHeadResNet(SMALL, 3, 1, head_layout="packed")


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
    cfg = NeuroTrailsConfig(dataset="image_folder", arch="resnet18", image_root=str(tmp_path), image_size=32, blocks_in_head=3, epochs=1,
                            batch_size=4, sweep_blocks=(), lr_schedule="multistep", nesterov=False, device="cpu")
    data = vision_data(cfg)
    assert data["n_classes"] == 2 and len(data["train"]) == 8 and len(data["test"]) == 4
    result = run_vision(cfg, data, Variant("neurotrails", 3, 3, 0.3), seed=0, log_dir=tmp_path / "runs")
    assert result.density_exact and 0 <= result.scores["accuracy"] <= 1
    assert (tmp_path / "runs" / "neurotrails-b3-seed0" / "history.jsonl").is_file()


def test_vision_config_errors_name_the_fix(tmp_path):
    from reprolab.neurotrails import NeuroTrailsConfig, vision_data

    with pytest.raises(ValueError, match="image_root .* goes with dataset='image_folder'"):
        NeuroTrailsConfig(dataset="image_folder", arch="resnet50")
    with pytest.raises(ValueError, match="image_root .* goes with dataset='image_folder'"):
        NeuroTrailsConfig(image_root=str(tmp_path))
    with pytest.raises(ValueError, match="dataset='mnist1d' runs on arch resnet1d, got 'resnet50'"):
        NeuroTrailsConfig(arch="resnet50")
    with pytest.raises(ValueError, match="dataset='mnist1d' runs on arch resnet1d, got 'vgg16'"):
        NeuroTrailsConfig(arch="vgg16")
    with pytest.raises(ValueError, match="unknown dataset 'cifar'"):
        NeuroTrailsConfig(dataset="cifar")
    with pytest.raises(FileNotFoundError, match="missing: .*val"):
        (tmp_path / "train").mkdir()
        vision_data(NeuroTrailsConfig(dataset="image_folder", arch="resnet50", image_root=str(tmp_path),
                                      blocks_in_head=10, sweep_blocks=()))


def _write_idx(path, array: np.ndarray, gz: bool) -> None:
    """An IDX file as the MNIST format defines it (unsigned bytes), written byte by byte."""
    import gzip

    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    (gzip.open if gz else open)(path, "wb").write(header + array.astype(np.uint8).tobytes())


def _tiny_fashion_mnist(folder, n_train: int = 40, n_test: int = 10) -> None:
    rng = np.random.default_rng(0)
    for name, n, gz in (("train", n_train, True), ("t10k", n_test, False)):
        _write_idx(folder / (f"{name}-images-idx3-ubyte" + (".gz" if gz else "")), rng.integers(0, 256, (n, 28, 28)), gz)
        _write_idx(folder / (f"{name}-labels-idx1-ubyte" + (".gz" if gz else "")), np.arange(n) % 10, gz)


def test_idx_reader_and_fashion_mnist_loader(tmp_path):
    from reprolab.core.images import fashion_mnist, read_idx

    image = np.arange(2 * 3 * 5).reshape(2, 3, 5) % 256
    _write_idx(tmp_path / "a.idx", image, gz=False)
    assert (read_idx(tmp_path / "a.idx") == image).all() and read_idx(tmp_path / "a.idx").shape == (2, 3, 5)
    (tmp_path / "bad.idx").write_bytes(b"\x00\x00\x08\x01" + (5).to_bytes(4, "big") + b"abc")
    with pytest.raises(ValueError, match="header says shape \\(5,\\)"):
        read_idx(tmp_path / "bad.idx")
    (tmp_path / "text.idx").write_bytes(b"hello")
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(tmp_path / "text.idx")
    _tiny_fashion_mnist(tmp_path)
    d = fashion_mnist(tmp_path)
    assert d["x"].shape == (40, 1, 28, 28) and d["x_test"].shape == (10, 1, 28, 28)
    assert d["x"].dtype == torch.float32 and 0 <= float(d["x"].min()) and float(d["x"].max()) <= 1
    assert d["labels"].tolist() == [i % 10 for i in range(40)]
    with pytest.raises(FileNotFoundError, match="lacks the Fashion-MNIST IDX files"):
        fashion_mnist(tmp_path / "a.idx").keys()


def test_missing_fashion_mnist_names_the_install_command(tmp_path, monkeypatch):
    from reprolab.core import images

    monkeypatch.delenv("REPROLAB_FASHION_MNIST", raising=False)
    monkeypatch.setattr(images, "FASHION_MNIST_PACKAGE", "no-such-package-for-reprolab")
    with pytest.raises(FileNotFoundError, match="make fashion-mnist"):
        images.fashion_mnist_folder()


def test_fashion_mnist_runs_through_2d_heads(tmp_path):
    from reprolab.neurotrails import NeuroTrailsConfig, Variant, main_density, run_vision, vision_data
    from reprolab.neurotrails.models import MultiHeadResNet

    _tiny_fashion_mnist(tmp_path)
    cfg = NeuroTrailsConfig(dataset="fashion_mnist", arch="resnet2d", fashion_mnist_dir=str(tmp_path), train_images=20,
                            channels=(4, 8), blocks_per_stage=1, blocks_in_head=2, match_single=True, epochs=1,
                            batch_size=10, sweep_blocks=(), device="cpu")
    data = vision_data(cfg)
    assert len(data["train"]) == 20 and data["train"][:]["labels"].bincount().tolist() == [2] * 10
    assert abs(float(data["train"][:]["x"].mean())) < 1e-5  # standardised with the training images' statistics
    single = sum(p.numel() for p in MultiHeadResNet(cfg.resnet(), 1, 0).parameters())
    result = run_vision(cfg, data, Variant("neurotrails", 3, 2, main_density(cfg)), seed=0)
    assert abs(result.nonzero - single) <= 0.01 * single  # the paper's rule: as many non-zeros as one dense model
    assert result.density_exact and 0 <= result.scores["ece"] <= 1


def test_balanced_subset_is_class_balanced_and_fixed():
    from reprolab.neurotrails import balanced_subset

    labels = torch.tensor([0] * 50 + [1] * 30 + [2] * 20)
    keep = balanced_subset(labels, 31, seed=0)
    assert len(keep) == len(set(keep.tolist())) == 31 and sorted(labels[keep].bincount().tolist()) == [10, 10, 11]
    assert torch.equal(keep, balanced_subset(labels, 31, seed=0)) and not torch.equal(keep, balanced_subset(labels, 31, 1))
    assert sorted(labels[balanced_subset(labels, 70)].bincount().tolist()) == [20, 25, 25]  # class 2 runs out at 20


def test_calibration_error_by_hand():
    from reprolab.neurotrails import calibration_error

    confidence = torch.tensor([0.95, 0.95, 0.55, 0.55, 0.55, 0.25])
    correct = torch.tensor([1, 0, 1, 1, 1, 0])
    # bins: [0.9, 1): acc 0.5 vs 0.95; [0.533.., 0.6): acc 1 vs 0.55; [0.2, 0.267): acc 0 vs 0.25
    expected = (2 * 0.45 + 3 * 0.45 + 1 * 0.25) / 6
    assert calibration_error(confidence, correct) == pytest.approx(expected)


def test_language_heads_sum_their_losses_as_the_official_code():
    from transformers import LlamaConfig

    from reprolab.neurotrails.lm_heads import MultiHeadCausalLM

    config = LlamaConfig(vocab_size=20, hidden_size=16, intermediate_size=32, num_hidden_layers=2, num_attention_heads=2,
                         num_key_value_heads=2, max_position_embeddings=32)
    ids = torch.randint(0, 20, (2, 8))
    summed = MultiHeadCausalLM(config, 3, 1, seed=0)(ids, labels=ids).loss
    mean = MultiHeadCausalLM(config, 3, 1, seed=0, head_loss="mean")(ids, labels=ids).loss
    torch.testing.assert_close(summed, 3 * mean)
