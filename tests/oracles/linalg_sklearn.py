"""Goldens for tests/unit/linalg: scikit-learn's PCA, TruncatedSVD,
LogisticRegression, silhouette_score and accuracy_score on seeded data.

argv[1] = output folder. Every array is written as text: a "rows cols" line,
then one row per line (inputs with float32's 9 significant digits, so the C++
side reads back exactly the values sklearn saw). Labels: one per line.
"""
import os
import sys

import numpy as np
import scipy.sparse as sp
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA, TruncatedSVD
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, silhouette_score

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def save(name, a):
    a = np.asarray(a)
    a2 = a.reshape(len(a), -1) if a.ndim else a.reshape(1, 1)
    fmt = "%.9g" if a.dtype == np.float32 else ("%d" if a.dtype.kind in "iu" else "%.17g")
    with open(os.path.join(out, name + ".txt"), "w") as f:
        f.write(f"{a2.shape[0]} {a2.shape[1]}\n")
        np.savetxt(f, a2, fmt=fmt)


def save_labels(name, labels):
    with open(os.path.join(out, name + ".txt"), "w") as f:
        f.writelines(f"{x}\n" for x in labels)


rng = np.random.default_rng(7)


def pca_case(name, X, n_components):
    # The float32 values, fitted in float64: sklearn's float32 path loses up to
    # 4e-4 on off-centre data (its covariance solver subtracts n * mean^2), and
    # we compute in double, so the float64 fit is the meaningful reference.
    X = X.astype(np.float32)
    pca = PCA(n_components=n_components)
    Z = pca.fit_transform(X.astype(np.float64))
    save(f"{name}_X", X)
    save(f"{name}_components", pca.components_)
    save(f"{name}_mean", pca.mean_)
    save(f"{name}_transform", Z)
    save(f"{name}_explained_variance", pca.explained_variance_)
    save(f"{name}_explained_variance_ratio", pca.explained_variance_ratio_)
    save(f"{name}_singular_values", pca.singular_values_)
    with open(os.path.join(out, f"{name}_solver.txt"), "w") as f:
        f.write(pca._fit_svd_solver + "\n")


# Anisotropic Gaussian (sklearn picks 'covariance_eigh'), a wide matrix
# ('full'), the digits images (real data) and an embedding-like matrix of
# 2000 x 384 with a decaying spectrum (sklearn picks 'randomized').
scales = np.linspace(3.0, 0.2, 20)
pca_case("pca_gauss", rng.normal(size=(300, 20)) * scales + 5.0, 5)
pca_case("pca_wide", rng.normal(size=(30, 50)) * np.linspace(2.0, 0.5, 50), 4)
pca_case("pca_digits", load_digits().data, 2)
latent = rng.normal(size=(2000, 12)) * np.geomspace(4.0, 0.5, 12)
pca_case("pca_embed", latent @ rng.normal(size=(12, 384)) / 4 + 0.05 * rng.normal(size=(2000, 384)), 2)

# Silhouette: the digits by class, and blobs with a singleton cluster.
digits = load_digits()
save("sil_digits_X", digits.data.astype(np.float32))
save_labels("sil_digits_labels", digits.target)
save("sil_digits_score", np.array([silhouette_score(digits.data.astype(np.float32), digits.target)]))
blobs = np.vstack([rng.normal(size=(40, 3)), rng.normal(size=(30, 3)) + 4.0, [[10.0, 10.0, 10.0]]]).astype(np.float32)
blob_labels = ["a"] * 40 + ["b"] * 30 + ["lonely"]
save("sil_blobs_X", blobs)
save_labels("sil_blobs_labels", blob_labels)
save("sil_blobs_score", np.array([silhouette_score(blobs, blob_labels)]))
save("accuracy_score", np.array([accuracy_score(list("aabbc"), list("abbbc"))]))


# Logistic regression, converged tightly so the optimum (unique: the objective
# is strictly convex) is what both sides find.
def logreg_case(name, X, y, X_test, C=1.0):
    X, X_test = X.astype(np.float32), X_test.astype(np.float32)
    clf = LogisticRegression(C=C, tol=1e-10, max_iter=100000).fit(X, y)
    save(f"{name}_X", X)
    save_labels(f"{name}_y", y)
    save(f"{name}_X_test", X_test)
    save(f"{name}_proba", clf.predict_proba(X_test).astype(np.float64))
    save_labels(f"{name}_predict", clf.predict(X_test))
    save(f"{name}_score", np.array([clf.score(X, y)]))
    save_labels(f"{name}_classes", clf.classes_)


Xd = (digits.data / 16.0).astype(np.float32)
logreg_case("logreg_digits", Xd[:600], digits.target[:600], Xd[600:800])
centres = rng.normal(size=(2, 10)) * 1.2
yb = rng.integers(0, 2, size=250)
Xb = (centres[yb] + rng.normal(size=(250, 10))).astype(np.float32)
labels_b = np.array(["neg", "pos"])[yb]
logreg_case("logreg_binary", Xb[:200], labels_b[:200], Xb[200:], C=0.5)

# TruncatedSVD on a sparse, low-rank-ish, non-negative matrix shaped like
# TF-IDF (more columns than rows), plus the exact singular values.
n_rows, n_cols, rank = 400, 1500, 30
W = rng.gamma(1.0, size=(n_rows, rank)) * (rng.random((n_rows, rank)) < 0.15)
H = rng.gamma(1.0, size=(rank, n_cols)) * (rng.random((rank, n_cols)) < 0.05)
H *= np.geomspace(3.0, 0.3, rank)[:, None]
dense = W @ H
dense[rng.random(dense.shape) < 0.5] = 0.0
noise = sp.random(n_rows, n_cols, density=0.01, random_state=3, dtype=np.float64) * 0.1
A = sp.csr_matrix((sp.csr_matrix(dense) + noise).astype(np.float32))
A.sort_indices()
save("tsvd_indptr", A.indptr.astype(np.int64))
save("tsvd_indices", A.indices.astype(np.int64))
save("tsvd_values", A.data)
save("tsvd_shape", np.array(A.shape, dtype=np.int64))
save("tsvd_exact_singular_values", np.linalg.svd(A.toarray().astype(np.float64), compute_uv=False))
tsvd = TruncatedSVD(n_components=20, random_state=0).fit(A)
save("tsvd_sklearn_singular_values", tsvd.singular_values_.astype(np.float64))
save("tsvd_sklearn_components", tsvd.components_.astype(np.float64))
