"""One file per revision, named `<rev_id>_<slug>.py`, revisions numbered 0001, 0002, ..."""
