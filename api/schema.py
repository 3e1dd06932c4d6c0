"""OpenAPI extensions: the bearer scheme lists the scopes each operation needs."""

from drf_spectacular.contrib.django_oauth_toolkit import DjangoOAuthToolkitScheme

from api.scopes import required_scopes


class OAuth2Scheme(DjangoOAuthToolkitScheme):
    target_class = "accounts.authentication.OAuth2Authentication"

    def get_security_requirement(self, auto_schema):
        needed = required_scopes(auto_schema.view, auto_schema.method) or ()
        return {self.name: list(needed)}
