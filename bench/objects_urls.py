"""The production urls plus `/bench/floor/`, a DRF view returning constant JSON (bench only)."""

from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from streamify.urls import urlpatterns as production


class FloorApi(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        return Response({"id": "1", "name": "constant", "type": "track", "popularity": 0})


urlpatterns = [path("bench/floor/", FloorApi.as_view()), *production]
