import datetime
from decimal import Decimal

import factory

from licensing import services
from licensing.models import Agreement, LabelMembership, Party
from tests.accounts.factories import UserFactory
from tests.catalog.factories import LabelFactory


class PartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Party
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Party {n}")
    kind = Party.Kind.LABEL

    @factory.post_generation
    def labels(self, create, extracted, **kwargs):
        """The catalog labels the party licenses (default: one new label)."""
        if create:
            self.labels.set(extracted if extracted is not None else [LabelFactory()])


class AgreementFactory(factory.django.DjangoModelFactory):
    """An agreement made through `agreement_create`, so its markets and availability follow."""

    class Meta:
        model = Agreement

    party = factory.SubFactory(PartyFactory)
    reference = factory.Sequence(lambda n: f"AGR-{n:04d}")
    territories = "WORLDWIDE"
    excluded_territories = ""
    starts_on = datetime.date(2020, 1, 1)
    ends_on = None
    scope = Agreement.Scope.CATALOGUE
    revenue_share = Decimal("0.5000")
    per_stream_minimum = Decimal("0")
    status = Agreement.Status.ACTIVE

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.agreement_create(**kwargs)


class LabelMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LabelMembership

    user = factory.SubFactory(UserFactory, role="label staff")
    party = factory.SubFactory(PartyFactory)
