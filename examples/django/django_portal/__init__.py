"""The Django recipe: a project that invites from a view and creates
``django.contrib.auth`` users through the toolkit's account hand-off."""
