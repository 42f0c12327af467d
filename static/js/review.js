// The review page's document viewer (review/templates/admin/review/item.html): opens a document
// through the permission-checked door only when asked (each opening is logged there), then zooms
// and rotates it. No inline script: the Content-Security-Policy forbids it.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var viewer = document.querySelector("[data-viewer]");
    if (!viewer) { return; }
    var image = viewer.querySelector("[data-viewer-image]");
    var scale = 1, angle = 0;
    function apply() { image.style.transform = "scale(" + scale + ") rotate(" + angle + "deg)"; }
    document.querySelectorAll("[data-view]").forEach(function (button) {
      button.addEventListener("click", function () {
        scale = 1; angle = 0; apply();
        image.src = button.dataset.view;
        viewer.hidden = false;
        viewer.scrollIntoView({ block: "nearest" });
      });
    });
    viewer.querySelectorAll("[data-zoom]").forEach(function (button) {
      button.addEventListener("click", function () { scale = Math.min(6, Math.max(0.2, scale * parseFloat(button.dataset.zoom))); apply(); });
    });
    viewer.querySelector("[data-rotate]").addEventListener("click", function () { angle = (angle + 90) % 360; apply(); });
    viewer.querySelector("[data-close]").addEventListener("click", function () { viewer.hidden = true; image.removeAttribute("src"); });
  });
})();
