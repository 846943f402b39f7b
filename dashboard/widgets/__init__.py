"""Building blocks shared by several pages, as layout functions: the report map, the work queue,
the report panel and the workflow action forms. What they do is wired by
`dashboard/callbacks/workflow.py`. A widget never imports a page, a layout or a callback."""
