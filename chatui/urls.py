"""URL configuration."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from chatui import api, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/", include("chatui.api_urls")),
    path("metrics", api.metrics, name="metrics"),
    path("gallery/", include("chatui.gallery.urls")),
]
