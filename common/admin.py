"""Admin building blocks shared by every app."""


class ReadOnlyAdminMixin:
    """Show records without add, change or delete: for ModelAdmins and inlines of data
    that only services write (logs, statistics, issued statements)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
