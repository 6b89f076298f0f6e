"""The prediction history at scale, tens of millions of rows: the dashboard's exact daily summary
(summary) and the numbers it shows (dashboard), the CSV export (export), finding a prediction by
id (search), and retiring old rows (prune). Recording a prediction is predictor.recording's.
"""
