import os

from hypothesis import HealthCheck, settings

# No example database in the work tree; no per-example deadline on a busy 2-core machine.
# In CI the examples are derandomised (a fixed seed): a red build is reproducible.
settings.register_profile(
    "streamify",
    database=None,
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    print_blob=True,
)
settings.load_profile("streamify")
