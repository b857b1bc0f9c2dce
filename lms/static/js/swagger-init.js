// Swagger UI reads the document's address from the page, so no inline script is needed.
window.addEventListener("load", function () {
  var container = document.getElementById("swagger-ui-container");
  window.ui = SwaggerUIBundle({ url: container.getAttribute("data-spec-url"), dom_id: "#swagger-ui-container" });
});
