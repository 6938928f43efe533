"""The dashboard's figures as a spreadsheet (xlsxwriter): the same numbers as the page, one sheet per view."""

import io

import xlsxwriter
from django.utils.translation import gettext as _


def dashboard_xlsx(figures: dict) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    bold = book.add_format({"bold": True})
    outcomes = figures["outcomes"]

    sheet = book.add_worksheet(_("By district")[:31])
    header = [_("Code"), _("District"), _("found"), _("closed"), _("on time"), _("open"), _("overdue")]
    header += [_("escalated"), *[label for _o, label in outcomes]]
    sheet.write_row(0, 0, header, bold)
    for i, r in enumerate(figures["districts"], start=1):
        sheet.write_string(i, 0, r["district"])  # as text: a region code is not a number
        sheet.write_string(i, 1, r["name"])
        row = [r["found"], r["closed"], r["on_time"], r["open"], r["overdue"], r["escalated"]]
        sheet.write_row(i, 2, row + [r[f"outcome_{o}"] for o, _label in outcomes])
    sheet.set_column(0, 1, 16)

    for title, key in ((_("By tier"), "tiers"), (_("By status"), "statuses"), (_("By kind"), "kinds")):
        sheet = book.add_worksheet(title[:31])
        sheet.write_row(0, 0, [title, _("warnings")], bold)
        for i, r in enumerate(figures[key], start=1):
            sheet.write_string(i, 0, r["label"])
            sheet.write_number(i, 1, r["n"])
        sheet.set_column(0, 0, 24)

    sheet = book.add_worksheet(_("By month")[:31])
    sheet.write_row(0, 0, [_("Month"), _("found"), _("closed"), _("on time"), *[label for _o, label in outcomes]], bold)
    for i, m in enumerate(figures["months"], start=1):
        sheet.write_string(i, 0, m["month"])
        sheet.write_row(i, 1, [m["found"], m["closed"], m["on_time"], *[m[f"outcome_{o}"] for o, _label in outcomes]])
    book.close()
    return out.getvalue()
