"""Run by tests/test_multiprocess.py: the shared loop with LIFT's mask refresh, SEFT's drop-and-grow, NeuroTrails'
dynamic sparsity (RigL with soft-magnitude pruning) and AlphaDecay's decay refresh, under `torchrun --nproc_per_node
N` (accelerate picks up the ranks and uses gloo on the CPU; or plainly, N = 1) at per-process batch size B; every
rank saves its final weights and masks (AlphaDecay: its decay map as a tensor) to OUT/<method>_rank<r>.pt."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

from reprolab import dispatch

dispatch.pin()

import torch  # noqa: E402

from reprolab import lm  # noqa: E402
from reprolab.alphadecay import DecaySpec, ModuleWiseDecay  # noqa: E402
from reprolab.lift.finetune import SparseSpec, prepare as prepare_lift  # noqa: E402
from reprolab.seft import EvolutionConfig  # noqa: E402
from reprolab.seft.finetune import prepare as prepare_seft  # noqa: E402
from reprolab.sparsity import DSTConfig, DynamicSparsity, prune_model  # noqa: E402


def main(out: Path, batch_size: int) -> None:
    texts = [f"{a} plus {b} is {a + b}." for a in range(16) for b in range(10)]
    tok = lm.char_tokenizer(texts)
    base = lm.tiny_lm(lm.TinyLMConfig(d_model=32, n_layers=2, n_heads=2, d_ff=64, max_len=64), tok, seed=0)
    data = {k: v[:48] for k, v in lm.pack_text(tok, texts, 32).items()}
    cfg = lm.TrainConfig(steps=6, batch_size=batch_size, lr=1e-2, seed=0, device="auto", progress=False, warmup_steps=1)

    sgd = copy.deepcopy(base)  # plain SGD: no Adam normalisation to blow float noise in tiny gradients up to lr
    model = lm.train(sgd, data, cfg, optimizer=torch.optim.SGD(sgd.parameters(), lr=0.5)).model
    rank = torch.distributed.get_rank() if torch.distributed.is_initialized() else 0
    torch.save({"weights": model.state_dict(), "masks": []}, out / f"sgd_rank{rank}.pt")

    lift = prepare_lift(base, "lift", 1e-2, SparseSpec(2, 2, 2), total_steps=6)
    model = lm.train(lift.model, data, cfg, optimizer=lift.optimizer, after_step=lift.after_step).model
    torch.save({"weights": model.state_dict(), "masks": [lift.optimizer.mask_of(p) for p in lift.optimizer.index]},
               out / f"lift_rank{rank}.pt")

    pruned = lm.tiny_lm(lm.TinyLMConfig(d_model=32, n_layers=2, n_heads=2, d_ff=64, max_len=64), tok, seed=0)
    alive = prune_model(pruned, "wanda", 0.5, [{"input_ids": data["input_ids"][:16]}])
    seft = prepare_seft(pruned, alive, "seft", 1e-2, EvolutionConfig(budget_rank=1, update_every=2, accumulation_steps=1),
                        6, [{k: v[:8] for k, v in data.items()}])
    model = lm.train(seft.model, data, cfg, optimizer=seft.optimizer, after_backward=seft.after_backward).model
    torch.save({"weights": model.state_dict(), "masks": list(seft.evolution.alive.values()),
                "updates": len({r["step"] for r in seft.evolution.records})}, out / f"seft_rank{rank}.pt")

    sparse = copy.deepcopy(base)
    weights = {n: p for n, p in sparse.named_parameters() if p.ndim == 2 and "embed" not in n}
    dst = DynamicSparsity(weights, DSTConfig(0.5, "erk", 2, 0.5, prune="soft_magnitude"), 6, seed=0)
    model = lm.train(sparse, data, cfg, optimizer=torch.optim.SGD(sparse.parameters(), lr=0.5),
                     after_backward=dst.after_backward, after_step=dst.after_step).model
    torch.save({"weights": model.state_dict(), "masks": list(dst.masks.values()), "updates": len(dst.updates)},
               out / f"dst_rank{rank}.pt")

    decayed = copy.deepcopy(base)
    decay = ModuleWiseDecay(decayed, DecaySpec("alphadecay", base=0.1, every=2, min_eigs=8))
    model = lm.train(decayed, data, cfg, optimizer=decay.optimizer("adamw", lr=1e-2), after_backward=decay.before_step,
                     checkpointed=[decay]).model
    torch.save({"weights": model.state_dict(), "masks": [torch.tensor(r["decay"]) for r in decay.log],
                "updates": len(decay.log)}, out / f"alphadecay_rank{rank}.pt")


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]))
