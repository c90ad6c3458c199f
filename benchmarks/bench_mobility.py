"""CaLLiPer / next-location hot paths, each against a simple baseline in the same run:

* location encoder throughput (locations/s): our float64 grid encoding + float32 FCNet against the official
  all-float64 encoder;
* the frozen CaLLiPer embedding in the predictor: encoding each distinct coordinate of a batch once against
  encoding every (sample, step);
* one predictor training step with an ID embedding and with CaLLiPer, and its FLOP/s as a share of the measured
  1-thread fp32 GEMM peak (bench_peak.py; the model is small, so launch overhead, not arithmetic, bounds it);
* ranking metrics: the vectorised ranks against a per-sample sort.
Run: .venv/bin/python benchmarks/bench_mobility.py   (about a minute on 2 cores)
"""

from __future__ import annotations

import copy
import os
import platform

import numpy as np
import torch
import torch.nn.functional as F

from measure import counted_flops, gemm_share
from reprolab import mobility as mb
from reprolab.core import time_call


def main() -> None:
    torch.set_num_threads(1)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, torch threads {torch.get_num_threads()}")
    torch.manual_seed(0)
    enc = mb.LocationEncoder(mb.EncoderConfig(frequency_num=32, hidden=256, dim=128)).eval()  # the paper's size
    coords = torch.rand(20_000, 2, dtype=torch.float64) * 0.1
    official = copy.deepcopy(enc).double()
    with torch.no_grad():
        t_ours, _ = time_call(lambda: enc(coords), 3, warmup=True)
        t_f64, _ = time_call(lambda: official(coords), 3, warmup=True)
        gap = (enc(coords).double() - official(coords)).abs().max().item()
    print(f"location encoder (S 32, H 256, D 128): {len(coords) / t_ours:,.0f} locations/s vs all-float64 "
          f"{len(coords) / t_f64:,.0f} ({t_f64 / t_ours:.1f}x; largest difference {gap:.1e})")

    pois = mb.make_city(0)
    data = mb.preprocess(mb.simulate_checkins(pois, 40, 70, 0), min_location_visits=8, max_history=12)
    batch = mb.make_batch(data.records, data.splits["train"], np.random.default_rng(0).choice(len(data.splits["train"]), 128, replace=False))
    for size in (dict(dim=32), dict(frequency_num=32, hidden=256, dim=128)):
        small = mb.LocationEncoder(mb.EncoderConfig(**size))
        unique = mb.CoordinateEmbedding(small, dropout_in_training=False).eval()
        with torch.no_grad():
            per_step = lambda: small(batch.lonlat) * (batch.loc != 0)[..., None]  # noqa: E731
            t_unique, _ = time_call(lambda: unique(batch.loc, batch.lonlat), 20, warmup=True)
            t_all, _ = time_call(per_step, 20, warmup=True)
            assert torch.allclose(unique(batch.loc, batch.lonlat), per_step(), atol=1e-5)
        n_places = len(torch.unique(batch.lonlat.reshape(-1, 2), dim=0))
        print(f"CaLLiPer embedding {size} of a batch (128 x {batch.loc.shape[1]} steps, {n_places} distinct places): "
              f"once per place {t_unique * 1e3:.1f} ms vs every step {t_all * 1e3:.1f} ms ({t_all / t_unique:.1f}x)")

    cfg = mb.PredictorConfig(dim=32, ffn=64)
    for name, embedding in (("ID embedding", mb.IDEmbedding(data.n_locations, 32)),
                            ("CaLLiPer", mb.CoordinateEmbedding(mb.LocationEncoder(mb.EncoderConfig(dim=32))))):
        model = mb.NextLocationModel(embedding, data.n_locations, data.n_users, cfg).train()
        opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad])

        def step() -> None:
            loss = F.cross_entropy(model(batch), batch.target)
            opt.zero_grad()
            loss.backward()
            opt.step()

        t_step, _ = time_call(step, 20, warmup=True)
        flops = counted_flops(step)
        print(f"predictor training step, {name}: {t_step * 1e3:.1f} ms per batch of 128 ({flops / 1e6:.0f} MFLOP, "
              f"{gemm_share(flops, t_step):.0%} of the 1-thread fp32 GEMM peak)")

    rng = np.random.default_rng(0)
    scores, target = rng.normal(size=(2000, 4000)), rng.integers(2, 4000, 2000)
    fast = lambda: mb.rank_metrics(mb.target_ranks(torch.from_numpy(scores), torch.from_numpy(target)))  # noqa: E731
    t_fast, a = time_call(fast, 3, warmup=True)
    t_loop, b = time_call(lambda: mb.rank_metrics_loop(scores, target), 1)
    assert all(abs(a[k] - b[k]) < 1e-9 for k in a)
    print(f"metrics of 2,000 samples x 4,000 locations: vectorised {t_fast * 1e3:.0f} ms vs per-sample sort "
          f"{t_loop * 1e3:.0f} ms ({t_loop / t_fast:.0f}x)")


if __name__ == "__main__":
    main()
