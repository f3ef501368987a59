from __future__ import annotations

from django.core.exceptions import PermissionDenied
from rest_framework import generics, serializers
from rest_framework.pagination import CursorPagination

from carecircle.accounts import permissions as perms
from carecircle.people import services
from carecircle.people.models import Minor
from carecircle.people.permissions import get_minor_for_user, minors_visible_to
from carecircle.people.selectors import minors_search


class MinorListSerializer(serializers.ModelSerializer):
    class Meta:
        model = Minor
        fields = ["id", "name", "sex", "birth_date", "area_code", "status"]


class MinorDetailSerializer(serializers.ModelSerializer):
    id_number = serializers.CharField(source="masked_id_number", read_only=True)

    class Meta:
        model = Minor
        fields = ["id", "name", "sex", "birth_date", "area_code", "status", "id_number", "school"]


class MinorPagination(CursorPagination):
    ordering = ("pk",)


class MinorList(generics.ListAPIView):
    """Minors within the caller's scope, narrowed by ``?q=`` (name, pinyin, initials, ID number)."""

    serializer_class = MinorListSerializer
    pagination_class = MinorPagination

    def get_queryset(self):  # type: ignore[no-untyped-def]
        # Like the page: roles without child access are refused, not shown an empty list.
        if not perms.sees_child_data(self.request.user):
            raise PermissionDenied
        query = self.request.query_params.get("q", "")[:64]
        return minors_search(minors_visible_to(self.request.user), query)

    def paginate_queryset(self, queryset):  # type: ignore[no-untyped-def]
        page = super().paginate_queryset(queryset)
        if page is not None:
            services.minors_listed(actor=self.request.user, minor_ids=[m.pk for m in page])
        return page


class MinorDetail(generics.RetrieveAPIView):
    """One minor, if in scope (404 otherwise); the read is audited."""

    serializer_class = MinorDetailSerializer

    def get_object(self) -> Minor:
        minor = get_minor_for_user(self.request.user, int(self.kwargs["pk"]))
        services.minor_view(
            actor=self.request.user, minor=minor, fields=list(MinorDetailSerializer.Meta.fields)
        )
        return minor
