"""Pretrain a small byte-level GPT on the Rust documentation and write its
per-position validation losses, in the format `slaw forecast` reads.

Corpus: the English prose books that rustup's `rust-docs` component ships as
HTML (The Rust Programming Language, the Rustonomicon, Rust by Example, the
Edition Guide), each book's print.html with its tags stripped. The last 10% of
the bytes of the concatenated text is the validation split; the validation
sequences are its first --val-seqs windows of --ctx + 1 bytes, the same at
every checkpoint.

Output: CSV `step,position,loss,lr` (one row per checkpoint and position;
position 1 is the first predicted token) plus a `.json` with the run's
settings, parameter count, training loss and wall time.

    OPENBLAS_NUM_THREADS=1 python3 bench/temporal/train.py --d 64 --layers 2 \
        --heads 2 --steps 600 --schedule cosine --seed 1 --out run.csv

Needs python3 and numpy only. Single-threaded when OPENBLAS_NUM_THREADS=1.
"""

import argparse
import glob
import html
import json
import math
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gpt  # noqa: E402

BOOKS = ["book", "nomicon", "rust-by-example", "edition-guide"]


def docs_dir(explicit):
    """The rust-docs HTML directory of the default toolchain (or --docs)."""
    if explicit:
        return Path(explicit)
    try:
        root = subprocess.run(
            ["rustc", "--print", "sysroot"], capture_output=True, text=True, check=True
        ).stdout.strip()
        d = Path(root) / "share/doc/rust/html"
        if d.is_dir():
            return d
    except (OSError, subprocess.CalledProcessError):
        pass
    found = sorted(glob.glob(os.path.expanduser("~/.rustup/toolchains/*/share/doc/rust/html")))
    if not found:
        sys.exit("no Rust documentation found: `rustup component add rust-docs`, or give --docs")
    return Path(found[0])


def html_to_text(raw):
    """The visible text of an mdBook print.html page."""
    m = re.search(r"<main>(.*)</main>", raw, re.S)
    body = m.group(1) if m else raw
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    body = re.sub(r"<br\s*/?>|</(p|div|h\d|li|pre|tr)>", "\n", body)
    body = re.sub(r"<[^>]+>", "", body)
    body = html.unescape(body)
    body = re.sub(r"[ \t]+", " ", body)
    body = re.sub(r"\n\s*\n+", "\n\n", body)
    return body.strip()


def corpus(docs):
    parts = []
    for b in BOOKS:
        f = docs / b / "print.html"
        if not f.exists():
            sys.exit(f"{f}: missing (the rust-docs component ships it)")
        parts.append(html_to_text(f.read_text(encoding="utf-8")))
    data = "\n\n".join(parts).encode("utf-8")
    return np.frombuffer(data, dtype=np.uint8).astype(np.int64)


def lr_at(step, steps, peak, schedule, warmup):
    """Learning rate after `step` optimizer steps (the rate used for step+1)."""
    if step < warmup:
        return peak * (step + 1) / warmup
    if schedule == "constant":
        return peak
    if schedule == "cosine":  # to 10% of the peak
        frac = (step - warmup) / max(1, steps - warmup)
        return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))
    if schedule == "wsd":  # stable, then linear decay to 0 over the last 20%
        decay_start = int(0.8 * steps)
        if step < decay_start:
            return peak
        return peak * (steps - step) / (steps - decay_start)
    raise ValueError(schedule)


def checkpoint_steps(steps, n):
    """n steps evenly spaced plus a few early ones (geometric), sorted."""
    even = np.linspace(steps / n, steps, n)
    early = np.geomspace(max(2, steps / 200), steps / n, 6)[:-1]
    return sorted(set(int(round(s)) for s in np.concatenate([early, even])))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--d", type=int, default=64)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--heads", type=int, default=2)
    ap.add_argument("--ctx", type=int, default=256)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--lr", type=float, default=3e-3, help="peak learning rate")
    ap.add_argument("--warmup", type=int, default=None, help="default: 2%% of steps")
    ap.add_argument("--schedule", choices=["constant", "cosine", "wsd"], default="cosine")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--checkpoints", type=int, default=40)
    ap.add_argument("--val-seqs", type=int, default=64)
    ap.add_argument("--docs", default=None, help="rust-docs html directory")
    ap.add_argument("--out")
    ap.add_argument("--print-docs", action="store_true", help="print the corpus folder and exit")
    a = ap.parse_args()
    if a.print_docs:
        d = docs_dir(a.docs)
        missing = [b for b in BOOKS if not (d / b / "print.html").exists()]
        print(d)
        sys.exit(1 if missing else 0)
    if not a.out:
        ap.error("--out is required")
    t0 = time.time()

    data = corpus(docs_dir(a.docs))
    split = int(0.9 * len(data))
    train, val = data[:split], data[split:]
    n_val = min(a.val_seqs, len(val) // (a.ctx + 1))
    val_seqs = val[: n_val * (a.ctx + 1)].reshape(n_val, a.ctx + 1)

    p = gpt.init_params(a.d, a.layers, a.heads, a.ctx, a.seed)
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v = {k: np.zeros_like(v) for k, v in p.items()}
    decay = {k for k in p if k.endswith(("wqkv", "wo", "w1", "w2"))}
    b1, b2, wd, clip = 0.9, 0.95, 0.1, 1.0
    warmup = a.warmup if a.warmup is not None else max(1, int(0.02 * a.steps))
    rng = np.random.default_rng(a.seed + 1000)
    ckpts = set(checkpoint_steps(a.steps, a.checkpoints))
    rows = []
    train_losses = []
    for step in range(a.steps):
        lr = lr_at(step, a.steps, a.lr, a.schedule, warmup)
        starts = rng.integers(0, len(train) - a.ctx - 1, a.batch)
        batch = np.stack([train[s : s + a.ctx + 1] for s in starts])
        loss, g = gpt.loss_and_grads(p, batch[:, :-1], batch[:, 1:], a.heads)
        train_losses.append(loss)
        norm = math.sqrt(sum(float((x * x).sum()) for x in g.values()))
        scale = min(1.0, clip / (norm + 1e-12))
        t = step + 1
        for k in p:
            gk = g[k] * scale
            m[k] = b1 * m[k] + (1 - b1) * gk
            v[k] = b2 * v[k] + (1 - b2) * gk * gk
            upd = (m[k] / (1 - b1**t)) / (np.sqrt(v[k] / (1 - b2**t)) + 1e-8)
            if k in decay:
                upd = upd + wd * p[k]
            p[k] = (p[k] - lr * upd).astype(np.float32)
        if t in ckpts:
            pl = gpt.position_losses(p, val_seqs, a.heads)
            for i, l in enumerate(pl):
                rows.append((t, i + 1, l, lr))
            print(
                f"step {t}/{a.steps} lr {lr:.2e} train {np.mean(train_losses[-20:]):.4f} "
                f"val {pl.mean():.4f} ({time.time() - t0:.0f}s)",
                flush=True,
            )
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w") as f:
        f.write("step,position,loss,lr\n")
        for s, i, l, r in rows:
            f.write(f"{s},{i},{l:.6f},{r:.6g}\n")
    meta = dict(vars(a), warmup=warmup, params=gpt.count_params(p), corpus_bytes=int(len(data)),
                train_bytes=int(len(train)), val_sequences=int(n_val),
                final_train_loss=float(np.mean(train_losses[-20:])),
                wall_seconds=round(time.time() - t0, 1), numpy=np.__version__)
    meta.pop("out")
    meta.pop("docs")
    out.with_suffix(".json").write_text(json.dumps(meta, indent=1) + "\n")


if __name__ == "__main__":
    main()
