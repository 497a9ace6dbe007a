"""A small GPT-style decoder in numpy with hand-written backpropagation.

Byte-level (vocabulary 256), learned position embeddings, pre-LayerNorm
blocks of causal multi-head attention and a GELU MLP, tied input/output
embeddings. `loss_and_grads` returns the mean next-token cross-entropy and
the gradient of every parameter; `position_losses` the per-position mean
cross-entropy (no gradient). test_gpt.py checks the gradients against finite
differences.
"""

import numpy as np

VOCAB = 256


def init_params(d, layers, heads, ctx, seed):
    """Parameters as a dict of float32 arrays (GPT-2 style initialisation)."""
    assert d % heads == 0
    rng = np.random.default_rng(seed)
    std = 0.02
    proj_std = 0.02 / np.sqrt(2 * layers)
    p = {
        "wte": rng.normal(0, std, (VOCAB, d)),
        "wpe": rng.normal(0, std, (ctx, d)),
        "lnf_g": np.ones(d),
        "lnf_b": np.zeros(d),
    }
    for l in range(layers):
        p[f"l{l}.ln1_g"] = np.ones(d)
        p[f"l{l}.ln1_b"] = np.zeros(d)
        p[f"l{l}.wqkv"] = rng.normal(0, std, (d, 3 * d))
        p[f"l{l}.bqkv"] = np.zeros(3 * d)
        p[f"l{l}.wo"] = rng.normal(0, proj_std, (d, d))
        p[f"l{l}.bo"] = np.zeros(d)
        p[f"l{l}.ln2_g"] = np.ones(d)
        p[f"l{l}.ln2_b"] = np.zeros(d)
        p[f"l{l}.w1"] = rng.normal(0, std, (d, 4 * d))
        p[f"l{l}.b1"] = np.zeros(4 * d)
        p[f"l{l}.w2"] = rng.normal(0, proj_std, (4 * d, d))
        p[f"l{l}.b2"] = np.zeros(d)
    return {k: v.astype(np.float32) for k, v in p.items()}


def count_params(p):
    return int(sum(v.size for v in p.values()))


def n_layers(p):
    return sum(1 for k in p if k.endswith(".wqkv"))


# --- layers: forward returns (out, cache); backward(dout, cache) -> grads ---

EPS = 1e-5


def ln_fwd(x, g, b):
    mu = x.mean(-1, keepdims=True)
    xc = x - mu
    var = (xc * xc).mean(-1, keepdims=True)
    rstd = 1.0 / np.sqrt(var + EPS)
    xh = xc * rstd
    return xh * g + b, (xh, rstd, g)


def ln_bwd(dy, cache):
    xh, rstd, g = cache
    dg = (dy * xh).reshape(-1, xh.shape[-1]).sum(0)
    db = dy.reshape(-1, xh.shape[-1]).sum(0)
    dxh = dy * g
    dx = rstd * (dxh - dxh.mean(-1, keepdims=True) - xh * (dxh * xh).mean(-1, keepdims=True))
    return dx, dg, db


GELU_C = np.float32(np.sqrt(2.0 / np.pi))


def gelu_fwd(x):
    u = GELU_C * (x + np.float32(0.044715) * (x * x * x))
    t = np.tanh(u)
    return 0.5 * x * (1.0 + t), (x, t)


def gelu_bwd(dy, cache):
    x, t = cache
    du = GELU_C * (np.float32(1.0) + np.float32(3 * 0.044715) * (x * x))
    return dy * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du)


def attn_fwd(y, wqkv, bqkv, wo, bo, heads):
    B, T, d = y.shape
    dh = d // heads
    qkv = y @ wqkv + bqkv  # (B,T,3d)
    qkv = qkv.reshape(B, T, 3, heads, dh).transpose(2, 0, 3, 1, 4)  # (3,B,h,T,dh)
    q, k, v = qkv[0], qkv[1], qkv[2]
    scale = np.float32(1.0 / np.sqrt(dh))
    s = (q @ k.transpose(0, 1, 3, 2)) * scale  # (B,h,T,T)
    mask = np.triu(np.ones((T, T), dtype=bool), 1)
    s = np.where(mask, np.float32(-1e30), s)
    s = s - s.max(-1, keepdims=True)
    e = np.exp(s)
    a = e / e.sum(-1, keepdims=True)
    o = a @ v  # (B,h,T,dh)
    o2 = o.transpose(0, 2, 1, 3).reshape(B, T, d)
    out = o2 @ wo + bo
    return out, (y, q, k, v, a, o2, scale, heads)


def attn_bwd(dout, cache, wqkv, wo):
    y, q, k, v, a, o2, scale, heads = cache
    B, T, d = y.shape
    dh = d // heads
    dwo = o2.reshape(-1, d).T @ dout.reshape(-1, d)
    dbo = dout.reshape(-1, d).sum(0)
    do2 = dout @ wo.T
    do = do2.reshape(B, T, heads, dh).transpose(0, 2, 1, 3)
    da = do @ v.transpose(0, 1, 3, 2)
    dv = a.transpose(0, 1, 3, 2) @ do
    ds = a * (da - (da * a).sum(-1, keepdims=True))  # masked entries have a = 0
    ds *= scale
    dq = ds @ k
    dk = ds.transpose(0, 1, 3, 2) @ q
    dqkv = np.stack([dq, dk, dv])  # (3,B,h,T,dh)
    dqkv = dqkv.transpose(1, 3, 0, 2, 4).reshape(B, T, 3 * d)
    dwqkv = y.reshape(-1, d).T @ dqkv.reshape(-1, 3 * d)
    dbqkv = dqkv.reshape(-1, 3 * d).sum(0)
    dy = dqkv @ wqkv.T
    return dy, dwqkv, dbqkv, dwo, dbo


def forward(p, idx, heads, need_cache=True):
    """Logits (B,T,V) for token ids idx (B,T), and the caches for backward."""
    B, T = idx.shape
    x = p["wte"][idx] + p["wpe"][:T]
    caches = []
    for l in range(n_layers(p)):
        P = lambda n: p[f"l{l}.{n}"]  # noqa: E731
        y, c_ln1 = ln_fwd(x, P("ln1_g"), P("ln1_b"))
        att, c_att = attn_fwd(y, P("wqkv"), P("bqkv"), P("wo"), P("bo"), heads)
        x = x + att
        y2, c_ln2 = ln_fwd(x, P("ln2_g"), P("ln2_b"))
        h = y2 @ P("w1") + P("b1")
        g, c_gelu = gelu_fwd(h)
        m = g @ P("w2") + P("b2")
        x = x + m
        if need_cache:
            caches.append((c_ln1, c_att, c_ln2, y2, c_gelu, g))
    yf, c_lnf = ln_fwd(x, p["lnf_g"], p["lnf_b"])
    logits = yf @ p["wte"].T
    return logits, (idx, caches, c_lnf, yf)


def token_losses(logits, targets):
    """Cross-entropy (nats) of every target token, and the softmax."""
    z = logits - logits.max(-1, keepdims=True)
    e = np.exp(z)
    s = e.sum(-1, keepdims=True)
    logp_t = np.take_along_axis(z, targets[..., None], -1)[..., 0] - np.log(s[..., 0])
    return -logp_t, e / s


def loss_and_grads(p, idx, targets, heads):
    """Mean cross-entropy over all tokens and its gradient for every parameter."""
    logits, (idx, caches, c_lnf, yf) = forward(p, idx, heads)
    B, T, V = logits.shape
    losses, prob = token_losses(logits, targets)
    loss = float(losses.mean())
    dlogits = prob
    np.add.at(dlogits.reshape(-1, V), (np.arange(B * T), targets.reshape(-1)), -1.0)
    dlogits /= B * T
    g = {}
    d = yf.shape[-1]
    g["wte"] = dlogits.reshape(-1, V).T @ yf.reshape(-1, d)
    dyf = dlogits @ p["wte"]
    dx, g["lnf_g"], g["lnf_b"] = ln_bwd(dyf, c_lnf)
    for l in reversed(range(n_layers(p))):
        c_ln1, c_att, c_ln2, y2, c_gelu, gl = caches[l]
        k = lambda n: f"l{l}.{n}"  # noqa: E731
        # MLP branch
        dm = dx
        g[k("w2")] = gl.reshape(-1, gl.shape[-1]).T @ dm.reshape(-1, d)
        g[k("b2")] = dm.reshape(-1, d).sum(0)
        dgl = dm @ p[k("w2")].T
        dh = gelu_bwd(dgl, c_gelu)
        g[k("w1")] = y2.reshape(-1, d).T @ dh.reshape(-1, dh.shape[-1])
        g[k("b1")] = dh.reshape(-1, dh.shape[-1]).sum(0)
        dy2 = dh @ p[k("w1")].T
        dx2, g[k("ln2_g")], g[k("ln2_b")] = ln_bwd(dy2, c_ln2)
        dx = dx + dx2
        # attention branch
        dy, g[k("wqkv")], g[k("bqkv")], g[k("wo")], g[k("bo")] = attn_bwd(
            dx, c_att, p[k("wqkv")], p[k("wo")]
        )
        dx1, g[k("ln1_g")], g[k("ln1_b")] = ln_bwd(dy, c_ln1)
        dx = dx + dx1
    np.add.at(g["wte"], idx.reshape(-1), dx.reshape(-1, d))
    g["wpe"] = np.zeros_like(p["wpe"])
    g["wpe"][:T] = dx.sum(0)
    return loss, g


def position_losses(p, seqs, heads, batch=16):
    """Mean cross-entropy at each position over the sequences (N, T+1)."""
    T = seqs.shape[1] - 1
    total = np.zeros(T, dtype=np.float64)
    for i in range(0, len(seqs), batch):
        s = seqs[i : i + batch]
        logits, _ = forward(p, s[:, :-1], heads, need_cache=False)
        losses, _ = token_losses(logits, s[:, 1:])
        total += losses.astype(np.float64).sum(0)
    return total / len(seqs)
