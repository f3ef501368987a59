from django.urls import path

from carecircle.people import import_views, rule_views, school_views, views

app_name = "people"
urlpatterns = [
    path("", views.minor_list, name="minor-list"),
    path("<int:pk>/", views.minor_detail, name="minor-detail"),
    path("<int:pk>/reveal-id/", views.minor_reveal_id, name="minor-reveal-id"),
    # Rosters: import, export, duplicates (issue 3 item 5).
    path("import/", import_views.minor_import, name="import"),
    path("import/template/", import_views.import_template, name="import-template"),
    path("export/", import_views.minor_export, name="export"),
    path("duplicates/", import_views.duplicates, name="duplicates"),
    path("<int:pk>/merge/", import_views.minor_merge, name="minor-merge"),
    path("emergency-access/", views.emergency_access, name="emergency-access"),
    # The registry pages (issue 3 item 4).
    path("new/", views.minor_create, name="minor-create"),
    path("<int:pk>/edit/", views.minor_edit, name="minor-edit"),
    path("<int:pk>/timeline/", views.minor_timeline, name="minor-timeline"),
    path("<int:pk>/guardians/new/", views.guardian_add, name="guardian-add"),
    path("guardians/<int:pk>/edit/", views.guardian_edit, name="guardian-edit"),
    path("guardians/<int:pk>/delete/", views.guardian_delete, name="guardian-delete"),
    path("<int:pk>/household/new/", views.household_create, name="household-create"),
    path("households/<int:pk>/", views.household_detail, name="household-detail"),
    path("households/<int:pk>/edit/", views.household_edit, name="household-edit"),
    path(
        "households/<int:pk>/add-member/",
        views.household_add_member,
        name="household-add-member",
    ),
    path("schools/", school_views.school_list, name="school-list"),
    path("schools/<int:pk>/", school_views.school_detail, name="school-detail"),
    path("schools/<int:pk>/classes/new/", school_views.class_create, name="class-create"),
    path("schools/classes/<int:pk>/", school_views.class_detail, name="class-detail"),
    path("schools/classes/<int:pk>/edit/", school_views.class_edit, name="class-edit"),
    path("schools/class-options/", school_views.class_options, name="class-options"),
    # Category rules and manual categories (issue 3 item 2).
    path("rules/", rule_views.rules_page, name="rules"),
    path("<int:pk>/categories/add/", rule_views.category_add, name="category-add"),
    path("<int:pk>/categories/end/", rule_views.category_end, name="category-end"),
]
