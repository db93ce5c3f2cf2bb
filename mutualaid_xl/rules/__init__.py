"""Rules (layer 1): policy schema and files, the subsidy/fee/eligibility engine and its column back end, money, ID numbers, cell values. Knows nothing of Excel, Word or files."""
