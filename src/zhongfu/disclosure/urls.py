from django.urls import path

from . import views

app_name = "disclosure"
urlpatterns = [
    # Staff pages first: a signed token always contains ':' and can never equal these words.
    path("outbox/", views.outbox, name="outbox"),
    path("households/<int:pk>/", views.code_manage, name="code_manage"),
    path("households/<int:pk>/issue/", views.code_issue, name="code_issue"),
    path("households/<int:pk>/revoke/", views.code_revoke, name="code_revoke"),
    path("households/<int:pk>/card/", views.code_card, name="code_card"),
    path("households/<int:pk>/code.svg", views.code_svg, name="code_svg"),
    path("households/<int:pk>/benefits/", views.staff_benefits, name="staff_benefits"),
    # What the QR code opens.
    path("<str:token>", views.scan, name="scan"),
    path("<str:token>/send/", views.send_code, name="send_code"),
    path("<str:token>/verify/", views.verify_code, name="verify_code"),
    path("<str:token>/list/", views.household_benefits, name="household_benefits"),
]
