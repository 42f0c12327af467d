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
    // Zoom by width, not by a transform: a wider image widens the frame's scroll area, so every part
    // of an enlarged document can be scrolled to; a quarter turn swaps the sides, so the frame makes room.
    function apply() {
      image.style.width = (scale * 100) + "%";
      image.style.transform = "rotate(" + angle + "deg)";
      image.style.margin = angle % 180 ? (scale * 12) + "% 0" : "0";
    }
    document.querySelectorAll("[data-view]").forEach(function (button) {
      button.addEventListener("click", function () {
        scale = 1; angle = 0; apply();
        image.src = button.dataset.view;
        viewer.querySelector("[data-viewer-caption]").textContent = button.dataset.caption || "";
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
