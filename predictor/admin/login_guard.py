"""The login guard's tables in the admin (django-axes' models, predictor.login_guard): failed
logins being counted, where staff lift a lockout, and the log of successful logins. Read-only:
the only change is lifting, through the same service as `manage.py axes_reset_ip_username`."""
from axes import admin as axes_admin
from axes.models import AccessAttempt, AccessLog
from django.contrib import admin, messages
from django.utils import timezone

from predictor import login_guard
from predictor.admin.params import HostileInputSafeAdmin


class AccessAttemptAdmin(HostileInputSafeAdmin, axes_admin.AccessAttemptAdmin):
    """Failed logins per username, address and browser, within the cool-off period or not yet
    cleaned up. Lifting a lockout removes its records: its count starts again from zero."""

    actions = ["lift_username_lockouts", "lift_address_lockouts"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # records go through the lift actions only (with their event)

    def has_lift_permission(self, request):
        return request.user.has_perm("axes.delete_accessattempt")

    @admin.action(description="Lift the lockout of the selected usernames at their addresses", permissions=["lift"])
    def lift_username_lockouts(self, request, queryset):
        pairs = set(queryset.values_list("username", "ip_address"))
        removed = sum(login_guard.lift(username=username or "", address=address) for username, address in pairs)
        self._tell(request, removed, f"{len(pairs)} username{'' if len(pairs) == 1 else 's'} at their address")

    @admin.action(description="Lift the lockout of the selected addresses, for every username", permissions=["lift"])
    def lift_address_lockouts(self, request, queryset):
        addresses = {address for address in queryset.values_list("ip_address", flat=True) if address}
        removed = sum(login_guard.lift(address=address) for address in addresses)
        self._tell(request, removed, f"{len(addresses)} address{'' if len(addresses) == 1 else 'es'}")

    def _tell(self, request, removed: int, what: str) -> None:
        self.message_user(request, f"Lifted for {what}: {removed} attempt record{'' if removed == 1 else 's'} "
                                   "removed; their failures count from zero again.", messages.SUCCESS)


class AccessLogAdmin(HostileInputSafeAdmin, axes_admin.AccessLogAdmin):
    """Successful logins and their logouts: a log, read-only."""

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _when(moment) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M:%S}" if moment else "an unknown time"


# How an entry is named on its change and history pages and their breadcrumbs (str(obj): no
# ModelAdmin hook). axes' own names show the raw timestamp, to the microsecond.
AccessAttempt.__str__ = lambda attempt: f"Failed logins of {attempt.username} from {attempt.ip_address}, " \
                                        f"last at {_when(attempt.attempt_time)}"
AccessLog.__str__ = lambda entry: f"Login of {entry.username} at {_when(entry.attempt_time)}"

for model, model_admin in ((AccessAttempt, AccessAttemptAdmin), (AccessLog, AccessLogAdmin)):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
