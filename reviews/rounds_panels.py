"""The review rounds panel on the design page, registered from ReviewsConfig.ready(). Its
data comes with the review (``DesignReview.rounds``, loaded by page_panels)."""

from designs.page import Panel, StampPart
from reviews.models import ReviewRound

ROUNDS_PANELS = (
    Panel(page="design", slot="sidebar", template="reviews/rounds.html#rounds-panel", order=20),
)

# A new round adds a row; verdicts and requests are stamped by page_panels already.
ROUNDS_STAMP_PARTS = (StampPart(model=ReviewRound, column="design", of="design"),)
