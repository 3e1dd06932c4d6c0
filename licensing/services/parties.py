"""Parties (labels, distributors) and the people acting for them."""

from collections.abc import Iterable

from django.db import transaction

from catalog.models import Label
from licensing.models import Agreement, LabelMembership, Party

from .availability import _availability_refresh_soon


@transaction.atomic
def party_create(*, name: str, kind: str = Party.Kind.LABEL, labels: Iterable[Label] = ()) -> Party:
    party = Party.objects.create(name=name.strip(), kind=kind)
    party.labels.set(labels)
    return party


@transaction.atomic
def party_labels_set(*, party: Party, labels: Iterable[Label]) -> Party:
    """Change the labels a party licenses; catalogue agreements follow, so does availability."""
    before = set(party.labels.values_list("id", flat=True))
    party.labels.set(labels)
    after = set(party.labels.values_list("id", flat=True))
    if party.agreements.filter(scope=Agreement.Scope.CATALOGUE).exists():
        _availability_refresh_soon(label_ids=before ^ after, release_ids=set())
    return party


@transaction.atomic
def label_membership_create(*, user, party: Party) -> LabelMembership:
    return LabelMembership.objects.get_or_create(user=user, party=party)[0]
