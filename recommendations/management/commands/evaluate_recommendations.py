from django.core.management.base import BaseCommand, CommandError

from recommendations import evaluation, services
from recommendations.scoring import RankingParams


class Command(BaseCommand):
    help = (
        "Hold out each listener's last week of listening, train on the rest and print "
        "recall@k, NDCG@k, catalogue coverage and novelty of ALS against popularity."
    )

    def add_arguments(self, parser):
        parser.add_argument("--holdout-days", type=int, default=7)
        parser.add_argument("-k", type=int, default=30)
        parser.add_argument("--max-listeners", type=int, default=20_000)
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, holdout_days, k, max_listeners, seed, **options):
        try:
            report = evaluation.evaluate(
                holdout_days=holdout_days,
                k=k,
                max_listeners=max_listeners,
                params=services.als_params(),
                ranking_params=RankingParams.from_settings(),
                seed=seed,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Held out from {report.cutoff} ({holdout_days} days): {report.listeners} "
            f"listeners, {report.held_out} held-out tracks; {report.train_pairs} training pairs."
        )
        self.stdout.write(report.table(k))
        baseline = report.rows[0].recall
        if baseline > 0:
            lift = report.rows[1].recall / baseline
            self.stdout.write(f"ALS recall@{k} / popularity recall@{k}: {lift:.2f}x")
