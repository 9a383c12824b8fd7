"""The deterministic demo county that ``jiceng demo`` loads (``load_demo``).

``plan`` draws the region tree and its boundaries (pure computation, same seed → same county),
``people`` and ``places`` make the residents, grid workers, buildings, organisations and
departments, ``accounts`` the one-per-role logins and their credentials file, and ``loader``
writes it all in one transaction. A new domain adds its demo data as one more loader step.
"""
