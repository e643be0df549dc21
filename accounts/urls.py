from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from . import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("register/", views.register, name="register"),
    path("verify/resend/", views.verification_resend, name="verify-resend"),
    path("verify/<str:token>/", views.verify_email, name="verify-email"),
    path("profile/", views.profile, name="profile"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation-accept"),
    path("organization/", views.organization_home, name="organization"),
    path("organizations/new/", views.organization_create, name="organization-create"),
    path("organizations/<int:pk>/", views.organization_detail, name="organization-detail"),
    path("organizations/<int:pk>/invite/", views.organization_invite, name="organization-invite"),
    path("memberships/<int:pk>/remove/", views.membership_remove, name="membership-remove"),
    path("operator/verification/", views.verification_queue, name="verification-queue"),
    path("operator/verification/<int:pk>/", views.verification_decide, name="verification-decide"),
    path("operator/badges/", views.badges, name="badges"),
    path("operator/badges/<int:pk>/revoke/", views.badge_revoke, name="badge-revoke"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path(
        "password-change/",
        auth_views.PasswordChangeView.as_view(
            template_name="accounts/password_change.html",
            success_url=reverse_lazy("home"),
        ),
        name="password_change",
    ),
]
