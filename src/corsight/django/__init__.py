"""Django integration: add ``"corsight.django"`` to ``INSTALLED_APPS`` and
``"corsight.django.middleware.CORSMiddleware"`` to ``MIDDLEWARE`` (above ``CommonMiddleware``).

Settings live in one ``CORSIGHT = {...}`` dict (the Policy's keyword arguments, plus
``routes``); without it, django-cors-headers' ``CORS_*`` settings are read, so that swapping
the middleware line migrates a project. ``manage.py check`` reports every problem with an id
(``corsight.E001``…) and its fix; the middleware refuses to start with any of them.
"""
