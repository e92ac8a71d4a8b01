"""URLs of the component gallery (included at /gallery/)."""

from __future__ import annotations

from django.urls import path

from chatui.gallery import views

app_name = "gallery"

urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:component>/<slug:slug>/", views.story, name="story"),
]
