"""Person matching: pure functions, no database (docs/adr/0012-person-matching.md).

* `names`: normalising names for matching, the given-name variant table, phonetic keys, similarity.
* `dates`: date-of-birth comparison (swapped day/month, one digit, ±1 day, year off).
* `postcodes`: postcode (full / typo / sector / district / area) and address-line comparison.
* `compare`: two person records → field-by-field outcomes, a calibrated score and a band.
* `keys`: the blocking keys of one record, shared by a search and the duplicate finder.
"""
