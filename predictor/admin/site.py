"""The admin site as a whole: titled after the product, and Django's own user and group lists
behind the same hostile-input guard as ours (predictor.admin.params)."""
from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth.models import Group, User

from predictor.admin.params import HostileInputSafeAdmin

PRODUCT = "Bike rental forecast"

admin.site.site_header = f"{PRODUCT} administration"
admin.site.site_title = f"{PRODUCT} admin"
admin.site.index_title = "Prediction history, model versions and observed days"
# Five lists need no sidebar; without it every history column fits at 1280 px.
admin.site.enable_nav_sidebar = False


class UserAdmin(HostileInputSafeAdmin, auth_admin.UserAdmin):
    pass


class GroupAdmin(HostileInputSafeAdmin, auth_admin.GroupAdmin):
    pass


for model, model_admin in ((User, UserAdmin), (Group, GroupAdmin)):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
