"""Reports for committee reviewers: coverage compliance, plans and ledger figures, as HTML and PDF."""
