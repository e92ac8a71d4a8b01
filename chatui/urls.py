"""URL configuration."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from chatui import api, chat_actions, views

# Under /api/ a missing object or path is a JSON error, like every other API answer.
handler404 = "chatui.api.not_found"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("chats/", views.chat_list, name="chat_list"),
    path("chats/new/", views.chat_new, name="chat_new"),
    path("chats/sidebar/", chat_actions.chat_sidebar, name="chat_sidebar"),
    path("chats/<int:chat_id>/", views.chat_detail, name="chat_detail"),
    path("chats/<int:chat_id>/rename/", chat_actions.chat_rename, name="chat_rename"),
    path("chats/<int:chat_id>/delete/", chat_actions.chat_delete, name="chat_delete"),
    path("chats/<int:chat_id>/settings/", chat_actions.chat_settings, name="chat_settings"),
    path("usage/", views.usage, name="usage"),
    path("admin/", admin.site.urls),
    path("api/", include("chatui.api_urls")),
    path("metrics", api.metrics, name="metrics"),
    path("gallery/", include("chatui.gallery.urls")),
]
