// SegmentCanvas: one frame at real pixel size (zoomable, pannable), click points, and the mask preview.
// Left click = foreground point, right click (or the point toggle, for touch) = background point.
// Overlay colours (RGB). Erase is striped magenta and white with a dark-and-white outline, readable on
// orange, red or pink characters where a plain red tint vanished.
const TINT = { erase: [214, 0, 170], keep: [25, 195, 125], restore: [47, 123, 255] };

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

  // The mask as run lengths (Uint32Array, row-major, first run unselected): unpacked straight into the
  // overlay's pixels, so no image is encoded, sent or decoded per click.
  setMaskRuns(runs, width, height) {
    const bits = new Uint8Array(width * height);
    let at = 0;
    for (let i = 0; i < runs.length; i++) {
      const end = Math.min(bits.length, at + runs[i]);
      if (i & 1) bits.fill(1, at, end);
      at = end;
    }
    this._bits = { bits, width, height };
    this._paintMask();
  }

  _paintMask() {
    if (!this._bits) { this.mask = null; this.draw(); return; }
    const { bits, width: w, height: hgt } = this._bits;
    if (!this.mask || this.mask.width !== w || this.mask.height !== hgt) {
      this.mask = document.createElement("canvas");
      this.mask.width = w;
      this.mask.height = hgt;
    }
    const x = this.mask.getContext("2d");
    const img = x.createImageData(w, hgt);
    const px = new Uint32Array(img.data.buffer); // RGBA bytes as little-endian words: 0xAABBGGRR
    const [r, g, b] = TINT[this.mode] || TINT.erase;
    const tint = (150 << 24) | (b << 16) | (g << 8) | r;
    const light = this.mode === "erase" ? (110 << 24) | 0xffffff : tint; // erase: stripes of tint and white
    const dark = (255 << 24) | 0x1a1a1a, white = 0xffffffff;
    for (let y = 0; y < hgt; y++) {
      const row = y * w;
      for (let i = row, end = row + w; i < end; i++) {
        if (!bits[i]) continue;
        const xx = i - row;
        const edge = xx === 0 || xx === w - 1 || y === 0 || y === hgt - 1 || !bits[i - 1] || !bits[i + 1] || !bits[i - w] || !bits[i + w];
        if (edge) px[i] = dark;
        else if (xx > 0 && (!bits[i - 2] || !bits[i + 2] || !bits[i - 2 * w] || !bits[i + 2 * w])) px[i] = white;
        else px[i] = ((xx + y) >> 3) & 1 ? light : tint;
      }
    }
    x.putImageData(img, 0, 0);
    this.draw();
    const clickAt = this.clickAt, segmentMs = this.segmentMs;
    requestAnimationFrame(() => {
      const ev = { clickAt, drawnAt: performance.now(), segmentMs };
      this.canvas.dispatchEvent(new CustomEvent("overlay", { detail: ev }));
    });
  }

  setMode(mode) {
    this.mode = mode;
    if (this._bits) this._paintMask();
  }

  clearPoints() {
    this.points = [];
    this.mask = null;
    this._bits = null;
    this.draw();
  }

  draw() {
    const { ctx, canvas } = this;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (this.image) ctx.drawImage(this.image, 0, 0);
    if (this.mask) ctx.drawImage(this.mask, 0, 0); // its transparency is in its pixels
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
      this.clickAt = performance.now();
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
