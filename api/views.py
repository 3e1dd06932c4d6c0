"""Views of the API package itself: the JSON 404 for paths no area claims."""

from django.views.decorators.csrf import csrf_exempt

from api.exceptions import error_json_response


@csrf_exempt
def unknown_route(request, *args, **kwargs):
    return error_json_response(404, "Unknown route.")
