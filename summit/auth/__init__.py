"""Who is asking: staff (password and TOTP, ``views``), attendees (signed links,
``links`` and ``attendees``) and scanner apps (``api_tokens``).

Every feature that needs to know who is signed in imports this package; it
imports no feature, so none of them import each other for it.
"""
