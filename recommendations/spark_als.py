"""The Spark MLlib ALS backend, for training that outgrows one machine.

The nightly run sends the listener x track weights from the driver to the executors
(partitions of at most `CHUNK_PAIRS` pairs as raw bytes, decoded with the standard
library: no file, so a cluster needs no storage shared with the worker), trains
`pyspark.ml.recommendation.ALS` with implicit preferences on the Spark master named by
`RECOMMENDATIONS_SPARK_MASTER` (`local[2]` here, `spark://...` in production), collects
the factors and returns them in the order of the interactions' rows and columns, so the
rest of the pipeline (Discover Weekly, similar tracks, related artists) is unchanged.

Spark's implicit ALS uses the confidence 1 + alpha * rating; the rating sent is
log(1 + weight), so the confidence is the same 1 + alpha * log(1 + plays) as the
single-machine backend. Its regularisation is scaled by each row's count (ALS-WR), so
the same `regularization` value is not the same model; see the README for the measured
difference.
"""

import itertools
import os
import shutil
import sys

import numpy as np

from recommendations.als import AlsParams, Interactions

CHUNK_PAIRS = 500_000  # pairs a partition at most, as sent from the driver


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
    ratings = np.log1p(coo.data).astype(np.float32)
    builder = SparkSession.builder.master(master)
    if master.startswith("local"):
        # Executors here are this process's children: the same interpreter.
        builder = builder.config("spark.pyspark.python", sys.executable)
    spark = (
        builder.appName("streamify-als")
        .config("spark.driver.memory", memory)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "8")
        .getOrCreate()
    )
    try:
        context = spark.sparkContext
        count = max(2 * context.defaultParallelism, coo.nnz // CHUNK_PAIRS + 1)
        bounds = np.linspace(0, coo.nnz, count + 1).astype(np.int64)
        # Raw bytes, decoded with the standard library on the executor: its Python needs
        # neither numpy nor this project.
        chunks = [
            (
                coo.row[lo:hi].astype(np.int32).tobytes(),
                coo.col[lo:hi].astype(np.int32).tobytes(),
                ratings[lo:hi].tobytes(),
            )
            for lo, hi in itertools.pairwise(bounds)
        ]

        def chunk_rows(chunk):  # nested: shipped by value, not by module
            from array import array

            columns = [array(code) for code in ("i", "i", "f")]
            for column, raw in zip(columns, chunk, strict=True):
                column.frombytes(raw)
            return zip(*columns, strict=True)

        rows = context.parallelize(chunks, len(chunks)).flatMap(chunk_rows)
        frame = spark.createDataFrame(rows, schema="user INT, track INT, rating FLOAT")
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
    return users, tracks


def _collect(frame, rows: int, factors: int) -> np.ndarray:
    """A Spark factor frame (id, features) as a dense array; rows never seen stay zero."""
    out = np.zeros((rows, factors), dtype=np.float32)
    for row in frame.toLocalIterator():
        out[row["id"]] = row["features"]
    return out
