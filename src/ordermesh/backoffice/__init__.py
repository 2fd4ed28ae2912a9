"""The back office: people who sign in, and server-rendered screens under ``/app``.

It sits above the features (like ``flows``): pages read through the features' queries
and change things only through the same use cases as the API.
"""
