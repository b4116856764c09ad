"""The API's contract as its OpenAPI document says it: what each route answers
(``responses``: successes and the errors its own code raises), the shapes of the answers
(``schemas``) and parameter types (``params``). The finished document, served at
``/openapi.json`` and kept in the repository as ``docs/openapi.json``, is built by
``modgate.openapi_document``."""
