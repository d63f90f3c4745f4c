"""The page for people: the timeline, the articles with their claims marked, and the figures
side by side, rendered on the server from the API's own query functions (app/ui/routes.py)."""
