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


class Opaque(serializers.Field):
    """A parameter another part reads and judges (the cursor: the paginator's; a bad one is its 404)."""

    def to_internal_value(self, data):
        return data

    def to_representation(self, value):
        return value


class Query(Strict):
    """A request's query parameters, checked whole: an unknown one, one given twice (each takes one value) or a
    bad or empty value is a 400 that names it. Read as a plain dict, not a form: DRF would read a form's empty
    value, or its missing checkbox, as "left out"."""

    @classmethod
    def read(cls, request) -> dict:
        repeated = sorted(name for name, values in request.query_params.lists() if len(values) > 1)
        if repeated:
            error = serializers.ErrorDetail(_("Give this parameter once."), code="repeated")
            raise serializers.ValidationError({name: [error] for name in repeated})
        given = cls(data=dict(request.query_params.items()))
        given.is_valid(raise_exception=True)
        return given.validated_data


class ListParameters(Query):
    """A list's query: its filters (subclasses add them) and the cursor pagination's own (a page_size that is not
    a whole number is a 400, as the schema says an integer; the paginator takes 1 to 100). ``read`` gives the
    filters alone: the paginator reads its own."""

    cursor = Opaque(required=False)
    page_size = serializers.IntegerField(required=False)

    @classmethod
    def read(cls, request) -> dict:
        return {name: value for name, value in super().read(request).items() if name not in ("cursor", "page_size")}
