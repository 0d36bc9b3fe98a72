"""Generates the scikit-learn literals of crates/nn/tests/suite/metrics.rs and prep.rs.

Run with any Python that has scikit-learn, in a venv outside the repository:
python3 -m venv ~/sk && ~/sk/bin/pip install scikit-learn && ~/sk/bin/python tools/sklearn_metrics_reference.py
The data are fixed literals so the output is deterministic.
"""
import sklearn
from sklearn.metrics import (accuracy_score, confusion_matrix, mean_absolute_error,
                             mean_squared_error, r2_score)
from sklearn.preprocessing import StandardScaler

print("sklearn", sklearn.__version__)
yt = [0, 2, 1, 1, 0, 2, 2, 1, 0, 0, 1, 2]
yp = [0, 1, 1, 1, 0, 2, 0, 1, 2, 0, 1, 2]
print("accuracy", repr(accuracy_score(yt, yp)))
print("confusion", confusion_matrix(yt, yp).tolist())

t = [3.0, -0.5, 2.0, 7.0, 4.25, -1.5, 0.0, 10.0]
p = [2.5, 0.0, 2.0, 8.0, 3.0, -2.0, 0.75, 9.0]
print("rmse", repr(float(mean_squared_error(t, p) ** 0.5)))
print("mae", repr(float(mean_absolute_error(t, p))))
print("r2", repr(float(r2_score(t, p))))
print("r2 constant truth, imperfect", repr(float(r2_score([2.0, 2.0], [2.0, 3.0]))))
print("r2 constant truth, perfect", repr(float(r2_score([2.0, 2.0], [2.0, 2.0]))))

s = StandardScaler().fit([[1, 7, 0], [2, 7, 10], [6, 7, 20]])
print("scaler mean", [repr(float(v)) for v in s.mean_])
print("scaler scale", [repr(float(v)) for v in s.scale_])
print("scaler row 1", [repr(float(v)) for v in s.transform([[2, 7, 10]])[0]])
