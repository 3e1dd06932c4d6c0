"""The Spark MLlib ALS backend, for training that outgrows one machine.

The nightly run exports the listener x track weights (Parquet-free: a CSV of
`user,track,rating` in a temporary folder the cluster can read), trains
`pyspark.ml.recommendation.ALS` with implicit preferences on the Spark master named by
`RECOMMENDATIONS_SPARK_MASTER` (`local[2]` here, `spark://...` in production), collects
the factors and returns them in the order of the interactions' rows and columns, so the
rest of the pipeline (Discover Weekly, similar tracks, related artists) is unchanged.

Spark's implicit ALS uses the confidence 1 + alpha * rating; the rating exported is
log(1 + weight), so the confidence is the same 1 + alpha * log(1 + plays) as the
single-machine backend. Its regularisation is scaled by each row's count (ALS-WR), so
the same `regularization` value is not the same model; see the README for the measured
difference.
"""

import os
import shutil
import tempfile

import numpy as np

from recommendations.als import AlsParams, Interactions


def available() -> str | None:
    """None when Spark can run here, else the reason it cannot."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install pyspark, see requirements-dev.txt)"
    if not shutil.which("java") and not os.environ.get("JAVA_HOME"):
        return "no Java runtime (apt-get install openjdk-17-jre-headless)"
    return None


def train(
    interactions: Interactions, params: AlsParams, *, master: str, memory: str = "2g"
) -> tuple[np.ndarray, np.ndarray]:
    """Fit ALS on Spark; return (user factors, track factors) like `als.train`."""
    from pyspark.ml.recommendation import ALS
    from pyspark.sql import SparkSession

    n_users, n_tracks = interactions.weights.shape
    coo = interactions.weights.tocoo()
    folder = tempfile.mkdtemp(prefix="streamify-als-")
    try:
        path = os.path.join(folder, "interactions.csv")
        np.savetxt(
            path,
            np.column_stack([coo.row, coo.col, np.log1p(coo.data)]),
            fmt=["%d", "%d", "%.6g"],
            delimiter=",",
        )
        spark = (
            SparkSession.builder.master(master)
            .appName("streamify-als")
            .config("spark.driver.memory", memory)
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "8")
            .getOrCreate()
        )
        try:
            frame = spark.read.csv(path, schema="user INT, track INT, rating FLOAT")
            model = ALS(
                rank=params.factors,
                maxIter=params.iterations,
                regParam=params.regularization,
                alpha=params.alpha,
                implicitPrefs=True,
                userCol="user",
                itemCol="track",
                ratingCol="rating",
                seed=params.seed,
                nonnegative=False,
                numUserBlocks=4,
                numItemBlocks=4,
            ).fit(frame)
            users = _collect(model.userFactors, n_users, params.factors)
            tracks = _collect(model.itemFactors, n_tracks, params.factors)
        finally:
            spark.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return users, tracks


def _collect(frame, rows: int, factors: int) -> np.ndarray:
    """A Spark factor frame (id, features) as a dense array; rows never seen stay zero."""
    out = np.zeros((rows, factors), dtype=np.float32)
    for row in frame.toLocalIterator():
        out[row["id"]] = row["features"]
    return out
