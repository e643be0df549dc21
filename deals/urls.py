from django.urls import path

from . import pages, views

app_name = "deals"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/figures.xlsx", views.dashboard_xlsx, name="dashboard-xlsx"),
    path("dashboard/ocds.json", views.dashboard_ocds, name="dashboard-ocds"),
]

urlpatterns += [
    path("matches/", pages.my_matches, name="my-matches"),
    path("matches/<int:pk>/", pages.match_detail, name="match-detail"),
    path("matches/<int:pk>/withdraw/", pages.match_withdraw, name="match-withdraw"),
    path("interests/", pages.interests_received, name="interests-received"),
    path("lines/<int:pk>/interests/", pages.line_interests, name="line-interests"),
    path("lines/<int:pk>/deal/", pages.line_deal, name="line-deal"),
    path("interests/<int:pk>/shortlist/", pages.interest_shortlist, name="interest-shortlist"),
    path("interests/<int:pk>/decline/", pages.interest_decline, name="interest-decline"),
    path("interests/<int:pk>/attachment/", pages.interest_attachment, name="interest-attachment"),
]
