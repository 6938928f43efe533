"""The visit rates as a spreadsheet (xlsxwriter): one sheet by street, one by community."""

import io

import xlsxwriter
from django.utils.translation import gettext as _

from .selectors import Rates


def rates_xlsx(rates: Rates) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    bold = book.add_format({"bold": True})
    percent = book.add_format({"num_format": "0.0"})
    header = [_("Code"), _("Region"), _("Households due a visit"), _("Visited on time"), _("Visit rate (%)")]
    header += [_("Overdue"), _("Not yet due")]
    for title, rows in ((_("By street"), rates.streets), (_("By community"), rates.communities)):
        sheet = book.add_worksheet(title[:31])
        sheet.write_row(0, 0, header, bold)
        # Codes as text: 12-digit region codes must not turn into numbers.
        for i, r in enumerate([*rows, rates.total], start=1):
            sheet.write_string(i, 0, r.code)
            sheet.write_string(i, 1, r.name)
            sheet.write_row(i, 2, [r.due, r.on_time])
            if r.rate is None:
                sheet.write_blank(i, 4, None)
            else:
                sheet.write_number(i, 4, r.rate, percent)
            sheet.write_row(i, 5, [r.overdue, r.not_yet_due])
        sheet.set_column(0, 0, 14)
        sheet.set_column(1, 1, 24)
        sheet.set_column(2, 6, 14)
    book.close()
    return out.getvalue()
