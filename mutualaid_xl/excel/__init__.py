"""Excel adapter: worksheet functions, ribbon handlers, the add-in build. Translates and delegates to the services."""
