"""chainrule train's defaults against scikit-learn on its bundled small tables (no download).

For each of load_iris, load_wine, load_breast_cancer (classification) and load_diabetes
(regression): one split (train_test_split, test_size=0.2, random_state=0, stratified for
classification) written as train.csv and test.csv; then `chainrule train --data train.csv
--target target --test test.csv` with every other option at its default, and on the same rows
scikit-learn's MLPClassifier / MLPRegressor (defaults, random_state=0, max_iter=2000) in a
pipeline after StandardScaler, and LinearRegression / LogisticRegression for reference.
Prints a Markdown table (test accuracy, or test R²).

Usage: python tools/tabular_vs_sklearn.py target/release/chainrule
(with a Python that has scikit-learn: see tools/README.md for the venv.)
"""
import csv
import re
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, load_wine
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

warnings.filterwarnings("ignore")


def write(path, names, x, y):
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([f"f{i}" for i in range(x.shape[1])] + ["target"])
        for row, t in zip(x, y):
            w.writerow([repr(float(v)) for v in row] + [names[t] if names is not None else repr(float(t))])


def main(binary):
    rows = []
    for name, load, classes in [
        ("iris", load_iris, True),
        ("wine", load_wine, True),
        ("breast_cancer", load_breast_cancer, True),
        ("diabetes", load_diabetes, False),
    ]:
        d = load()
        x, y = d.data, d.target
        xtr, xte, ytr, yte = train_test_split(
            x, y, test_size=0.2, random_state=0, stratify=y if classes else None
        )
        names = [str(n) for n in d.target_names] if classes else None
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            write(tmp / "train.csv", names, xtr, ytr)
            write(tmp / "test.csv", names, xte, yte)
            out = subprocess.run(
                [binary, "train", "--data", "train.csv", "--target", "target", "--test", "test.csv", "--out", "run"],
                cwd=tmp, capture_output=True, text=True, check=True,
            ).stdout
        if classes:
            ours = float(re.search(r"final test accuracy: ([0-9.]+)%", out).group(1)) / 100
            mlp = make_pipeline(StandardScaler(), MLPClassifier(random_state=0, max_iter=2000)).fit(xtr, ytr)
            lin = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000)).fit(xtr, ytr)
            metric = "accuracy"
        else:
            ours = float(re.search(r"final test R²: (-?[0-9.]+)", out).group(1))
            mlp = make_pipeline(StandardScaler(), MLPRegressor(random_state=0, max_iter=2000)).fit(xtr, ytr)
            lin = make_pipeline(StandardScaler(), LinearRegression()).fit(xtr, ytr)
            metric = "R²"
        rows.append((name, len(xtr), len(xte), x.shape[1], metric, ours, mlp.score(xte, yte), lin.score(xte, yte)))
    print("| table | train rows | test rows | features | metric | chainrule (defaults) | sklearn MLP | sklearn linear |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, ntr, nte, f, metric, ours, mlp, lin in rows:
        print(f"| {name} | {ntr} | {nte} | {f} | {metric} | {ours:.4f} | {mlp:.4f} | {lin:.4f} |")


if __name__ == "__main__":
    main(str(Path(sys.argv[1]).resolve()))
