"""The one test of whether a line of an article is a bare web address.

Scraped articles often open with their URL on a line of its own. Cleaning drops it as page
furniture, the publication-date search reads a date out of it, and the story features skip it
so that its words count neither as a headline nor as text. The three used to carry three
regular expressions that disagreed at the edges: the story features' one was case-sensitive
and took a bare "http://" for an address. This is the other two's definition, so cleaning and
the date search read every article as before.
"""

from __future__ import annotations

import re

# A whole line that is one web address: "http(s)://" or "www." then no spaces, in any case.
URL_LINE = re.compile(r"^\s*(?:https?://|www\.)\S+\s*$", re.IGNORECASE)
