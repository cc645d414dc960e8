"""Read: one document's bytes to a typed report (decode, detect, rebuild table grids, parse), or a quarantine record."""
