from django.urls import path

from carecircle.accounts import admin_views, views

app_name = "accounts"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("otp/verify/", views.otp_verify, name="otp-verify"),
    path("otp/setup/", views.otp_setup, name="otp-setup"),
    path("password/", views.password_change, name="password-change"),
    path("admin/organisations/", admin_views.organisation_list, name="organisation-list"),
    path("admin/organisations/new/", admin_views.organisation_edit, name="organisation-create"),
    path("admin/organisations/<int:pk>/", admin_views.organisation_edit, name="organisation-edit"),
    path("admin/users/", admin_views.user_list, name="user-list"),
    path("admin/users/new/", admin_views.user_create, name="user-create"),
    path("admin/users/<int:pk>/", admin_views.user_detail, name="user-detail"),
    path("admin/users/<int:pk>/edit/", admin_views.user_edit, name="user-edit"),
    path("admin/users/<int:pk>/grant/", admin_views.role_grant, name="role-grant"),
    path(
        "admin/users/<int:pk>/roles/<int:assignment_pk>/revoke/",
        admin_views.role_revoke,
        name="role-revoke",
    ),
    path(
        "admin/users/<int:pk>/<slug:action>/",
        admin_views.user_action,
        name="user-action",
    ),
]
