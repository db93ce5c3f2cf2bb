"""Document services (layer 3): Word templates and their build, rendering, claim forms, seals and the stamping log, office conversion to PDF. Filled from workbook data."""
