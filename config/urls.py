from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from carecircle.accounts import api as accounts_api
from carecircle.cases import api_urls as cases_api_urls
from carecircle.cases.referrals import api_urls as referrals_api_urls
from carecircle.people import api as people_api
from carecircle.people import import_api as people_import_api
from carecircle.screening import api as screening_api
from carecircle.tips import api_urls as tips_api_urls
from carecircle.visits import api_urls as visits_api_urls

api_v1 = [
    path("me/", accounts_api.me, name="me"),
    path("minors/", people_api.MinorList.as_view(), name="minor-list"),
    path("minors/import/", people_import_api.MinorImport.as_view(), name="minor-import"),
    path("minors/<int:pk>/", people_api.MinorDetail.as_view(), name="minor-detail"),
    path(
        "screening/submissions/", screening_api.ScreeningSubmit.as_view(), name="screening-submit"
    ),
    path("screening/results/", screening_api.ResultList.as_view(), name="screening-result-list"),
    path(
        "screening/results/<int:pk>/",
        screening_api.ResultDetail.as_view(),
        name="screening-result-detail",
    ),
    *visits_api_urls.urlpatterns,
    *tips_api_urls.urlpatterns,
    *cases_api_urls.urlpatterns,
    *referrals_api_urls.urlpatterns,
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its script as a separate file, so the strict CSP holds.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
]

urlpatterns = [
    path("", include("carecircle.accounts.urls")),
    path("minors/", include("carecircle.people.urls")),
    path("audit/", include("carecircle.audit.urls")),
    path("stats/", include("carecircle.stats.urls")),
    path("notifications/", include("carecircle.notifications.urls")),
    path("screening/key-targets/", include("carecircle.screening.target_urls")),
    path("screening/", include("carecircle.screening.urls")),
    path("screening/reports/", include("carecircle.screening.report_urls")),
    path("visits/", include("carecircle.visits.offline_urls")),
    path("q/", include("carecircle.screening.public_urls")),
    path("visits/", include("carecircle.visits.urls")),
    # The public reporting page: no account, no cookie, in Chinese first.
    path("report/", include("carecircle.tips.public_urls")),
    path("tips/new/", include("carecircle.tips.intake_urls")),
    path("tips/", include("carecircle.tips.urls")),
    path("cases/dashboard/", include("carecircle.cases.dashboards.urls")),
    path("cases/", include("carecircle.cases.urls")),
    path("referrals/", include("carecircle.cases.referrals.urls")),
    path("counseling/", include("carecircle.counseling.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/v1/", include((api_v1, "api"))),
]
