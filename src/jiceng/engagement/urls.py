from django.urls import path

from . import views
from .views import activities, resident, shops, staff

urlpatterns = [
    # public
    path("wall/<int:pk>/", views.wall, name="engagement-wall"),
    # resident (mobile)
    path("me/", resident.me, name="engagement-me"),
    path("me/wishes/new/", resident.me_wish_new, name="engagement-me-wish-new"),
    path("me/wishes/<int:pk>/thank/", resident.me_wish_thank, name="engagement-me-wish-thank"),
    path("me/points/", resident.me_points, name="engagement-me-points"),
    path("me/shop/", resident.me_shop, name="engagement-me-shop"),
    path("me/shop/<int:pk>/redeem/", resident.me_redeem, name="engagement-me-redeem"),
    path("me/redemptions/<int:pk>/cancel/", resident.me_redemption_cancel, name="engagement-me-redemption-cancel"),
    path("me/activities/", resident.me_activities, name="engagement-me-activities"),
    path("me/activities/<int:pk>/signup/", resident.me_signup, name="engagement-me-signup"),
    path("me/register/", resident.me_register, name="engagement-me-register"),
    path("me/checkin/", resident.me_checkin, name="engagement-me-checkin"),
    # staff
    path("", staff.staff_home, name="engagement-staff"),
    path("wishes/", staff.staff_wishes, name="engagement-staff-wishes"),
    path("wishes/<int:pk>/review/", staff.staff_wish_review, name="engagement-staff-wish-review"),
    path("points/award/", staff.staff_award, name="engagement-staff-award"),
    path("points/accounts/", staff.staff_accounts, name="engagement-staff-accounts"),
    path("points/accounts/<int:pk>/", staff.staff_account, name="engagement-staff-account"),
    path("points/entries/<int:pk>/correct/", staff.staff_entry_correct, name="engagement-staff-entry-correct"),
    path("shops/", shops.staff_shops, name="engagement-staff-shops"),
    path("shops/<int:pk>/", shops.staff_shop, name="engagement-staff-shop"),
    path("shops/new/", shops.staff_shop_create, name="engagement-staff-shop-create"),
    path("shops/<int:pk>/items/", shops.staff_item_create, name="engagement-staff-item-create"),
    path("items/<int:pk>/restock/", shops.staff_item_restock, name="engagement-staff-item-restock"),
    path("redemptions/<int:pk>/<str:action>/", shops.staff_redemption_close, name="engagement-staff-redemption"),
    path("activities/", activities.staff_activities, name="engagement-staff-activities"),
    path("activities/<int:pk>/", activities.staff_activity, name="engagement-staff-activity"),
    path("activities/<int:pk>/qr/", activities.staff_activity_qr, name="engagement-staff-activity-qr"),
    path("signups/<int:pk>/<str:action>/", activities.staff_signup_presence, name="engagement-staff-signup"),
    path("rankings/", staff.staff_rankings, name="engagement-staff-rankings"),
]
