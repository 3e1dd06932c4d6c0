import factory
from django.contrib.auth.models import Group

from accounts import roles
from accounts.models import User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    display_name = factory.Faker("name")
    country = "US"
    language = "en"
    password = factory.django.Password("listen-to-this-1")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create:
            self.groups.add(Group.objects.get_or_create(name=extracted or roles.LISTENERS)[0])
