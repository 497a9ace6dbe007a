"""A user's gaps in the Python package (py66): ``schedule`` takes a dict {run name: file} (read
once, errors naming the file) as the CLI takes its FILES; long run and schedule names stay whole
in a figure's legend and title; ``report()`` of ``methods``, ``joint``, ``schedule`` and
``forecast`` is the CLI's text, from the same Rust formatter."""

import json
import os
import pathlib
import signal
import subprocess
import threading
import warnings

import pandas as pd
import pytest

import slaw
from slaw._results import _wrap

from conftest import cli, same

EXAMPLES = pathlib.Path(__file__).resolve().parents[3] / "examples"
TRAINING = EXAMPLES / "training_runs.csv"
RUNS = EXAMPLES / "runs.csv"
COSINE = "cosine:peak=3e-4,final=3e-5,total=72000,warmup=2000"
FACTORS = ["model_size", "pretrain_tokens", "prompt_len"]


def cli_run(*args):
    out = subprocess.run([str(cli()), *map(str, args)], capture_output=True, text=True,
                         check=False)
    return out


def cli_json(*args):
    out = cli_run(*args, "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def run_files(folder):
    """examples/training_runs.csv split into one file per run (constant, cosine, wsd), as the
    CLI's FILES: {stem: path}."""
    df = pd.read_csv(TRAINING)
    out = {}
    for name, g in df.groupby("run", sort=False):
        p = folder / f"{name}.csv"
        g.drop(columns="run").to_csv(p, index=False)
        out[name] = p
    return out


# ------------------------------------------------------------- 1. a dict of run name -> file


def test_schedule_takes_a_dict_of_files_as_the_cli_takes_its_files(tmp_path):
    files = run_files(tmp_path)
    want = cli_json("schedule", *files.values(), "--predict", COSINE, "--bootstrap", "20")
    for data in ({k: str(p) for k, p in files.items()},   # str paths
                 files,                                    # pathlib paths
                 [str(p) for p in files.values()]):        # a list of paths (as before)
        got = quiet(slaw.schedule, data, predict=COSINE, bootstrap=20).to_dict()
        assert same(got, want), data


def test_a_dict_names_the_runs_of_its_files_and_mixes_with_dataframes(tmp_path):
    files = run_files(tmp_path)
    want = cli_json("schedule", *files.values(), "--predict", COSINE, "--bootstrap", "20")
    names = {"constant": "run A (constant lr)", "cosine": "run B", "wsd": "run C"}
    data = {names["constant"]: files["constant"],
            names["cosine"]: pd.read_csv(files["cosine"]),   # a DataFrame beside files
            names["wsd"]: str(files["wsd"])}
    w = quiet(slaw.schedule, data, predict=COSINE, bootstrap=20)
    assert [n for n, _ in w.runs] == list(data)   # the keys name the runs, files and frames
    assert [k for _, k in w.runs] == [k for _, k in want["runs"]]
    got = w.to_dict()
    # everything else as the CLI's on the same files
    assert same(got["params"], want["params"])
    assert same(got["predictions"], want["predictions"])


def test_a_bad_cell_in_a_dict_file_is_the_clis_error_naming_the_file_row_and_column(tmp_path):
    files = run_files(tmp_path)
    bad = tmp_path / "bad.csv"
    lines = files["cosine"].read_text().splitlines()
    lines[4] = lines[4].rsplit(",", 1)[0] + ",abc"
    bad.write_text("\n".join(lines) + "\n")
    out = cli_run("schedule", files["constant"], bad, "--predict", COSINE)
    assert out.returncode != 0
    msg = f"{bad}, row 5, column 'loss': 'abc' is not a number"
    assert msg in out.stderr
    with pytest.raises(ValueError) as e:
        slaw.schedule({"a": files["constant"], "b": bad}, predict=COSINE)
    assert msg in str(e.value)


def test_a_missing_file_in_the_dict_is_file_not_found_naming_it(tmp_path):
    files = run_files(tmp_path)
    gone = tmp_path / "gone.csv"
    with pytest.raises(FileNotFoundError, match="gone.csv"):
        slaw.schedule({"a": files["constant"], "b": gone}, predict=COSINE)


def test_a_file_in_the_dict_is_read_once(tmp_path):
    files = run_files(tmp_path)
    text = files["cosine"].read_text()
    fifo = tmp_path / "once.csv"
    os.mkfifo(fifo)

    def writer():
        with open(fifo, "w") as f:  # waits for the one reader
            f.write(text)

    t = threading.Thread(target=writer, daemon=True)
    t.start()

    def timeout(*_):
        raise TimeoutError("the file was read more than once (the second reading waits)")

    old = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(120)  # a guard only: a second reading waits forever, one takes < 1 s
    try:
        w = quiet(slaw.schedule, {"const": files["constant"], "cos": str(fifo)},
                  predict=COSINE, bootstrap=0)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
        try:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass
        t.join(5)
    assert [n for n, _ in w.runs] == ["const", "cos"]
    assert all(k > 0 for _, k in w.runs)


# (slaw.forecast takes a dict of tables since ux67: test_ux67.py)
@pytest.mark.parametrize("fn, kwargs", [
    (slaw.fit, {"law": "power", "x": "step"}),
    (slaw.joint, {"factors": ["model_size"]}),
])
def test_a_dict_of_tables_elsewhere_says_it_is_schedules_input(tmp_path, fn, kwargs):
    files = run_files(tmp_path)
    with pytest.raises(ValueError, match=r"a dict of tables .* is the runs of slaw.schedule\(\)"):
        fn({k: str(p) for k, p in files.items()}, **kwargs)
    frames = {k: pd.read_csv(p) for k, p in files.items()}
    with pytest.raises(ValueError, match=r"a dict of tables .* is the runs of slaw.schedule\(\)"):
        fn(frames, **kwargs)


# ------------------------------------------------------------- 2. long names in the figures


def test_wrap_keeps_every_character_in_lines_of_the_width():
    label = "llama3-8b-pretrain/cosine-lr3e-4-final3e-5-warmup2000-seed17-bs1024 (fitted run)"
    w = _wrap(label, 34)
    lines = w.split("\n")
    assert len(lines) > 1 and all(len(l) <= 34 for l in lines)
    # broken at the space or after a separator: nothing cut, nothing added
    assert "".join(lines).replace(" ", "") == label.replace(" ", "")
    assert _wrap("cosine:peak=3e-4 (predicted)", 34) == "cosine:peak=3e-4 (predicted)"
    assert _wrap("x" * 80, 34).split("\n") == ["x" * 34, "x" * 34, "x" * 12]


def _inside(fig, artists):
    """Each artist's drawn box lies inside the figure (nothing clipped at its edge)."""
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    box = fig.bbox
    for a in artists:
        b = a.get_window_extent(r)
        assert b.x0 >= box.x0 - 1 and b.x1 <= box.x1 + 1, (a, b, box)
        assert b.y0 >= box.y0 - 1 and b.y1 <= box.y1 + 1, (a, b, box)


LONG = {"constant": "llama3-8b-pretrain/constant-lr3e-4-warmup2000-seed17-bs1024",
        "cosine": "llama3-8b-pretrain/cosine-lr3e-4-final3e-5-warmup2000-seed17-bs1024",
        "wsd": "llama3-8b-pretrain/wsd-lr3e-4-decay_start20000-warmup2000-seed17-bs1024"}


def test_a_schedule_figure_keeps_long_run_names_whole_inside_the_figure():
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    df = pd.read_csv(TRAINING)
    runs = {LONG[k]: g.drop(columns="run") for k, g in df.groupby("run")}
    for kw in ({"predict": [COSINE, "wsd:peak=3e-4,decay_start=60000,total=72000,warmup=2000,"
                                    "decay=cosine"]},
               {"optimize_wsd": "peak=3e-4,final=3e-5,warmup=2000", "steps": 24000,
                "decay_fractions": [0.1, 0.2]}):
        w = quiet(slaw.schedule, runs, bootstrap=10, **kw)
        axes = w.plot()
        axes = axes if isinstance(axes, list) else [axes]
        fig = axes[0].figure
        legend = [a.get_legend() for a in axes if a.get_legend() is not None]
        assert legend
        texts = [t for lg in legend for t in lg.get_texts()]
        # every run's name is in the legend, whole (wrapped, not cut)
        shown = [t.get_text().replace("\n", " ").replace(" ", "") for t in texts]
        for name in LONG.values():
            assert any(name.replace(" ", "") in s for s in shown), name
        _inside(fig, texts + [a.title for a in axes])
        plt.close(fig)


def test_forecast_titles_with_long_run_names_stay_inside_the_figure():
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    df = pd.read_csv(TRAINING)
    df["run"] = df["run"].map(LONG)
    fr = quiet(slaw.forecast, df, run_col="run", fit_until=0.3, bootstrap=10)
    axes = fr.plot()
    fig = axes[0].figure
    for a, f in zip(axes, fr):
        assert f.curve in a.get_title().replace("\n", " ").replace("- ", "-") or \
            f.curve.replace(" ", "") in a.get_title().replace("\n", "").replace(" ", "")
    _inside(fig, [a.title for a in axes])
    # no two titles overlap (a grid's neighbours)
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    boxes = [a.title.get_window_extent(r) for a in axes]
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            assert not boxes[i].overlaps(boxes[j])
    plt.close(fig)


# ------------------------------------------------------------- 3. report() is the CLI's text


def methods_args():
    args = [RUNS]
    for f in FACTORS:
        args += ["--factor", f]
    return args + ["--pet", "prompt_len"]


def test_methods_report_is_the_clis_text_with_the_keyword_for_the_flag():
    out = cli_run("methods", *methods_args(), "--at", "model_size=8e9", "--data", "3e3")
    assert out.returncode == 0, out.stderr
    m = quiet(slaw.methods, str(RUNS), factors=FACTORS, pet="prompt_len",
              at={"model_size": 8e9}, data_size=3e3)
    assert "--intervals predictive adds that error" in out.stdout
    # the same text, an option named as Python sets it
    want = out.stdout.replace("--intervals predictive", "intervals='predictive'")
    assert m.report() == want.rstrip("\n")
    assert "critical fine-tuning data size" in m.report()


def test_methods_report_without_bootstrap_names_the_keyword():
    out = cli_run("methods", *methods_args(), "--at", "model_size=8e9", "--data", "3e3",
                  "--bootstrap", "0")
    assert out.returncode == 0, out.stderr
    m = quiet(slaw.methods, str(RUNS), factors=FACTORS, pet="prompt_len",
              at={"model_size": 8e9}, data_size=3e3, bootstrap=0)
    assert "(no bootstrap: run with --bootstrap N for intervals)" in out.stdout
    assert "(no bootstrap: run with bootstrap=N for intervals)" in m.report()
    assert m.report() == out.stdout.replace("--bootstrap N", "bootstrap=N").rstrip("\n")


def test_joint_report_is_the_clis_text():
    out = cli_run("joint", *methods_args())
    assert out.returncode == 0, out.stderr
    j = quiet(slaw.joint, pd.read_csv(RUNS), factors=FACTORS, pet="prompt_len")
    assert j.report() == out.stdout.rstrip("\n")
    assert j.report().startswith("method ")
    assert "_text" not in j.to_dict()


def test_schedule_report_is_the_clis_text():
    lr = f"lr:{EXAMPLES / 'run.csv'}"
    out = cli_run("schedule", TRAINING, "--run-col", "run", "--predict", COSINE, lr)
    assert out.returncode == 0, out.stderr
    w = quiet(slaw.schedule, str(TRAINING), run_col="run", predict=[COSINE, lr])
    assert w.report() == out.stdout.rstrip("\n")
    assert "final" in w.report() and "_text" not in w.to_dict()
    # the WSD search's verdict too
    search = ["--optimize-wsd", "peak=3e-4,final=3e-5,warmup=2000", "--steps", "24000",
              "--decay-fractions", "0.05,0.1,0.2,0.3"]
    out = cli_run("schedule", TRAINING, "--run-col", "run", *search)
    assert out.returncode == 0, out.stderr
    w = quiet(slaw.schedule, str(TRAINING), run_col="run",
              optimize_wsd="peak=3e-4,final=3e-5,warmup=2000", steps=24000,
              decay_fractions=[0.05, 0.1, 0.2, 0.3])
    assert w.report() == out.stdout.rstrip("\n")
    assert "WSD" in w.report()


def test_forecast_report_is_the_clis_text_for_one_curve_and_for_runs():
    out = cli_run("forecast", EXAMPLES / "run.csv", "--fit-until", "0.2")
    assert out.returncode == 0, out.stderr
    fc = quiet(slaw.forecast, str(EXAMPLES / "run.csv"), fit_until=0.2)
    assert fc.report() == out.stdout.rstrip("\n")
    out = cli_run("forecast", TRAINING, "--run-col", "run", "--fit-until", "0.3")
    fr = quiet(slaw.forecast, str(TRAINING), run_col="run", fit_until=0.3)
    assert fr.report() == out.stdout.rstrip("\n")
    # each run's own report: the CLI's --verbose, run by run
    verbose = cli_run("forecast", TRAINING, "--run-col", "run", "--fit-until", "0.3",
                      "--verbose").stdout
    for f in fr:
        assert f.report() in verbose
    assert "_text" not in fr.to_dict()["forecasts"][0]


def test_select_report_is_the_clis_text():
    from conftest import shared_data

    flan = shared_data("finetune-selection") / "flan.csv"
    out = cli_run("select", flan, "--target", "1638400", "--budget", "1/64")
    assert out.returncode == 0, out.stderr
    sel = quiet(slaw.select, str(flan), target=1638400,
                budget="1/64")
    # what the CLI points to for every detail is the result's to_dict() here
    want = out.stdout.replace("--json lists", "to_dict() lists")
    assert sel.report() == want.rstrip("\n")
    assert sel.report().startswith("method ")
    assert "_text" not in sel.to_dict()


def test_select_takes_its_references_as_a_dict_of_files_or_frames():
    from conftest import shared_data

    folder = shared_data("finetune-selection")
    flan, wmt = folder / "flan.csv", folder / "wmt19.csv"
    want = cli_json("select", flan, "--target", "1638400", "--budget", "1/512",
                    "--reference", wmt)
    got = quiet(slaw.select, str(flan), target=1638400, budget="1/512",
                reference={"wmt19": str(wmt)}).to_dict()
    assert same(got, want)
    # a DataFrame in the dict: its key names its source
    frame = quiet(slaw.select, str(flan), target=1638400, budget="1/512",
                  reference={"wmt19": pd.read_csv(wmt)}).to_dict()
    assert [r["id"] for r in frame["ranking"]] == [r["id"] for r in want["ranking"]]
    assert "wmt19" in json.dumps(frame.get("references"))


# ------------------------------------------------------------- 4. the JSON's fields as attributes


def test_a_forecast_has_every_field_of_the_cli_json_as_an_attribute():
    fc = quiet(slaw.forecast, str(EXAMPLES / "run.csv"), fit_until=0.2)
    want = cli_json("forecast", EXAMPLES / "run.csv", "--fit-until", "0.2")
    assert fc.fit_until_step == want["fit_until_step"]
    assert fc.fit_points == want["fit_points"]
    for key in want:
        assert hasattr(fc, key), key
    assert same(fc.bootstrap, want.get("bootstrap"))
    assert same(fc.calibration, want.get("calibration"))


def test_joint_and_methods_have_the_jsons_fits():
    j = quiet(slaw.joint, str(RUNS), factors=FACTORS, pet="prompt_len")
    m = quiet(slaw.methods, str(RUNS), factors=FACTORS, pet="prompt_len",
              at={"model_size": 8e9}, data_size=3e3, bootstrap=20)
    for r in (j, m):
        assert r.fits == r.to_dict()["fits"] and r.fits
        r.fits[0]["method"] = "edited"   # a copy: the JSON stays the CLI's
        assert r.to_dict()["fits"][0]["method"] != "edited"


def one_curve(folder):
    """README's `compare` example: one curve of examples/curves.csv (dune-1.4b, n > 0)."""
    curves = pd.read_csv(EXAMPLES / "curves.csv")
    one = curves[(curves["model"] == "dune-1.4b") & (curves["n"] > 0)]
    p = folder / "one.csv"
    one.to_csv(p, index=False)
    return p


def test_compare_report_is_the_clis_text_for_the_backtest_pick_and_the_holdout_ranking(tmp_path):
    p = one_curve(tmp_path)
    out = cli_run("compare", p, "--x", "n", "--predict", "1e8")
    assert out.returncode == 0, out.stderr
    r = quiet(slaw.compare, str(p), x="n", predict=[1e8])
    # where the CLI points to `slaw fit`, the Python call
    want = out.stdout.replace("slaw fit --law L --predict X", "slaw.fit(..., law=L, predict=X)")
    assert r.report() == want.rstrip("\n")
    out = cli_run("compare", p, "--x", "n", "--laws", "power,rectified", "--pick", "holdout")
    assert out.returncode == 0, out.stderr
    r = quiet(slaw.compare, str(p), ["power", "rectified"], x="n", pick="holdout")
    assert r.report() == out.stdout.rstrip("\n")
    assert "text" not in r.to_dict() if isinstance(r.to_dict(), dict) else True


def test_allocate_report_is_the_clis_text():
    from conftest import shared_data

    svg = shared_data("chinchilla") / "svg_extracted_data.csv"
    args = ["--n-col", "Model Size", "--flops-col", "Training FLOP", "--drop-highest", "5"]
    out = cli_run("allocate", svg, *args, "--bootstrap", "50")
    assert out.returncode == 0, out.stderr
    a = quiet(slaw.allocate, str(svg), n_col="Model Size", flops_col="Training FLOP",
              drop_highest=5, bootstrap=50)
    assert a.report() == out.stdout.rstrip("\n")
    out = cli_run("allocate", svg, *args, "--method", "all", "--budget", "1e21", "--budget",
                  "1e23", "--bootstrap", "50")
    assert out.returncode == 0, out.stderr
    a = quiet(slaw.allocate, str(svg), n_col="Model Size", flops_col="Training FLOP",
              drop_highest=5, method="all", budgets=[1e21, 1e23], bootstrap=50)
    assert a.report() == out.stdout.replace("--bootstrap 0", "bootstrap=0").rstrip("\n")
    out = cli_run("allocate", "--params", "406.4,0.34,410.7,0.28,1.69", "--budget", "5.76e23")
    a = quiet(slaw.allocate, params=[406.4, 0.34, 410.7, 0.28, 1.69], budgets=[5.76e23])
    assert a.report() == out.stdout.rstrip("\n")


def test_compare_report_starts_with_the_clis_note_of_the_input_chosen(tmp_path):
    p = one_curve(tmp_path)
    nl = tmp_path / "nl.csv"
    pd.read_csv(p)[["n", "loss"]].to_csv(nl, index=False)
    out = cli_run("compare", nl, "--predict", "1e8")
    assert out.returncode == 0, out.stderr
    r = quiet(slaw.compare, str(nl), predict=[1e8])
    want = out.stdout.replace("slaw fit --law L --predict X", "slaw.fit(..., law=L, predict=X)")
    assert r.report() == want.rstrip("\n")
    assert r.report().startswith("note: x: n (the only numeric column besides loss)\n")
