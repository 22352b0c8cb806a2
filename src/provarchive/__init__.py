"""provarchive: traceable, reproducible astronomy data processing.

The IVOA Provenance Data Model in memory (:mod:`provarchive.model`), its serialisations
(:mod:`provarchive.formats`), validation, capture, an archive, and VO services.
"""

__version__ = "0.1.0"
