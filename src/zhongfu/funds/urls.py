"""Pages of the funds app: officers' accounts, gifts, receipts, allocations and ledger; a donor's trace by a
signed link; the public disclosure pages per unit and per drive
(figures, quarterly report, spreadsheet, correction notes, honor wall);
online gifts: the donor's page, the simulated provider's cashier and the result with the receipt."""

from django.urls import path

from . import promise_views, views, views_recon

app_name = "funds"
urlpatterns = [
    path("", views.index, name="index"),
    path("units/<int:unit_id>/", views.accounts, name="accounts"),
    path("units/<int:unit_id>/donations/", views.donation_list, name="donations"),
    path("units/<int:unit_id>/donations/new/", views.donation_new, name="donation_new"),
    path("units/<int:unit_id>/allocate/", views.allocation_new, name="allocation_new"),
    path("units/<int:unit_id>/ledger/", views.ledger, name="ledger"),
    path("units/<int:unit_id>/drives/", views.drive_list, name="drives"),
    path("units/<int:unit_id>/drives/<int:drive_id>/notes/new/", views.drive_note_new, name="drive_note_new"),
    path("donations/<int:donation_id>/", views.donation_detail, name="donation"),
    path("donations/<int:donation_id>/trace/", views.trace, name="trace"),
    path("donations/<int:donation_id>/<slug:action>/", views.donation_act, name="donation_act"),
    path("receipts/<int:receipt_id>/", views.receipt_print, name="receipt"),
    path("receipts/<int:receipt_id>/withdraw/", views.receipt_withdraw, name="receipt_withdraw"),
    path("entries/<int:entry_id>/reverse/", views.entry_reverse, name="entry_reverse"),
    path("trace/<str:token>/", views.trace_signed, name="trace_signed"),
    path("public/<str:unit_code>/", views.disclosure, name="disclosure"),
    path("public/<str:unit_code>/drives/<str:drive_code>/", views.drive_page, name="drive"),
    path("public/<str:unit_code>/drives/<str:drive_code>/report.xlsx", views.drive_xlsx, name="drive_xlsx"),
    path("public/<str:unit_code>/drives/<str:drive_code>/honor/", views.honor_page, name="honor"),
    path("public/<str:unit_code>/projects/<path:project>/", views.project_page, name="project"),
    path("give/<str:unit_code>/", views.give, name="give"),
    path("units/<int:unit_id>/disburse/", views.disbursement_new, name="disbursement_new"),
    path("units/<int:unit_id>/drives/<int:drive_id>/final/", views.drive_final_report, name="drive_final_report"),
    path("public/<str:unit_code>/drives/<str:drive_code>/final/", views.drive_final_page, name="drive_final"),
    path("pay/sim/<str:reference>/", views.pay_sim, name="pay_sim"),
    path("orders/<str:reference>/", views.order_result, name="order_result"),
]

# Bank reconciliation and donors' inquiries (funds/views_recon.py).
urlpatterns += [
    path("units/<int:unit_id>/statements/", views_recon.statement_list, name="statements"),
    path("statements/<int:statement_id>/", views_recon.statement_detail, name="statement"),
    path("statements/<int:statement_id>/rematch/", views_recon.statement_rematch, name="statement_rematch"),
    path("statement-lines/<int:line_id>/", views_recon.statement_line, name="statement_line"),
    path("statement-lines/<int:line_id>/<slug:action>/", views_recon.statement_line_act, name="statement_line_act"),
    path("units/<int:unit_id>/inquiries/", views_recon.inquiry_list, name="inquiries"),
    path("units/<int:unit_id>/inquiries/new/", views_recon.inquiry_new, name="inquiry_new"),
    path("inquiries/<int:inquiry_id>/", views_recon.inquiry_detail, name="inquiry"),
    path("trace/<str:token>/ask/", views_recon.trace_ask, name="trace_ask"),
]

# Batches of gifts, pledges and recurring gifts (promise_views.py).

urlpatterns += [
    path("units/<int:unit_id>/batches/", promise_views.batch_list, name="batches"),
    path("units/<int:unit_id>/batches/template.xlsx", promise_views.batch_template, name="batch_template"),
    path("units/<int:unit_id>/batches/entry/", promise_views.batch_entry, name="batch_entry"),
    path("batches/<int:batch_id>/", promise_views.batch_detail, name="batch"),
    path("units/<int:unit_id>/pledges/", promise_views.pledge_list, name="pledges"),
    path("pledges/<int:pledge_id>/", promise_views.pledge_detail, name="pledge"),
    path("pledges/<int:pledge_id>/<slug:action>/", promise_views.pledge_act, name="pledge_act"),
    path("units/<int:unit_id>/recurring/", promise_views.recurring_list, name="recurring"),
    path("recurring/<int:instruction_id>/", promise_views.recurring_detail, name="recurring_detail"),
    path("recurring/<int:instruction_id>/<slug:action>/", promise_views.recurring_act, name="recurring_act"),
]
