from django.contrib import admin

from mediation.models import AccessPoint


@admin.register(AccessPoint)
class AccessPointAdmin(admin.ModelAdmin):
    list_display = ("name", "city", "postcode", "phone", "is_active")
    list_filter = ("is_active", "city")
    search_fields = ("name", "slug", "city", "postcode")
    prepopulated_fields = {"slug": ("name",)}
