from django.urls import path

from . import views

urlpatterns = [
    # public
    path("wall/<int:pk>/", views.wall, name="engagement-wall"),
    # resident (mobile)
    path("me/", views.me, name="engagement-me"),
    path("me/wishes/new/", views.me_wish_new, name="engagement-me-wish-new"),
    path("me/wishes/<int:pk>/thank/", views.me_wish_thank, name="engagement-me-wish-thank"),
    path("me/points/", views.me_points, name="engagement-me-points"),
    path("me/shop/", views.me_shop, name="engagement-me-shop"),
    path("me/shop/<int:pk>/redeem/", views.me_redeem, name="engagement-me-redeem"),
    path("me/redemptions/<int:pk>/cancel/", views.me_redemption_cancel, name="engagement-me-redemption-cancel"),
    path("me/activities/", views.me_activities, name="engagement-me-activities"),
    path("me/activities/<int:pk>/signup/", views.me_signup, name="engagement-me-signup"),
    path("me/register/", views.me_register, name="engagement-me-register"),
    path("me/checkin/", views.me_checkin, name="engagement-me-checkin"),
    # staff
    path("", views.staff_home, name="engagement-staff"),
    path("wishes/", views.staff_wishes, name="engagement-staff-wishes"),
    path("wishes/<int:pk>/review/", views.staff_wish_review, name="engagement-staff-wish-review"),
    path("points/award/", views.staff_award, name="engagement-staff-award"),
    path("points/accounts/", views.staff_accounts, name="engagement-staff-accounts"),
    path("points/accounts/<int:pk>/", views.staff_account, name="engagement-staff-account"),
    path("points/entries/<int:pk>/correct/", views.staff_entry_correct, name="engagement-staff-entry-correct"),
    path("shops/", views.staff_shops, name="engagement-staff-shops"),
    path("shops/<int:pk>/", views.staff_shop, name="engagement-staff-shop"),
    path("shops/new/", views.staff_shop_create, name="engagement-staff-shop-create"),
    path("shops/<int:pk>/items/", views.staff_item_create, name="engagement-staff-item-create"),
    path("items/<int:pk>/restock/", views.staff_item_restock, name="engagement-staff-item-restock"),
    path("redemptions/<int:pk>/<str:action>/", views.staff_redemption_close, name="engagement-staff-redemption"),
    path("activities/", views.staff_activities, name="engagement-staff-activities"),
    path("activities/<int:pk>/", views.staff_activity, name="engagement-staff-activity"),
    path("activities/<int:pk>/qr/", views.staff_activity_qr, name="engagement-staff-activity-qr"),
    path("signups/<int:pk>/<str:action>/", views.staff_signup_presence, name="engagement-staff-signup"),
    path("rankings/", views.staff_rankings, name="engagement-staff-rankings"),
]
