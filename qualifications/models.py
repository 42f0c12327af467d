# Models arrive with the issue that builds this app; the app exists so the layout is visible.
