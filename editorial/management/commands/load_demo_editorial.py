"""Load demo editorial data: teams, editors and leads, categories, published playlists.

Run after `load_demo_catalog`: the playlists are built from the tracks it imported. Every
step is idempotent: a second run changes nothing.
"""

import datetime
from collections import Counter

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts import roles
from accounts.models import User
from accounts.services import user_create
from catalog.models import Track
from catalog.selectors import track_ids_playable_in
from editorial import services
from editorial.models import Campaign, Category, EditorialPlaylist, Team

PASSWORD = "streamify-editor"  # noqa: S105 - the documented password of the demo editors

# name, email key, markets, languages
TEAMS = (
    ("New York", "newyork", ["US"], ["en"]),
    ("London", "london", ["GB"], ["en"]),
    ("Stockholm", "stockholm", ["SE", "NO", "DK", "FI"], ["sv", "en"]),
    ("São Paulo", "saopaulo", ["BR"], ["pt"]),
    ("Madrid", "madrid", ["ES"], ["es"]),
    # Every market with demo listeners gets a team and featured playlists.
    ("Berlin", "berlin", ["DE", "AT", "CH"], ["de", "en"]),
    ("Paris", "paris", ["FR"], ["fr"]),
    ("Mexico City", "mexicocity", ["MX"], ["es"]),
    ("Tokyo", "tokyo", ["JP"], ["ja", "en"]),
    ("Mumbai", "mumbai", ["IN"], ["en", "hi"]),
    ("Sydney", "sydney", ["AU", "NZ"], ["en"]),
)

# slug, English name, {language: name}
CATEGORIES = (
    ("new-music", "New music", {"sv": "Ny musik", "es": "Música nueva", "pt": "Música nova"}),
    ("local-scene", "Local scene",
     {"sv": "Lokala scenen", "es": "Escena local", "pt": "Cena local"}),
    ("chill", "Chill", {"sv": "Lugnt", "es": "Relax", "pt": "Relax"}),
    ("focus", "Focus", {"sv": "Fokus", "es": "Concentración", "pt": "Foco"}),
    ("mood", "Mood", {"sv": "Stämning", "es": "Estado de ánimo", "pt": "Clima"}),
    ("pride", "Pride", {"sv": "Pride", "es": "Orgullo", "pt": "Orgulho"}),
)  # fmt: skip

# team, state, name, description, {language: (title, description)}, categories, featured
PLAYLISTS = (
    ("Stockholm", "published", "Stockholmsnatt", "Ljudet av Stockholm efter mörkrets inbrott.",
     {"en": ("Stockholm Nights", "The sound of Stockholm after dark.")},
     ["local-scene", "mood"], True),
    ("Stockholm", "published", "Fikapaus", "Mjuka låtar till kaffet.",
     {"en": ("Fika Break", "Soft songs for your coffee break.")}, ["chill"], True),
    ("Stockholm", "published", "Nordiskt fokus", "Lugn elektronika för långa arbetspass.",
     {"en": ("Nordic Focus", "Calm electronics for long work sessions.")}, ["focus"], True),
    ("Stockholm", "scheduled", "Höstens nya", "Nytt inför hösten.",
     {"en": ("New This Autumn", "Fresh music for the autumn.")}, ["new-music"], True),
    ("Stockholm", "draft", "Midsommar", "Utkast.", {"en": ("Midsummer", "Draft.")}, [], False),
    ("New York", "published", "NYC After Hours", "Late-night sounds from the five boroughs.",
     {}, ["local-scene", "mood"], True),
    ("New York", "published", "Brooklyn Mornings", "Easy starts, Brooklyn style.", {},
     ["chill"], True),
    ("London", "published", "London Calling Up", "The capital's next wave.", {},
     ["local-scene", "new-music"], True),
    ("London", "published", "Rainy Day Focus", "Heads down, rain outside.", {}, ["focus"], True),
    ("São Paulo", "published", "Noite Paulistana", "A noite de São Paulo em som.",
     {"en": ("São Paulo Nights", "The São Paulo night in sound.")}, ["local-scene"], True),
    ("São Paulo", "published", "Foco Total", "Música para concentrar.",
     {"en": ("Total Focus", "Music to concentrate.")}, ["focus"], True),
    ("Madrid", "published", "Madrid de Noche", "La noche madrileña.",
     {"en": ("Madrid by Night", "Madrid's night life.")}, ["local-scene"], True),
    ("Madrid", "published", "Tardes de Verano", "Para las tardes largas.",
     {"en": ("Summer Afternoons", "For long afternoons.")}, ["chill"], True),
    ("Berlin", "published", "Berlin Nachtschicht", "Für die lange Nacht.",
     {"en": ("Berlin Night Shift", "For the long night.")}, ["local-scene", "mood"], True),
    ("Berlin", "published", "Konzentration", "Musik zum Arbeiten.",
     {"en": ("Concentration", "Music to work to.")}, ["focus"], True),
    ("Paris", "published", "Paris la Nuit", "La nuit parisienne.",
     {"en": ("Paris at Night", "The Parisian night.")}, ["local-scene"], True),
    ("Paris", "published", "Calme", "Pour se poser.", {"en": ("Calm", "To settle down.")},
     ["chill"], True),
    ("Mexico City", "published", "Noches CDMX", "La noche chilanga.",
     {"en": ("Mexico City Nights", "Mexico City after dark.")}, ["local-scene"], True),
    ("Mexico City", "published", "Enfoque", "Para concentrarse.",
     {"en": ("Focus", "To concentrate.")}, ["focus"], True),
    ("Tokyo", "published", "Tokyo Epic", "Orchestral themes for the commute.", {},
     ["mood"], True),
    ("Tokyo", "published", "Tokyo Focus", "Long themes for long days.", {}, ["focus"], True),
    ("Mumbai", "published", "Mumbai Monsoon", "Music for the rainy season.", {},
     ["mood"], True),
    ("Mumbai", "published", "Mumbai Focus", "Heads down in the city.", {}, ["focus"], True),
    ("Sydney", "published", "Sydney Sundown", "Sounds for the golden hour.", {},
     ["chill"], True),
    ("Sydney", "published", "Outback Focus", "Wide open and calm.", {}, ["focus"], True),
)  # fmt: skip
TRACKS_PER_PLAYLIST = 12


class Command(BaseCommand):
    help = (
        "Load demo editorial data (teams, editors and leads, categories, published playlists "
        "from the demo tracks, campaigns). Run load_demo_catalog first."
    )

    def handle(self, *args, **options):
        changes = Counter()
        with transaction.atomic():
            teams, leads, editors = self._teams(changes)
            categories = self._categories(changes)
            tracks = list(Track.objects.order_by("pk"))
            if not tracks:
                self.stdout.write(
                    self.style.WARNING("No tracks: run load_demo_catalog, then this again.")
                )
            else:
                self._playlists(changes, teams, leads, editors, categories, tracks)
                self._campaigns(changes, teams, leads)
        services.playlist_stats_refresh_recent()
        if not +changes:
            self.stdout.write(self.style.SUCCESS("Demo editorial data already loaded."))
            return
        for key, count in changes.items():
            self.stdout.write(f"  {key}: {count}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo editorial data loaded. Editors log in at /admin/ as "
                f"editor.stockholm@streamify.test (lead: lead.stockholm@streamify.test), "
                f"password {PASSWORD}."
            )
        )

    def _user(self, changes, email: str, name: str, country: str, language: str) -> User:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = user_create(
                email=email,
                password=PASSWORD,
                country=country,
                language=language if language in ("en", "sv", "es") else "en",
                display_name=name,
                role=roles.EDITORS,
            )
            changes["editors and leads"] += 1
        return user

    def _teams(self, changes):
        teams, leads, editors = {}, {}, {}
        for name, key, markets, languages in TEAMS:
            team = Team.objects.filter(name=name).first()
            if team is None:
                team = services.team_create(name=name, markets=markets, languages=languages)
                changes["teams"] += 1
            editor = self._user(
                changes, f"editor.{key}@streamify.test", f"{name} Editor", markets[0], languages[0]
            )
            lead = self._user(
                changes, f"lead.{key}@streamify.test", f"{name} Lead", markets[0], languages[0]
            )
            services.editorial_team_member_add(team=team, user=editor)
            services.editorial_team_member_add(team=team, user=lead, role="lead")
            teams[name], leads[name], editors[name] = team, lead, editor
        return teams, leads, editors

    def _categories(self, changes):
        categories = {}
        for position, (slug, name, translations) in enumerate(CATEGORIES):
            existed = Category.objects.filter(slug=slug).exists()
            categories[slug] = services.category_get_or_create(
                slug=slug, name=name, position=position, translations=translations
            )
            changes["categories"] += not existed
        return categories

    def _playlists(self, changes, teams, leads, editors, categories, tracks):
        now = timezone.now()
        for index, row in enumerate(PLAYLISTS):
            team_name, state, name, description, translations, slugs, featured = row
            team = teams[team_name]
            if EditorialPlaylist.objects.filter(team=team, name=name).exists():
                continue
            # Only tracks licensed now in every market of the team.
            licensed = _playable_everywhere(team.markets, now)
            playable = [t for t in tracks if t.pk in licensed]
            if not playable:
                continue
            picks = [
                playable[(index * 5 + step * 3) % len(playable)]
                for step in range(min(TRACKS_PER_PLAYLIST, len(playable)))
            ]
            playlist = services.editorial_playlist_create(
                team=team,
                user=editors[team_name],
                name=name,
                description=description,
                categories=[categories[slug] for slug in slugs],
                tracks=list(dict.fromkeys(picks)),
                translations=translations,
                featured=featured,
                priority=len(PLAYLISTS) - index,
            )
            changes["editorial playlists"] += 1
            if state == "draft":
                continue
            services.editorial_playlist_submit(playlist=playlist, user=editors[team_name])
            if state == "scheduled":
                services.editorial_playlist_schedule(
                    playlist=playlist,
                    user=leads[team_name],
                    publish_at=now + datetime.timedelta(days=7),
                )
            else:
                services.editorial_playlist_publish(playlist=playlist, user=leads[team_name])

    def _campaigns(self, changes, teams, leads):
        now = timezone.now()
        if not Campaign.objects.filter(slug="sao-paulo-scene").exists():
            team = teams["São Paulo"]
            services.campaign_create(
                name="Cena de São Paulo",
                slug="sao-paulo-scene",
                description="The city's scene, for eight weeks.",
                team=team,
                markets=["BR"],
                starts_at=now - datetime.timedelta(days=1),
                ends_at=now + datetime.timedelta(weeks=8),
                playlists=list(team.playlists.filter(state=EditorialPlaylist.State.PUBLISHED)),
                user=leads["São Paulo"],
            )
            changes["campaigns"] += 1
        if not Campaign.objects.filter(slug="pride-month").exists():
            year = now.year if now.month <= 6 else now.year + 1
            june = datetime.datetime(year, 6, 1, tzinfo=datetime.UTC)
            admin = User.objects.filter(is_superuser=True).order_by("pk").first()
            if admin is not None:
                services.campaign_create(
                    name="Pride Month",
                    slug="pride-month",
                    description="Every team's pride playlists, in June.",
                    starts_at=june,
                    ends_at=june.replace(month=7),
                    user=admin,
                )
                changes["campaigns"] += 1


def _playable_everywhere(markets, now) -> set[int]:
    """Track ids playable now in every one of `markets` (a list or comma-separated text)."""
    if isinstance(markets, str):
        markets = markets.split(",")
    codes = [str(getattr(m, "code", m)).strip() for m in markets]
    sets = [set(track_ids_playable_in(market=code, now=now)) for code in codes if code]
    return set.intersection(*sets) if sets else set()
