"""The API's own endpoints: the policy timeline, and the schema and its two readers (Swagger UI, Redoc)."""

from csp.constants import SELF
from csp.decorators import csp_replace
from django.http import HttpResponse
from django.utils import translation
from django.utils.decorators import method_decorator
from drf_spectacular.utils import OpenApiExample, extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework import serializers
from rest_framework.response import Response

from compliance import carriers
from policies import timeline

from .base import AddressThrottle, OrgView, chinese


class PolicyChangeSerializer(serializers.Serializer):
    key = serializers.CharField()
    effective = serializers.DateField(help_text="The day it takes effect.")
    carriers = serializers.ListField(child=serializers.ChoiceField(choices=carriers.CODES))
    notice = serializers.CharField(help_text="The announcement it comes from.")
    summary = serializers.CharField(help_text="In the caller's language.")
    summary_zh = serializers.CharField()
    summary_en = serializers.CharField()
    params = serializers.DictField(help_text="The policy parameters it sets.")


def _change(change, english: bool) -> dict:
    params = {name: sorted(value) if isinstance(value, frozenset) else value for name, value in change.params.items()}
    return {"key": change.key, "effective": change.effective, "carriers": sorted(change.carriers),
            "notice": change.notice, "summary": change.summary_en if english else change.summary_zh,
            "summary_zh": change.summary_zh, "summary_en": change.summary_en, "params": params}  # fmt: skip


class PolicyTimeline(OrgView):
    """The dated rules every check applies: the built-in changes and those the platform added, oldest first."""

    serializer_class = PolicyChangeSerializer
    pagination_class = None

    @extend_schema(
        operation_id="policies_list",
        responses=PolicyChangeSerializer(many=True),
        tags=["policies"],
        summary="The policy timeline",
        examples=[
            OpenApiExample(
                "A change",
                value={
                    "key": "2026-05-01-no-app-names",
                    "effective": "2026-05-01",
                    "carriers": ["mobile", "telecom", "unicom"],
                    "notice": "2026.4.23",
                    "summary": "应用名称不再作为签名来源；非中国大陆主体的签名不予报备",
                    "summary_zh": "应用名称不再作为签名来源；非中国大陆主体的签名不予报备",
                    "summary_en": "ICP-filed app names no longer accepted as signatures; signatures of non-mainland "
                    "entities refused",
                    "params": {
                        "accepted_sources": ["abbreviation", "full_name", "trademark"],
                        "require_mainland": True,
                    },
                },
                response_only=True,
            )
        ],
    )
    def get(self, request):
        english = not chinese()
        changes = sorted(timeline.timeline(), key=lambda change: (change.effective, change.key))
        return Response(self.get_serializer([_change(c, english) for c in changes], many=True).data)


# The readers load their scripts from our own static files (the sidecar); Swagger UI's start-up script is a
# file too (the split view). Redoc draws with styled-components, which writes <style> elements (under the strict
# policy it shows only "Something went wrong"), and parses the schema in a blob: worker: its page alone gets
# those two. Its scripts stay our own files, and the page shows nothing but the public schema.
@extend_schema(exclude=True)
class SchemaView(SpectacularAPIView):
    """The schema, built once a process for each language and format (it costs 0.2 to 0.6 s of CPU; it changes
    only with a deployment), and rate-limited per address like the rest of the API: anyone may read it."""

    throttle_classes = [AddressThrottle]
    built: dict = {}

    def get(self, request, *args, **kwargs):
        key = (translation.get_language(), request.accepted_renderer.format)
        if key not in self.built:
            response = super().get(request, *args, **kwargs)
            response.accepted_renderer, response.accepted_media_type = (
                request.accepted_renderer,
                request.accepted_media_type,
            )
            response.renderer_context = self.get_renderer_context()
            response.render()
            if response.status_code != 200:
                return response
            self.built[key] = (response.content, response["Content-Type"], response.get("Content-Disposition"))
        content, content_type, disposition = self.built[key]
        response = HttpResponse(content, content_type=content_type)
        if disposition:
            response["Content-Disposition"] = disposition
        return response


schema_view = SchemaView.as_view()
swagger_view = SpectacularSwaggerSplitView.as_view(url_name="api:schema")
redoc_view = method_decorator(
    csp_replace({"style-src": [SELF, "'unsafe-inline'"], "worker-src": [SELF, "blob:"]}), name="dispatch"
)(SpectacularRedocView).as_view(url_name="api:schema")
