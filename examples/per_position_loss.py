"""Write per-position validation losses of a model's checkpoints for
`slaw forecast --method temporal`.

For every checkpoint directory (Hugging Face `checkpoint-<step>` folders, as
the Trainer saves them), evaluate the model on fixed validation sequences and
write, per token position, the mean next-token cross-entropy over the
sequences. Output: CSV with columns step, position (counted from 1: position
1 is the first predicted token, as the temporal law expects), loss and, when the
checkpoint has a trainer_state.json, lr (the learning rate logged last at or
before that step).

    pip install torch transformers datasets
    python examples/per_position_loss.py --checkpoints runs/my-run \
        --dataset wikitext --config wikitext-103-raw-v1 --split validation \
        --seq-len 1024 --sequences 256 --out positions.csv
    slaw forecast positions.csv --fit-until 0.3 --at 100000

Every checkpoint is evaluated on the same sequences (the first --sequences
windows of --seq-len tokens of the concatenated split), so the positions are
the same at every checkpoint, as slaw requires.
"""

import argparse
import csv
import json
import re
from pathlib import Path

import torch
from datasets import load_dataset
from transformers import AutoModelForCausalLM, AutoTokenizer


def checkpoints(root: Path):
    """(step, path) of every checkpoint-<step> directory, by step."""
    found = []
    for d in root.iterdir():
        m = re.fullmatch(r"checkpoint-(\d+)", d.name)
        if m and d.is_dir():
            found.append((int(m.group(1)), d))
    return sorted(found)


def learning_rate(ckpt: Path, step: int):
    """The last learning rate the Trainer logged at or before `step`, if any."""
    state = ckpt / "trainer_state.json"
    if not state.exists():
        return None
    logs = json.loads(state.read_text()).get("log_history", [])
    rates = [e["learning_rate"] for e in logs if "learning_rate" in e and e.get("step", 0) <= step]
    return rates[-1] if rates else None


def windows(tokenizer, args):
    """A (sequences, seq_len + 1) tensor of token ids from the split."""
    data = load_dataset(args.dataset, args.config, split=args.split)
    ids = []
    need = args.sequences * (args.seq_len + 1)
    for text in data[args.text_column]:
        ids.extend(tokenizer(text)["input_ids"])
        if len(ids) >= need:
            break
    if len(ids) < need:
        raise SystemExit(f"the split has {len(ids)} tokens, {need} needed")
    return torch.tensor(ids[:need]).view(args.sequences, args.seq_len + 1)


@torch.no_grad()
def per_position_loss(model, seqs, batch_size, device):
    """Mean cross-entropy at every predicted position over the sequences
    (index k: the (k + 1)-th predicted token)."""
    total = torch.zeros(seqs.shape[1] - 1, dtype=torch.float64)
    for i in range(0, len(seqs), batch_size):
        batch = seqs[i : i + batch_size].to(device)
        logits = model(batch[:, :-1]).logits.float()
        loss = torch.nn.functional.cross_entropy(
            logits.transpose(1, 2), batch[:, 1:], reduction="none"
        )  # (batch, seq_len)
        total += loss.sum(dim=0).double().cpu()
    return (total / len(seqs)).tolist()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoints", type=Path, required=True, help="folder of checkpoint-<step> folders")
    p.add_argument("--tokenizer", help="tokenizer name or path (default: the first checkpoint)")
    p.add_argument("--dataset", default="wikitext")
    p.add_argument("--config", default="wikitext-103-raw-v1")
    p.add_argument("--split", default="validation")
    p.add_argument("--text-column", default="text")
    p.add_argument("--seq-len", type=int, default=1024)
    p.add_argument("--sequences", type=int, default=256)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--every", type=int, default=1, help="keep every k-th position (smaller files)")
    p.add_argument("--out", type=Path, default=Path("positions.csv"))
    args = p.parse_args()

    ckpts = checkpoints(args.checkpoints)
    if not ckpts:
        raise SystemExit(f"no checkpoint-<step> folders in {args.checkpoints}")
    device = "cuda" if torch.cuda.is_available() else "cpu"
    tokenizer = AutoTokenizer.from_pretrained(args.tokenizer or ckpts[0][1])
    seqs = windows(tokenizer, args)

    rates = [learning_rate(path, step) for step, path in ckpts]
    with_lr = all(r is not None for r in rates)
    with args.out.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["step", "position", "loss"] + (["lr"] if with_lr else []))
        for (step, path), lr in zip(ckpts, rates):
            model = AutoModelForCausalLM.from_pretrained(path, torch_dtype=torch.bfloat16).to(device).eval()
            losses = per_position_loss(model, seqs, args.batch_size, device)
            # Positions count from 1 (position 1 = the first predicted
            # token), as the temporal law expects: L_i = a0 / (1 + a1 i) + a2
            # is not shift-invariant.
            for k in range(0, len(losses), args.every):
                w.writerow([step, k + 1, f"{losses[k]:.6f}"] + ([lr] if with_lr else []))
            f.flush()
            print(f"step {step}: mean loss {sum(losses) / len(losses):.4f}")
            del model
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
