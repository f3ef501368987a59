from django.urls import path

from carecircle.counseling import views

app_name = "counseling"

urlpatterns = [
    path("rooms/", views.room_list, name="room-list"),
    path("rooms/new/", views.room_add, name="room-add"),
    path("rooms/<int:pk>/edit/", views.room_edit, name="room-edit"),
    path("rooms/<int:pk>/week/", views.room_week, name="room-week"),
    path("rooms/<int:pk>/shifts/add/", views.shift_add, name="shift-add"),
    path("shifts/<int:pk>/cancel/", views.shift_cancel, name="shift-cancel"),
    path("shifts/<int:pk>/book/", views.book, name="book"),
    path("appointments/<int:pk>/cancel/", views.appointment_cancel, name="appointment-cancel"),
    path("appointments/<int:pk>/no-show/", views.appointment_no_show, name="appointment-no-show"),
    path("appointments/<int:pk>/session/", views.appointment_session, name="appointment-session"),
    path("mine/", views.mine, name="mine"),
]
