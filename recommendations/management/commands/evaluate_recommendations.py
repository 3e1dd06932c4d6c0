from django.core.management.base import BaseCommand, CommandError

from recommendations import evaluation, synthetic


class Command(BaseCommand):
    help = (
        "Compare Discover Weekly with baselines (most popular, ItemKNN, EASE, tuned ALS) on "
        "a temporal split (training, validation week, test week): recall@k, NDCG@k, "
        "coverage, novelty, paired bootstrap confidence intervals. On this database's "
        "listening, or with --synthetic on a generated realistic log."
    )

    def add_arguments(self, parser):
        parser.add_argument("-k", type=int, default=30)
        parser.add_argument("--max-listeners", type=int, default=3000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--synthetic", action="store_true", help="Generate the log.")
        parser.add_argument("--listeners", type=int, default=2000)
        parser.add_argument("--tracks", type=int, default=5000)
        parser.add_argument("--weeks", type=int, default=8)
        parser.add_argument("--threads", type=int, default=2)

    def handle(
        self, *args, k, max_listeners, seed, synthetic, listeners, tracks, weeks, threads, **options
    ):
        if synthetic:
            log = synthetic_generate(listeners, tracks, weeks, seed)
            source = f"synthetic (seed {seed}): {log.describe()}"
        else:
            log = evaluation.log_from_database()
            source = f"this database: {log.describe()}"
        try:
            report = evaluation.evaluate(
                log, k=k, max_listeners=max_listeners, seed=seed, threads=threads
            )
        except evaluation.EvaluationRefused as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(source)
        self.stdout.write(
            f"Test week: {report.listeners} listeners with new tracks, {report.held_out} "
            "held-out (listener, track) pairs; settings chosen on the week before."
        )
        self.stdout.write(report.table())


def synthetic_generate(listeners: int, tracks: int, weeks: int, seed: int):
    return synthetic.generate(
        synthetic.WorldParams(listeners=listeners, tracks=tracks, weeks=weeks, seed=seed)
    )
