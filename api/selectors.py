"""Reads of the API's own rows, scoped to the caller's organization."""

from django.shortcuts import get_object_or_404

from .models import ApiKey


def keys_of(*, organization):
    return ApiKey.objects.filter(organization=organization).select_related("created_by", "revoked_by")


def key_get(*, organization, key_id: int) -> ApiKey:
    return get_object_or_404(ApiKey, organization=organization, pk=key_id)
