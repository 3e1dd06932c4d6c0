from rest_framework import serializers

from licensing.models import (
    RoyaltyStatement,
    RoyaltyStatementLine,
    RoyaltyStatementTerritory,
)


class StatementTerritorySerializer(serializers.ModelSerializer):
    class Meta:
        model = RoyaltyStatementTerritory
        fields = [
            "territory",
            "streams",
            "territory_streams",
            "pool_amount",
            "pool_share",
            "minimum_amount",
            "amount",
        ]


class StatementLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = RoyaltyStatementLine
        fields = ["territory", "track_id", "isrc", "track_title", "streams", "amount"]


class StatementSerializer(serializers.ModelSerializer):
    agreement = serializers.CharField(source="agreement.reference")
    label_id = serializers.IntegerField(source="agreement.party_id")
    label = serializers.CharField(source="agreement.party.name")
    month = serializers.DateField(format="%Y-%m")
    status = serializers.SerializerMethodField()
    supersedes = serializers.CharField(source="supersedes.number", default=None)
    href = serializers.SerializerMethodField()
    csv_href = serializers.SerializerMethodField()

    class Meta:
        model = RoyaltyStatement
        fields = [
            "id",
            "number",
            "agreement",
            "label_id",
            "label",
            "month",
            "revision",
            "status",
            "supersedes",
            "currency",
            "revenue_share",
            "per_stream_minimum",
            "streams",
            "amount",
            "issued_at",
            "href",
            "csv_href",
        ]

    def get_status(self, statement) -> str:
        return "superseded" if statement.is_superseded else "issued"

    def get_href(self, statement) -> str:
        return self.context["request"].build_absolute_uri(f"/api/v1/statements/{statement.pk}")

    def get_csv_href(self, statement) -> str:
        return self.context["request"].build_absolute_uri(f"/api/v1/statements/{statement.pk}.csv")


class StatementDetailSerializer(StatementSerializer):
    territories = StatementTerritorySerializer(many=True)
    lines = StatementLineSerializer(many=True)

    class Meta(StatementSerializer.Meta):
        fields = [*StatementSerializer.Meta.fields, "territories", "lines"]
