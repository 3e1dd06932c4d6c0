from django.contrib.auth.models import Group
from django.db import transaction

from accounts import roles
from accounts.models import User


@transaction.atomic
def user_create(
    *,
    email: str,
    password: str | None,
    country: str = "US",
    language: str = "en",
    display_name: str = "",
    role: str = roles.LISTENERS,
) -> User:
    user = User.objects.create_user(
        email=email,
        password=password,
        country=country,
        language=language,
        display_name=display_name,
    )
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user
