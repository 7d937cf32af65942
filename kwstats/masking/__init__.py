"""Mask personal data in any text that came from an export.

One rule (SPEC §2): every text that came from an export is masked wherever it is shown, whatever its
column — content, result, respondent, unit, channel, categories, stage, headers, even a file or
sheet name. Ingest applies it to every text it keeps, the rows it sets aside and its warnings; the
analyst views apply it again (belt and braces). The case id alone stays as exported in the case
table: it is the key of duplicates, of the case store and of the analyst's look-up in the platform,
and real ids (region + date + sequence) can have the shape of an ID number.

The package, in the order a text goes through it:

- :mod:`~kwstats.masking.probe`: the text normalised for matching, one character for one;
- :mod:`~kwstats.masking.patterns`: the shapes of personal data and each match's masked form;
- :mod:`~kwstats.masking.text`: :func:`mask_text` (any text) and :func:`mask_series` (a column);
- :mod:`~kwstats.masking.known`: a row's *own* personal values masked where they recur
  (:func:`mask_known`, :func:`mask_known_rows`, :class:`KnownValues`);
- :mod:`~kwstats.masking.headers`: :func:`personal_header`, a personal column told by its header.
"""

from kwstats.masking.headers import personal_header
from kwstats.masking.known import KnownValues, mask_known, mask_known_rows
from kwstats.masking.text import mask_series, mask_text

__all__ = ["KnownValues", "mask_known", "mask_known_rows", "mask_series", "mask_text", "personal_header"]
