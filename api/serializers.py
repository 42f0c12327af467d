"""Serializer pieces every resource shares."""

from django.utils.translation import gettext as _
from rest_framework import serializers


class Strict(serializers.Serializer):
    """Refuses fields it does not know (a typo must not be ignored silently), naming each."""

    def to_internal_value(self, data):
        if hasattr(data, "keys"):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(set(data.keys()) - writable)
            if unknown:
                raise serializers.ValidationError(
                    {name: [serializers.ErrorDetail(_("Unknown field."), code="unknown_field")] for name in unknown}
                )
        return super().to_internal_value(data)


class StrictModel(Strict, serializers.ModelSerializer):
    pass
