"""Saves and deletes of slots, sites and procedures outside the booking
services (the admin, a shell) change what availability shows: every kept
answer is out of date (``booking.availability_cache``). The services themselves write
slots with ``update`` and ``bulk_create``, which send no signal, and say which
procedure changed."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from booking import availability_cache
from booking.models import Procedure, Site, Slot


@receiver(post_save, sender=Slot, dispatch_uid="booking.availability.slot_saved")
@receiver(post_delete, sender=Slot, dispatch_uid="booking.availability.slot_deleted")
@receiver(post_save, sender=Site, dispatch_uid="booking.availability.site_saved")
@receiver(post_delete, sender=Site, dispatch_uid="booking.availability.site_deleted")
@receiver(post_save, sender=Procedure, dispatch_uid="booking.availability.procedure_saved")
@receiver(post_delete, sender=Procedure, dispatch_uid="booking.availability.procedure_deleted")
def availability_out_of_date(sender, **kwargs) -> None:
    availability_cache.capacity_changed()
