"""Writers: turn a settled Avrakning into files."""
