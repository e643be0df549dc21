from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from accounts import api as accounts_api
from catalog import api as catalog_api
from deals import api as deals_api
from notifications import api as notifications_api
from notifications import views as notification_views
from procurement import api as procurement_api

from . import views

admin.site.site_header = _("Duijie administration")
admin.site.site_title = _("Duijie")

router = DefaultRouter()
router.register("organizations", accounts_api.OrganizationViewSet, basename="organization")
router.register("regions", catalog_api.RegionViewSet, basename="region")
router.register("categories", catalog_api.CategoryViewSet, basename="category")
router.register("products", catalog_api.ProductViewSet, basename="product")
router.register(
    "procurement-lists", procurement_api.ProcurementListViewSet, basename="procurement-list"
)
router.register(
    "procurement-items", procurement_api.ProcurementItemViewSet, basename="procurement-item"
)
router.register(
    "opportunity-batches", procurement_api.OpportunityBatchViewSet, basename="opportunity-batch"
)
router.register("opportunities", procurement_api.OpportunityViewSet, basename="opportunity")
router.register("notifications", notifications_api.NotificationViewSet, basename="notification")
router.register("watches", notifications_api.WatchViewSet, basename="watch")
router.register("matches", deals_api.MatchViewSet, basename="match")
router.register("deals", deals_api.DealViewSet, basename="deal")

api_v1 = [
    path("auth/register/", accounts_api.RegisterView.as_view(), name="register"),
    path("auth/verify-email/", accounts_api.VerifyEmailView.as_view(), name="verify-email"),
    path("auth/token/", accounts_api.ObtainTokenView.as_view(), name="token"),
    path("me/", accounts_api.MeView.as_view(), name="me"),
    path("stats/", deals_api.StatsView.as_view(), name="stats"),
    path(
        "me/notification-preferences/",
        notifications_api.PreferencesView.as_view(),
        name="notification-preferences",
    ),
    path(
        "invitations/accept/", accounts_api.InvitationAcceptView.as_view(), name="invitation-accept"
    ),
    *router.urls,
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("accounts.urls")),
    path("procurement/", include("procurement.urls")),
    path("catalog/", include("catalog.urls")),
    path("notifications/", include("notifications.urls")),
    path("", include("deals.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    # Development inbox: the views answer 404 unless DJANGO_DEBUG is true.
    path("dev/inbox/", notification_views.dev_inbox, name="dev-inbox"),
    path("dev/inbox/clear/", notification_views.dev_inbox_clear, name="dev-inbox-clear"),
    path("dev/inbox/<str:message_id>/", notification_views.dev_message, name="dev-message"),
    path(
        "dev/inbox/<str:message_id>/html/",
        notification_views.dev_message_html,
        name="dev-message-html",
    ),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
