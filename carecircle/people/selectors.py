"""Reads of the registry reused by the pages and the API."""

from __future__ import annotations

import re

from django.db.models import Q, QuerySet

from carecircle.crypto.fields import lookup_index
from carecircle.people.models import Minor

# A whole resident ID number: 18 characters (the last may be X) or the old 15 digits.
_ID_NUMBER = re.compile(r"\d{17}[\dXx]|\d{15}")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[^\W_]+")


def minors_search(queryset: QuerySet[Minor], query: str) -> QuerySet[Minor]:
    """Narrow an already scoped ``queryset`` (never widen it) by a search box query.

    A whole ID number matches exactly through its blind index (no partial match of
    an encrypted value); 汉字 match anywhere in the name; Latin letters match the
    start of the name's pinyin or initials ("zhang san", "zhangs", "zs" all find
    张三). The pinyin ``startswith`` is a LIKE 'x%' that SQLite does not serve from
    the index, but it is always ANDed with the scope's area range, which is.
    """
    query = query.strip()
    if not query:
        return queryset
    compact = "".join(query.split())
    if _ID_NUMBER.fullmatch(compact):
        digest = lookup_index(Minor, "id_number_index", compact)
        return queryset.filter(id_number_index=digest) if digest else queryset.none()
    if _HAN.search(query):
        return queryset.filter(name__contains=compact)
    key = "".join(_WORD.findall(query)).lower()
    if key.isascii() and key.isalpha():
        return queryset.filter(Q(name_pinyin__startswith=key) | Q(name_initials__startswith=key))
    return queryset.filter(name__contains=query)
