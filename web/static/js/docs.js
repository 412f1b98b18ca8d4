// Swagger UI on the OpenAPI schema, started from a file because the CSP forbids inline script.
"use strict";
(function () {
  const el = document.getElementById("swagger");
  if (!el || !window.SwaggerUIBundle) return;
  window.SwaggerUIBundle({ url: el.dataset.openapiUrl, domNode: el, deepLinking: true });
})();
