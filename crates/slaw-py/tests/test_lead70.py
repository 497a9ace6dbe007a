"""joint(): the shared parameters' 95% profile-likelihood intervals as a DataFrame
(``shared_intervals``), equal to the CLI's --json; an open side warned about."""
import json
import math
import subprocess
import warnings

import slaw

from conftest import cli  # noqa: F401  (the CLI binary beside the package's build)


def runs(path, z):
    """One method on a 4x4 design, L = 50 / (X^0.1 D^0.15) + 1 with log-normal noise z."""
    rows = ["method,model_size,data,loss"]
    k = 0
    for x in [1e9, 2e9, 4e9, 8e9]:
        for d in [1e3, 3e3, 1e4, 3e4]:
            loss = (50 / (x ** 0.1 * d ** 0.15) + 1) * math.exp(0.01 * z[k])
            rows.append(f"fmt,{x:e},{d:e},{loss:.6f}")
            k += 1
    path.write_text("\n".join(rows) + "\n")


Z = [0.4, -1.2, 0.9, 1.3, -0.5, -0.3, 1.1, -1.4, 0.2, -0.8, 1.0, -0.2, 0.6, -1.0, 0.1, 0.7]


def test_shared_intervals_are_the_clis(tmp_path):
    f = tmp_path / "runs.csv"
    runs(f, Z)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = slaw.joint(str(f), factors="model_size")
    out = subprocess.run([str(cli()), "joint", str(f), "--factor", "model_size", "--json"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    j = json.loads(out.stdout)
    assert r.to_dict() == j
    iv = r.shared_intervals
    assert list(iv.index.names) == ["method", "form", "parameter"]
    n = 0
    for form in j["fits"][0]["forms"]:
        prof = form["shared_profile_intervals"]
        for name, value in form["shared"].items():
            row = iv.loc[("fmt", form["form"], name)]
            p = prof["params"][name]
            assert row["value"] == value
            assert row["lo"] == p["lo"] and row["hi"] == p["hi"]
            assert row["lo_open"] == p["lo_open"] and row["hi_open"] == p["hi_open"]
            assert row["level"] == 0.95
            assert row["lo"] <= value <= row["hi"]
            se = form["shared_std_errors"][name]
            assert (math.isnan(row["std_error"]) if se is None else row["std_error"] == se)
            n += 1
    assert len(iv) == n > 0
    # every open side not already warned about is named in a warning
    for (method, form, name), row in iv.iterrows():
        if (row["lo_open"] or row["hi_open"]) and name not in \
                next(f for f in j["fits"][0]["forms"] if f["form"] == form)["shared_loose"]:
            named = [w for w in r.warnings if f"{name} [" in w or "at a bound" in w
                     or "not pinned" in w]
            assert named, (form, name, r.warnings)
