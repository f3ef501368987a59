from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from carecircle.accounts.permissions import assignments


class ScopeSerializer(serializers.Serializer):
    role = serializers.CharField()
    role_name = serializers.CharField()
    scope_kind = serializers.CharField()
    division_code = serializers.CharField(allow_null=True)
    organisation = serializers.CharField(allow_null=True)
    scope_prefix = serializers.CharField()


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    full_name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    scopes = ScopeSerializer(many=True)


@extend_schema(responses=MeSerializer, summary="The authenticated user, roles and scopes")
@api_view(["GET"])
def me(request: Request) -> Response:
    held = assignments(request.user)
    data = {
        "username": request.user.get_username(),
        "full_name": getattr(request.user, "full_name", ""),
        "roles": sorted({a.role for a in held}),
        "scopes": [
            {
                "role": a.role,
                "role_name": str(a.get_role_display()),
                "scope_kind": str(a.scope_kind),
                "division_code": a.division.code if a.division else None,
                "organisation": a.organisation.name if a.organisation else None,
                "scope_prefix": a.scope_prefix,
            }
            for a in held
        ],
    }
    return Response(MeSerializer(data).data)
