"""The server's memory over uploads of a small-file, large-canvas PNG (issue 23, item 12).

usage: python bench/upload_memory.py [--uploads 20] [--side 6000] [--parallel 3]

Starts `popcon serve` on 127.0.0.1 (a real process, its own data folder), then sends a 6000x6000
1-bit PNG of a few KB (a drawn figure: under the 40 MP limit, 144 MB once decoded as RGBA):
`--uploads` cut-out previews (POST /cutout, what the create page sends for each picked image), one at a
time, then `--parallel` at once, then the same image as a new job's upload that the server checks,
keeps and makes the job's character from (POST /jobs; canceled once the character is made). The
server's RSS is sampled every 20 ms from /proc: printed are its start, its peak and where it ends
(2 s after the last request). Goal: peak < 600 MB, end within 100 MB of the start.
"""

from __future__ import annotations

import argparse
import io
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from PIL import Image, ImageDraw


def big_png(side: int) -> bytes:
    im = Image.new("1", (side, side), 1)
    d = ImageDraw.Draw(im)
    c = side // 2
    d.ellipse(
        (c - side // 5, c - side // 3, c + side // 5, c + side // 8), outline=0, width=max(4, side // 300)
    )
    d.rectangle(
        (c - side // 8, c + side // 8, c + side // 8, c + side // 3), outline=0, width=max(4, side // 300)
    )
    buf = io.BytesIO()
    im.save(buf, "PNG", optimize=True)
    return buf.getvalue()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--uploads", type=int, default=20)
    ap.add_argument("--side", type=int, default=6000)
    ap.add_argument("--parallel", type=int, default=3)
    args = ap.parse_args()
    png = big_png(args.side)
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "POPCON_DATA_DIR": str(Path(tmp) / "data")}
        cmd = [sys.executable, "-m", "popcon", "serve", "--port", str(port)]
        server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}/api/v1"
        try:
            with httpx.Client(base_url=base, timeout=120) as c:
                for _ in range(300):
                    try:
                        if c.get("/health").status_code == 200:
                            break
                    except httpx.TransportError:
                        time.sleep(0.1)
                time.sleep(1.0)
                start = rss_mb(server.pid)
                peak = [start]
                stop = threading.Event()

                def sample() -> None:
                    while not stop.is_set():
                        peak[0] = max(peak[0], rss_mb(server.pid))
                        time.sleep(0.02)

                sampler = threading.Thread(target=sample, daemon=True)
                sampler.start()
                files = {"image": ("big.png", png, "image/png")}
                t0 = time.perf_counter()
                codes = [c.post("/cutout", files=files).status_code for _ in range(args.uploads)]
                seq_s = time.perf_counter() - t0
                with ThreadPoolExecutor(args.parallel) as pool:
                    codes += list(
                        pool.map(
                            lambda _: httpx.post(f"{base}/cutout", files=files, timeout=120).status_code,
                            range(args.parallel),
                        )
                    )
                time.sleep(1.0)
                after_previews, peak_previews = rss_mb(server.pid), peak[0]
                job = c.post("/jobs", files=files, data={"actions": '[{"id": "wave"}]'})
                codes.append(job.status_code)
                if job.status_code in (200, 201):  # let it make its character (decode + cut-out), then stop
                    jid = job.json()["id"]
                    for _ in range(600):
                        if c.get(f"/jobs/{jid}").json()["status"] not in ("queued", "generating_character"):
                            break
                        time.sleep(0.2)
                    c.post(f"/jobs/{jid}/cancel")
                time.sleep(2.0)
                stop.set()
                sampler.join()
                end = rss_mb(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"PNG {args.side}x{args.side} 1-bit, {len(png)} bytes; answers {sorted(set(codes))}")
    print(f"{args.uploads} previews one at a time: {seq_s / args.uploads:.2f} s each")
    print(f"after the previews: peak {peak_previews:.0f} MB, then {after_previews:.0f} MB")
    print(
        f"server RSS: start {start:.0f} MB, peak {peak[0]:.0f} MB, end {end:.0f} MB "
        f"(end - start {end - start:+.0f} MB)"
    )


if __name__ == "__main__":
    main()
