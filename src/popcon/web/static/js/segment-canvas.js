// SegmentCanvas: one frame at real pixel size (zoomable, pannable), click points, and the mask preview.
// Left click = foreground point, right click (or the point toggle, for touch) = background point.
const TINT = { erase: "#ff2d55", keep: "#19c37d", restore: "#2f7bff" };

export class SegmentCanvas extends EventTarget {
  constructor(viewport, { interactive = true } = {}) {
    super();
    this.viewport = viewport;
    this.canvas = document.createElement("canvas");
    this.canvas.className = interactive ? "seg backdrop-checker" : "backdrop-checker";
    viewport.append(this.canvas);
    this.ctx = this.canvas.getContext("2d");
    this.image = null;
    this.mask = null; // tinted overlay canvas
    this.points = [];
    this.zoom = 1;
    this.mode = "erase";
    this.negative = false; // touch / toggle: next clicks are background points
    this.interactive = interactive;
    if (interactive) this._bind();
  }

  setImage(img) {
    this.image = img;
    if (this.canvas.width !== img.naturalWidth || this.canvas.height !== img.naturalHeight) {
      this.canvas.width = img.naturalWidth;
      this.canvas.height = img.naturalHeight;
      this.setZoom(this.zoom);
    }
    this.draw();
  }

  setBackdrop(name) {
    this.canvas.classList.remove("backdrop-checker", "backdrop-light", "backdrop-dark");
    this.canvas.classList.add(`backdrop-${name}`);
  }

  setZoom(z) {
    this.zoom = Math.min(16, Math.max(0.25, z));
    this.canvas.style.width = `${this.canvas.width * this.zoom}px`;
    this.canvas.style.height = `${this.canvas.height * this.zoom}px`;
    this.draw();
  }

  fitZoom() {
    const r = this.viewport.getBoundingClientRect();
    if (!this.canvas.width) return 1;
    return Math.max(0.25, Math.min((r.width - 24) / this.canvas.width, (r.height - 24) / this.canvas.height));
  }

  setMask(maskImg) {
    if (!maskImg) { this.mask = null; this.draw(); return; }
    const c = document.createElement("canvas");
    c.width = maskImg.naturalWidth || maskImg.width;
    c.height = maskImg.naturalHeight || maskImg.height;
    const x = c.getContext("2d");
    x.drawImage(maskImg, 0, 0);
    x.globalCompositeOperation = "source-in";
    x.fillStyle = TINT[this.mode] || TINT.erase;
    x.fillRect(0, 0, c.width, c.height);
    this.mask = c;
    this._maskSource = maskImg;
    this.draw();
  }

  setMode(mode) {
    this.mode = mode;
    if (this._maskSource) this.setMask(this._maskSource);
  }

  clearPoints() {
    this.points = [];
    this.mask = null;
    this._maskSource = null;
    this.draw();
  }

  draw() {
    const { ctx, canvas } = this;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (this.image) ctx.drawImage(this.image, 0, 0);
    if (this.mask) {
      ctx.save();
      ctx.globalAlpha = 0.5;
      ctx.drawImage(this.mask, 0, 0);
      ctx.restore();
    }
    const r = Math.max(3, 7 / this.zoom);
    for (const p of this.points) {
      ctx.beginPath();
      ctx.arc(p.x, p.y, r, 0, Math.PI * 2);
      ctx.fillStyle = p.positive ? "#19c37d" : "#ff2d55";
      ctx.fill();
      ctx.lineWidth = Math.max(1, 2 / this.zoom);
      ctx.strokeStyle = "#fff";
      ctx.stroke();
      ctx.fillStyle = "#fff";
      const s = r * 0.55;
      ctx.fillRect(p.x - s, p.y - ctx.lineWidth / 2, 2 * s, ctx.lineWidth);
      if (p.positive) ctx.fillRect(p.x - ctx.lineWidth / 2, p.y - s, ctx.lineWidth, 2 * s);
    }
  }

  _toImage(e) {
    const rect = this.canvas.getBoundingClientRect();
    return {
      x: ((e.clientX - rect.left) / rect.width) * this.canvas.width,
      y: ((e.clientY - rect.top) / rect.height) * this.canvas.height,
    };
  }

  _bind() {
    const c = this.canvas, vp = this.viewport;
    let down = null;
    c.addEventListener("contextmenu", (e) => e.preventDefault());
    c.addEventListener("pointerdown", (e) => {
      const pan = e.button === 1 || this.spaceHeld;
      down = { x: e.clientX, y: e.clientY, sl: vp.scrollLeft, st: vp.scrollTop, button: e.button, pan, moved: false, type: e.pointerType };
      if (pan) { vp.classList.add("grabbing"); c.setPointerCapture(e.pointerId); e.preventDefault(); }
    });
    c.addEventListener("pointermove", (e) => {
      if (!down) return;
      const dx = e.clientX - down.x, dy = e.clientY - down.y;
      if (Math.abs(dx) + Math.abs(dy) > 4) down.moved = true;
      if (down.pan) { vp.scrollLeft = down.sl - dx; vp.scrollTop = down.st - dy; }
    });
    c.addEventListener("pointerup", (e) => {
      const d = down;
      down = null;
      vp.classList.remove("grabbing");
      if (!d || d.pan || d.moved) return;
      const positive = d.button === 2 ? false : !this.negative;
      const pt = this._toImage(e);
      if (pt.x < 0 || pt.y < 0 || pt.x >= c.width || pt.y >= c.height) return;
      this.points.push({ x: Math.round(pt.x * 10) / 10, y: Math.round(pt.y * 10) / 10, positive });
      this.draw();
      this.dispatchEvent(new CustomEvent("points", { detail: this.points.slice() }));
    });
    vp.addEventListener("wheel", (e) => {
      if (!e.ctrlKey && !e.metaKey) return;
      e.preventDefault();
      this.dispatchEvent(new CustomEvent("zoom", { detail: e.deltaY < 0 ? 1.25 : 0.8 }));
    }, { passive: false });
  }
}
