from django.http import Http404, HttpRequest, HttpResponse


def detail(request: HttpRequest, pk: int) -> HttpResponse:
    raise Http404
