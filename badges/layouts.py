"""The badge layouts an event can print on: page size and how many badges
a page holds. One table, so that the page, the renderer and the tests agree.

Sizes are in points (1/72 in). The A4 sheets match common perforated badge
stock (8 of 105 x 74 mm, 4 of A6); the single-badge pages suit a plain
printer (A6) or a label printer at the desk (4 x 3 in).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from reportlab.lib.pagesizes import A4, A6
from reportlab.lib.units import inch


class LayoutName(models.TextChoices):
    A6 = "a6", "A6, one badge per page"
    A4_8 = "a4_8", "A4 sheet, 8 badges (105 x 74 mm)"
    A4_4 = "a4_4", "A4 sheet, 4 badges (A6)"
    LABEL_4X3 = "label_4x3", "Label, 4 x 3 in (label printer)"


@dataclass(frozen=True)
class Layout:
    name: LayoutName
    page: tuple[float, float]  # width, height
    columns: int
    rows: int

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    @property
    def badge_size(self) -> tuple[float, float]:
        width, height = self.page
        return width / self.columns, height / self.rows

    def slot(self, index: int) -> tuple[float, float]:
        """Lower-left corner of the index-th badge on its page, filled row by
        row from the top left, as a person reads a sheet."""
        width, height = self.badge_size
        position = index % self.per_page
        column, row = position % self.columns, position // self.columns
        return column * width, self.page[1] - (row + 1) * height


LAYOUTS: dict[str, Layout] = {
    LayoutName.A6: Layout(LayoutName.A6, A6, 1, 1),
    LayoutName.A4_8: Layout(LayoutName.A4_8, A4, 2, 4),
    LayoutName.A4_4: Layout(LayoutName.A4_4, A4, 2, 2),
    LayoutName.LABEL_4X3: Layout(LayoutName.LABEL_4X3, (4 * inch, 3 * inch), 1, 1),
}
DEFAULT_LAYOUT = LayoutName.A6
