"""Web player: time from a click on a track to the <audio> `playing` event, in chromium.

Builds a throwaway database (see _common.py) with a listener in Sweden and a playlist of
distinct tracks, each with a ready Opus rendition, starts gunicorn on a free port
(DEBUG off, static files by WhiteNoise after collectstatic), logs in with headless
chromium and plays every track of the playlist in turn, each started while the previous
one plays. Two ways of starting: a mouse click (the pointer first rests on the row until
the player has asked for the stream URL ahead, as a listener's pointer does) and the
keyboard (focus the row's play button, press Enter: no hover, nothing fetched ahead).
Prints median, p95, min and max per way against the goals (median <= 150 ms, p95 <= 400 ms
with PostgreSQL), the median split into stream-URL request and audio start-up, and the
ratio to a floor measured in the same run: a bare <audio> element given an already signed
URL, from play() to `playing` (what no player code can beat). Load average before/after.

Then reload-to-resumed: with a track playing at a known position, reload the page and
time, from the navigation start, (a) the player state read back from /me/player and
loaded (title, queue, position; paused) and (b) the audio element ready to play at that
position (`canplay`). Measured path: gunicorn with CONN_MAX_AGE=60 (persistent database
connections), the same database as above.

    .venv/bin/python bench/player.py [--plays 20] [--workers 2]
"""

import argparse
import datetime
import os
import statistics
import subprocess
import sys
from pathlib import Path

from _common import (
    ROOT,
    WORKDIR,
    bench_database,
    describe_database,
    free_port,
    make_audio,
    percentile,
    wait_for_port,
)

CHROMIUM = os.environ.get("STREAMIFY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]
PASSWORD = "bench-listener-password"  # noqa: S105  (a throwaway database)
TARGET_MEDIAN_MS = 150
TARGET_P95_MS = 400

# Recorded in the page: the click (or Enter) that starts a track, the `playing` event of
# whichever <audio> element is active then, and the stream-URL request in between.
PROBE = """
() => {
  window.__bench = { start: 0, playing: 0 };
  performance.setResourceTimingBufferSize(2000);
  const mark = (event) => {
    if (event.target.closest(".row-play")) window.__bench.start = event.timeStamp;
  };
  document.addEventListener("click", mark, true);
  for (const audio of document.querySelectorAll("audio")) {
    audio.addEventListener("playing", () => {
      if (!window.__bench.playing) window.__bench.playing = performance.now();
    });
  }
}
"""
RESULT = """
() => {
  const { start, playing } = window.__bench;
  const urls = performance.getEntriesByType("resource")
    .filter((e) => e.name.includes("/me/player/stream-url") && e.responseEnd >= start - 50);
  const grant = urls.length ? urls[urls.length - 1].responseEnd - start : null;
  return { total: playing - start, grant };
}
"""


def prepare(count: int, seconds: float) -> dict:
    """A listener, `count` tracks with Opus 96 renditions in a public playlist."""
    from django.conf import settings
    from django.core.files.storage import default_storage
    from django.utils import timezone

    from accounts.services import user_create
    from catalog.availability import AvailabilityPlan, track_availability_write
    from catalog.models import (
        Artist,
        Playlist,
        PlaylistItem,
        Release,
        ReleaseArtist,
        Track,
        TrackArtist,
    )
    from catalog.services import AvailabilityWindow
    from playback.models import RENDITION_PROFILES, Rendition

    user = user_create(
        email="bench@streamify.test", password=PASSWORD, country="SE", display_name="Bench"
    )
    artist = Artist.objects.create(name="Bench Ensemble")
    release = Release.objects.create(title="Bench Album", release_date=datetime.date(2024, 1, 1))
    ReleaseArtist.objects.create(release=release, artist=artist)
    playlist = Playlist.objects.create(owner=user, name="Bench", public=True)
    spec = RENDITION_PROFILES[Rendition.Profile.OPUS_96]
    media = Path(settings.MEDIA_ROOT)
    starts = timezone.now() - datetime.timedelta(days=1)
    for n in range(count):
        # Lengths differ by a second so that every file is distinct (as real tracks are).
        length = seconds + n
        name = f"renditions/bench/{n:02d}.{spec.extension}"
        (media / name).parent.mkdir(parents=True, exist_ok=True)
        make_audio(media / name, seconds=length, args=("-c:a", spec.encoder, "-b:a", "96k"))
        track = Track.objects.create(
            title=f"Bench track {n + 1:02d}",
            release=release,
            track_number=n + 1,
            duration_ms=int(length * 1000),
            audio_status=Track.AudioStatus.READY,  # its rendition is made below
        )
        TrackArtist.objects.create(track=track, artist=artist)
        track_availability_write(
            plan=AvailabilityPlan.of_tracks([track.pk], [AvailabilityWindow("SE", starts)]),
            track_ids=[track.pk],
        )
        Rendition.objects.create(
            track=track,
            profile=Rendition.Profile.OPUS_96,
            codec=spec.codec,
            bitrate_kbps=spec.bitrate_kbps,
            state=Rendition.State.READY,
            file=name,
            sha256=f"{n:064d}",
            size_bytes=default_storage.size(name),
        )
        PlaylistItem.objects.create(playlist=playlist, track=track, position=n)
    return {"email": user.email, "playlist": playlist.pk}


def run_plays(page, count: int, *, keyboard: bool) -> list[dict]:
    rows = page.locator(".track-row")
    results = []
    for n in range(count):
        page.evaluate(PROBE)
        button = rows.nth(n).locator(".row-play")
        if keyboard:
            button.focus()
            page.keyboard.press("Enter")  # a button's Enter is a click event, timed the same
        else:
            # Rest on the row until its stream URL has come back (the player asks 60 ms
            # after the pointer enters), then click: hover() alone moves on at once.
            with page.expect_response(lambda r: "/me/player/stream-url" in r.url):
                button.hover()
            button.click()
        page.wait_for_function("() => window.__bench.playing > 0", timeout=10_000)
        results.append(page.evaluate(RESULT))
        page.wait_for_timeout(400)  # let it play a little, as a listener would
    return results


READY_PROBE = """
() => new Promise((resolve) => {
  const sync = window.streamify.sync;
  const done = () => {
    const audio = window.streamify.player.audio;
    const report = () => resolve({
      restored: sync.restoredAt, ready: performance.now(), position: audio.currentTime,
      title: window.streamify.player.current?.name || null,
    });
    if (audio.readyState >= 3) report();
    else audio.addEventListener("canplay", report, { once: true });
  };
  if (sync.restoredAt) done();
  else sync.addEventListener("restored", done, { once: true });
})
"""


def run_reloads(page, count: int) -> list[dict]:
    """Reload mid-play `count` times; each time the state comes back from the server."""
    rows = page.locator(".track-row")
    results = []
    for n in range(count):
        rows.nth(n % rows.count()).locator(".row-play").click()
        page.wait_for_function("() => window.streamify.player.playing")
        page.evaluate("() => { window.streamify.player.audio.currentTime = 20; }")
        page.wait_for_timeout(1200)  # the position reaches the server (debounced report)
        expected = page.evaluate("() => window.streamify.player.current.name")
        page.reload()
        page.wait_for_selector(".track-row")
        result = page.evaluate(READY_PROBE)
        if result["title"] != expected or result["position"] < 19:
            raise SystemExit(f"reload did not resume {expected!r} at 20 s: {result}")
        results.append(result)
    return results


FLOOR_PROBE = """
async (count) => {
  // A bare element, an already signed URL: play() to `playing`, nothing of the player.
  const times = [];
  const rows = [...document.querySelectorAll(".track-row")];
  for (let n = 0; n < count; n += 1) {
    const id = rows[n % rows.length].dataset.trackId;
    const url = `/api/v1/me/player/stream-url?track_id=${id}&format=opus`;
    const grant = await fetch(url).then((r) => r.json());
    const audio = new Audio();
    audio.volume = 0;
    const start = performance.now();
    await new Promise((resolve) => {
      audio.addEventListener("playing", resolve, { once: true });
      audio.src = grant.url;
      audio.play().catch(resolve);
    });
    times.push(performance.now() - start);
    audio.pause();
    audio.removeAttribute("src");
    audio.load();
  }
  return times;
}
"""


def summary(label: str, results: list[dict], floor: float) -> str:
    totals = [r["total"] for r in results]
    # A stream URL that came back before the click (asked on hover) is not in the split.
    grants = [r["grant"] for r in results if r["grant"] is not None and r["grant"] > 0]
    median, p95 = statistics.median(totals), percentile(totals, 95)
    if len(grants) * 2 > len(results):
        grant = statistics.median(grants)
        split = f"{grant:>13.1f}{median - grant:>13.1f}"
    else:
        split = f"{'ahead':>13}{median:>13.1f}"
    ok = median <= TARGET_MEDIAN_MS and p95 <= TARGET_P95_MS
    return (
        f"{label:<28}{median:>9.1f}{p95:>9.1f}{min(totals):>9.1f}{max(totals):>9.1f}"
        f"{split}{median / floor:>9.1f}x   {'meets' if ok else 'MISSES'} the goals"
    )


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plays", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60, help="length of the test audio")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (4 threads each)")
    parser.add_argument("--reloads", type=int, default=10)
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is missing: install Debian's chromium")
    from playwright.sync_api import sync_playwright

    load_before = load_average()
    with bench_database() as database_url:
        data = prepare(args.plays, args.seconds)
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "ALLOWED_HOSTS": "localhost,127.0.0.1",
            "DEBUG": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "SECURE_HSTS_SECONDS": "0",
            "CONN_MAX_AGE": "60",
        }
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT, env=env, check=True,
        )  # fmt: skip
        gunicorn = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "streamify.wsgi",
             "-b", f"127.0.0.1:{port}", "-w", str(args.workers), "-k", "gthread",
             "--threads", "4", "--log-level", "warning"],
            cwd=ROOT, env=env,
        )  # fmt: skip
        try:
            wait_for_port(port)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
                )
                page = browser.new_page(base_url=f"http://127.0.0.1:{port}")
                page.goto("/accounts/login/")
                page.fill("#id_username", data["email"])
                page.fill("#id_password", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_selector("main .view")
                page.goto(f"/playlist/{data['playlist']}")
                page.wait_for_selector(".track-row")
                page.evaluate("() => window.streamify.player.setVolume(0)")
                mouse = run_plays(page, args.plays, keyboard=False)
                page.reload()  # fresh page: no stream URL cached from the first round
                page.wait_for_selector(".track-row")
                keyboard = run_plays(page, args.plays, keyboard=True)
                resumed = run_reloads(page, args.reloads)
                page.evaluate("() => window.streamify.player.pause()")
                floor_times = page.evaluate(FLOOR_PROBE, args.plays)
                browser.close()
        finally:
            gunicorn.terminate()
            try:
                gunicorn.wait(timeout=60)
            except subprocess.TimeoutExpired:
                gunicorn.kill()
                gunicorn.wait()

        print(
            f"web player, click to `playing`: {args.plays} plays per row, database "
            f"{describe_database()}, gunicorn {args.workers} gthread workers x 4 threads, "
            f"headless chromium, Opus 96 kbit/s, {args.seconds:.0f}+ s tracks"
        )
        print(
            f"goals: median <= {TARGET_MEDIAN_MS} ms, p95 <= {TARGET_P95_MS} ms; load average "
            f"(1, 5, 15 min) before {load_before}, after {load_average()} on "
            f"{os.cpu_count()} cores"
        )
        floor = statistics.median(floor_times)
        header = (
            f"{'start':<28}{'median':>9}{'p95':>9}{'min':>9}{'max':>9}"
            f"{'stream-url':>13}{'audio start':>13}{'/floor':>10}   (ms; split = medians)"
        )
        print(header)
        print("-" * len(header))
        print(summary("mouse click (hover first)", mouse, floor))
        print(summary("keyboard Enter (no hover)", keyboard, floor))
        print(
            f"{'floor: bare <audio>, signed':<28}{floor:>9.1f}{percentile(floor_times, 95):>9.1f}"
            f"{min(floor_times):>9.1f}{max(floor_times):>9.1f}   (URL in hand, play() to playing)"
        )
        restored = [r["restored"] for r in resumed]
        ready = [r["ready"] for r in resumed]
        print()
        print(
            f"reload to resumed ({len(resumed)} reloads, CONN_MAX_AGE=60, ms from navigation start)"
        )
        print(f"{'':<28}{'median':>9}{'p95':>9}{'min':>9}{'max':>9}")
        for label, values in (
            ("state loaded (paused)", restored),
            ("audio ready at position", ready),
        ):
            print(
                f"{label:<28}{statistics.median(values):>9.1f}{percentile(values, 95):>9.1f}"
                f"{min(values):>9.1f}{max(values):>9.1f}"
            )
        print(f"work folder: {WORKDIR}")


if __name__ == "__main__":
    main()
