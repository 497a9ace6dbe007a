"""Finite-difference check of gpt.py's hand-written gradients (float64).

    python3 -m unittest discover -s bench/temporal -p 'test_*.py'
"""

import unittest

import numpy as np

import gpt


class GradientCheck(unittest.TestCase):
    def test_gradients_match_finite_differences(self):
        p = {k: v.astype(np.float64) for k, v in gpt.init_params(8, 2, 2, 6, seed=1).items()}
        rng = np.random.default_rng(2)
        # Larger weights than at initialisation, so that every path matters.
        for k in p:
            p[k] = p[k] + rng.normal(0, 0.3, p[k].shape)
        idx = rng.integers(0, gpt.VOCAB, (2, 6))
        tgt = rng.integers(0, gpt.VOCAB, (2, 6))
        _, g = gpt.loss_and_grads(p, idx, tgt, heads=2)
        self.assertEqual(set(g), set(p))
        h = 1e-6
        for name, w in p.items():
            flat = w.reshape(-1)
            picks = rng.choice(flat.size, size=min(6, flat.size), replace=False)
            if name == "wte":  # rows that are used as inputs and as outputs
                picks = np.concatenate([picks, [idx[0, 0] * w.shape[1], tgt[1, 2] * w.shape[1] + 1]])
            for j in picks:
                old = flat[j]
                flat[j] = old + h
                lp, _ = gpt.loss_and_grads(p, idx, tgt, heads=2)
                flat[j] = old - h
                lm, _ = gpt.loss_and_grads(p, idx, tgt, heads=2)
                flat[j] = old
                num = (lp - lm) / (2 * h)
                ana = g[name].reshape(-1)[j]
                self.assertLess(abs(num - ana), 1e-6 + 1e-4 * abs(num), f"{name}[{j}]: {ana} vs {num}")

    def test_position_losses_match_training_loss(self):
        p = gpt.init_params(16, 1, 2, 8, seed=3)
        rng = np.random.default_rng(4)
        seqs = rng.integers(0, gpt.VOCAB, (5, 9))
        per_pos = gpt.position_losses(p, seqs, heads=2, batch=2)
        loss, _ = gpt.loss_and_grads(p, seqs[:, :-1], seqs[:, 1:], heads=2)
        self.assertEqual(per_pos.shape, (8,))
        self.assertAlmostEqual(per_pos.mean(), loss, places=4)
        # Near log(256) at initialisation.
        self.assertLess(abs(loss - np.log(256)), 0.1)


if __name__ == "__main__":
    unittest.main()
