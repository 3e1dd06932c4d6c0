"""Names vulture reports as unused that are not dead code (`make lint`, [tool.vulture]).

Vulture matches by name: listing a name here marks every definition of it as used. Each
group says why its names are used although no Python code calls them. Before adding a
name, check it is not simply dead (then delete it instead).
"""

# ruff: noqa: B018, F821

# Set on a returned object for callers to read: the revision a reviewed edit proposed
pending_revision

# The serializer path's reads, kept as the reference tests/api/test_object_costs.py holds
# the flat object reads (catalog/object_selectors.py) against
artist_get
release_get
# and the search page as full tracks, which the search behaviour tests read results through
track_search

# The stream-authorisation lookup alone, timed by bench/availability.py (issuing a stream URL
# runs the same expression inside playback.selectors.stream_facts)
track_playable

# Resets for tests and operators after an incident (called from tests/ and the shell)
login_attempts_clear_all
play_events_budgets_clear_all
replica_marks_clear

# Arguments a framework signature requires (__exit__, database routers, DRF renderers)
accepted_media_type
direction
format_suffix
hints
model_name
obj1
obj2
renderer_context
traceback

# Named by dotted path in settings: backends, middleware, routers, throttles, OAuth scopes
_load_access_token
allow_migrate
allow_relation
ApiMetadata
ApiPathMiddleware
db_for_read
db_for_write
determine_actions
get_all_scopes
get_available_scopes
get_cache_key
ReplicaPinMiddleware
ReplicaRouter
ScopesBackend
ThrottledModelBackend
track_upload_allowed
track_lyrics_edit_allowed
ApiRateThrottle

# App configs, found by INSTALLED_APPS
AccountsConfig
ArtistsConfig
CatalogConfig
CommonConfig
EditorialConfig
LicensingConfig
PlaybackConfig
RecommendationsConfig
WebConfig

# Management commands: Django finds Command and calls add_arguments/handle
add_arguments
Command
help

# Admin options, form fields and hooks (clean_<field>, actions), read by ModelAdmin by name
add_fieldsets
autocomplete_fields
can_delete
change_form_template
change_password_form
classes
clean_cover_upload
clean_market
clean_territory
clean_upload
cover_upload
css
date_hierarchy
delete_model
delete_queryset
fieldsets
filter_horizontal
fk_name
formfield_overrides
has_add_permission
has_publish_permission
help_texts
inlines
js
list_display
list_editable
list_filter
list_select_related
max_num
Media
prepopulated_fields
raw_id_fields
readonly_fields
search_fields
show_change_link
show_full_result_count
widgets

# Model fields, choices and Meta options, and manager hooks: columns read through the ORM by name
token_digest
accepted_by
analysed_at
answered_at
answered_by
author
changed_at
CHILL
COLLECTION
constraints
CONTENT
create_superuser
DARK
decided_at
decided_by
DISTRIBUTOR
edition
EMAIL_FIELD
ENERGETIC
EPIC
first_name
FOCUS
followed_at
get_by_natural_key
HAPPY
issued_at
LABEL_REQUEST
last_name
LEGAL
loudness_lufs
loudness_range_lu
MELANCHOLIC
model_version
OPUS
PAUSED
PARTY
PRODUCER
proxy
published_at
PUBLISHER
queued_at
rated_at
received_at
REQUIRED_FIELDS
RIGHTS_DISPUTE
ROMANTIC
SEARCH
SMARTPHONE
source_codec
source_format
SPEAKER
submitted_by
TABLET
token_sha256
trained_at
updated_by
training_seconds
use_in_migrations

# Serializer fields and SerializerMethodField getters (get_<field>), read by DRF by name
corrected_query
get_items
replaygain_album_gain
replaygain_album_peak
replaygain_track_gain
replaygain_track_peak
afterFilteringSize
afterRelinkingSize
album_group
album_type
available_markets
cities
cities_note
collaborative
copyrights
csv_href
currently_playing
currently_playing_type
daily_average
device_ids
explicit_content
external_ids
gained
gender
gender_note
get_added_by
get_album_type
get_artists
get_attribute
get_context
get_copyrights
get_csv_href
get_explicit_content
get_external_ids
get_external_urls
get_followers
get_genres
get_href
get_icons
get_id
get_images
get_invited_by
get_label
get_markets
get_name
get_pitch
get_product
get_release_date_precision
get_status
get_tracks
get_uri
icons
initialPoolSize
interrupting_playback
is_local
is_private_session
is_restricted
joined_at
markets_scheduled
pausing
peak_listeners
played_at
playlist_adds
product
release_date_precision
repeat_state
restrictions
resuming
roster_size
seeking
shuffle_state
SimplifiedTrackPagingSerializer
skipping_next
skipping_prev
spotify
streamify
toggling_repeat_context
toggling_repeat_track
toggling_shuffle
transferring_playback
uris

# DRF view and exception options and handlers (put, patch, select_renderer), read by name
# (and Django's Func.arity, the number of arguments an expression takes)
arity
content_negotiation_class
default_code
default_detail
encoder_class
has_object_permission
has_permission
pagination_class
parser_classes
patch
permission_classes
put
renderer_classes
select_renderer
throttle_classes
throttle_scope

# drf-spectacular extensions, registered by subclassing (target_class, map_serializer_field ...)
ConstantFieldExtension
get_paginated_response_schema
get_security_requirement
map_serializer_field
OAuth2Scheme
target_class

# URL configurations: app_name and urlpatterns, read by include(); the root's error handlers
handler403
app_name
urlpatterns

# Django's session store hook and the attribute it resets (accounts/sessions.py)
_get_session_from_db
_session_key

# Django generic and auth view options and form hooks, read by name
clean_email
email_template_name
form_class
get_default_redirect_url
get_initial
login_url
post_reset_login
post_reset_login_backend
redirect_authenticated_user
subject_template_name
template_name

# ORM expression options (template, output_field, arg_joiner, as_postgresql), read by Func
as_sqlite
arg_joiner
as_postgresql
output_field
template

# Fields of dataclasses and protocol tables kept for completeness or read through asdict()/getattr()
accepted
ALL_ROLES
artist_als
AUTH_MECHANISM_NOT_SUPPORTED
bit_rate
duplicates
follow_artists
follow_users
pruned
received
swapped
TOKEN_AUTH_NOT_SUPPORTED

# Attributes Django or the stdlib read (FileResponse.block_size, tempfile.tempdir, sources)
adding
deleted_objects
block_size
history_track
tempdir

# A signal receiver (connected by @receiver) and the attribute django-csp's templates read
# (streamify/csp.py: a nonce asked for after the header was written raises)
_settings_policies_forget
csp_nonce

# Django's session machinery calls these (AbstractBaseSession / SessionBase hooks)
get_session_store_class
get_model_class
