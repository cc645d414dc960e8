"""OCR of scanned pages: the engine (models shipped inside the installed package) and the table reader."""
