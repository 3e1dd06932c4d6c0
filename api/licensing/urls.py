from django.urls import path

from api.licensing import views

app_name = "licensing"

urlpatterns = [
    path(
        "labels/<int:label_id>/statements",
        views.LabelStatementsApi.as_view(),
        name="label-statements",
    ),
    path("statements/<int:statement_id>", views.StatementDetailApi.as_view(), name="statement"),
    path(
        "statements/<int:statement_id>.csv",
        views.StatementCsvApi.as_view(),
        {"format": "csv"},
        name="statement-csv",
    ),
]
