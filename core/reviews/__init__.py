"""360-degree reviews: launching, choosing raters, answering (also by external
link), and a report released at close whose every figure obeys the
anonymity rules of `anonymity` (pure, unit-tested).

- `anonymity`: groups, thresholds, what a report may show (no I/O);
- `commands`: launch, raters, approval, answers, external links, closing;
- `queries`: my reviews, answer forms, the report, HR's participation;
- `todos`: answers and approvals waiting, for Home.
"""
