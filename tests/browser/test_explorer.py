"""The explorer page in a real browser (headless Chromium through Selenium).

Checks what a user does with the mouse: hover a point and read its text, lasso
a region, assign a label, download the labels (JSONL and CSV) and train on
them with `embetter finetune`; and what the page must never do: fetch anything,
or run a text as markup. On 2,000 reviews of the demo's data and on a
generated set of 100,000 points in two spaces.
"""
import csv
import io
import json
import os
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from browser_support import CLI, ROOT, SHARED, missing

SCRIPT_REVIEW = "A fine film. <script>alert(1)</script> <!-- and </script> too"


def point_in_polygon(xy, poly):
    """The page's even-odd rule (explorer.js insidePolygon), in float64 as JavaScript computes it."""
    x, y = xy[:, 0].astype(np.float64), xy[:, 1].astype(np.float64)
    inside = np.zeros(len(xy), dtype=bool)
    for i in range(len(poly)):
        xi, yi = poly[i]
        xj, yj = poly[i - 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            crosses = ((yi > y) != (yj > y)) & (x < (xj - xi) * (y - yi) / (yj - yi) + xi)
        inside ^= crosses
    return inside


def hook(driver, expression, *args):
    return driver.execute_script(f"return window.embetterExplorer.{expression};", *args)


def network_requests(driver):
    """URLs the page asked for, from the DevTools Network events (the page itself and blob: downloads aside)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return [u for u in urls if not u.startswith(("file://", "blob:", "data:"))]


def open_page(driver, path):
    driver.get_log("performance")  # drop earlier events
    driver.get(path.resolve().as_uri())
    return driver.find_elements("css selector", "canvas")


def move_to(driver, canvas, x, y):
    """ActionChains offsets count from the element's centre; x, y from its top-left corner."""
    from selenium.webdriver import ActionChains

    ActionChains(driver, duration=0).move_to_element_with_offset(
        canvas, round(x - canvas.size["width"] / 2), round(y - canvas.size["height"] / 2)).perform()


def lasso(driver, canvas, points):
    """Press, drag through `points` (canvas pixels from its top-left corner), release."""
    from selenium.webdriver import ActionChains

    w, h = canvas.size["width"], canvas.size["height"]
    chain = ActionChains(driver, duration=0)
    x0, y0 = points[0]
    chain.move_to_element_with_offset(canvas, round(x0 - w / 2), round(y0 - h / 2)).click_and_hold()
    for (xa, ya), (xb, yb) in zip(points, points[1:]):
        chain.move_by_offset(round(xb) - round(xa), round(yb) - round(ya))
    chain.release().perform()


def wait_for_file(path, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.stat().st_size > 0:
            return path
        time.sleep(0.05)
    raise AssertionError(f"{path} was not downloaded within {timeout} s")


def distinct_colours(png_bytes):
    from PIL import Image

    image = np.asarray(Image.open(io.BytesIO(png_bytes)).convert("RGB"))
    colours, counts = np.unique(image.reshape(-1, 3), axis=0, return_counts=True)
    return {tuple(c) for c, k in zip(colours, counts) if k >= 20}


# ---- 2,000 reviews of the demo's data, raw and tuned spaces ---------------------------


@pytest.fixture(scope="module")
def reviews(tmp_path_factory):
    from embetter import _core
    from embetter.finetune import FeedForwardTuner
    from embetter.text import LiteTextEncoder

    data = SHARED / "data" / "imdb-5000.jsonl"
    if not data.exists():
        missing(f"the demo's data {data}")
    rows = [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines() if line.strip()]
    order = np.random.default_rng(42).permutation(len(rows))[:2000]
    texts = [rows[i]["text"] for i in order]
    gold = [str(rows[i]["label"]) for i in order]
    texts[0] = SCRIPT_REVIEW
    raw = LiteTextEncoder(dim=100, random_state=0).fit(texts).transform(texts)
    # As the demo: 200 labelled rows train the tuner; the rest are left to label.
    labels = gold[:200] + [""] * (len(texts) - 200)
    tuned = FeedForwardTuner(hidden_dim=10, n_epochs=100, random_state=0).fit(raw[:200], gold[:200]).transform(raw)
    spaces = {"raw": _core.pca_2d(raw), "tuned": _core.pca_2d(np.ascontiguousarray(tuned, dtype=np.float32))}
    # The script review sits alone beyond the top-right corner of each space, so a hover finds it.
    for xy in spaces.values():
        span = xy.max(axis=0) - xy.min(axis=0)
        xy[0] = xy.max(axis=0) + 0.08 * span
    folder = tmp_path_factory.mktemp("reviews")
    np.save(folder / "raw.npy", raw)
    import embetter

    page = Path(embetter.explore(texts, spaces, labels=labels, path=folder / "explore.html", title="IMDB reviews"))
    return {"texts": texts, "labels": labels, "spaces": spaces, "page": page, "folder": folder}


def test_page_draws_every_row_without_network(browser, reviews):
    canvases = open_page(browser, reviews["page"])
    assert [c.get_attribute("data-space") for c in canvases] == ["raw", "tuned"]
    assert hook(browser, "rows") == 2000
    assert hook(browser, "drawnPoints('raw')") == 2000
    assert hook(browser, "drawnPoints('tuned')") == 2000
    assert network_requests(browser) == []
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    print(f"\n2,000 rows: first draw {hook(browser, 'firstDrawMs'):.0f} ms after navigation start, "
          f"page {reviews['page'].stat().st_size / 1e6:.2f} MB")


def test_hover_shows_the_text_as_text(browser, reviews):
    from selenium.common.exceptions import NoAlertPresentException

    canvases = open_page(browser, reviews["page"])
    for space, canvas in zip(["raw", "tuned"], canvases):
        x, y = hook(browser, f"screenPoint('{space}', 0)")
        move_to(browser, canvas, x, y)
        card = browser.find_element("id", "hover-text")
        assert card.is_displayed()
        assert card.text == SCRIPT_REVIEW
        assert hook(browser, "hoverText()") == SCRIPT_REVIEW
    # Shown, not run: no alert, no element made from the text.
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text
    assert browser.execute_script("return document.scripts.length") == 2
    assert browser.find_elements("css selector", "#hover script") == []
    # Another row, by the mouse: the nearest drawn point's text.
    xy = np.array(hook(browser, "screenPoints('tuned')"))
    d = np.linalg.norm(xy[:, None, :] - xy[None, :, :], axis=2) + np.eye(len(xy)) * 1e9
    lonely = [i for i in np.argsort(-d.min(axis=1)) if i != 0][0]
    move_to(browser, canvases[1], *xy[lonely])
    assert hook(browser, "hoverText()") == reviews["texts"][lonely]


def test_lasso_label_download_and_finetune(browser, reviews, downloads):
    canvases = open_page(browser, reviews["page"])
    tuned = canvases[1]
    w, h = tuned.size["width"], tuned.size["height"]
    # A hexagon over the left half of the tuned space, drawn with the mouse.
    shape = [(0.08, 0.2), (0.3, 0.08), (0.5, 0.3), (0.5, 0.7), (0.3, 0.92), (0.08, 0.8)]
    lasso(browser, tuned, [(fx * w, fy * h) for fx, fy in shape])
    polygon = hook(browser, "lastPolygon('tuned')")
    assert polygon is not None and len(polygon) >= len(shape)
    expected = np.flatnonzero(point_in_polygon(reviews["spaces"]["tuned"], polygon))
    selection = hook(browser, "selection()")
    assert len(expected) > 20
    assert selection == expected.tolist()
    # The same rows are listed (as text) and counted.
    assert browser.find_element("id", "selection-count").text.startswith(f"{len(expected)} selected")
    listed = browser.find_elements("css selector", "#selected li")
    assert len(listed) == min(len(expected), 500)

    label = browser.find_element("id", "label")
    label.send_keys("cluster-a")
    browser.find_element("id", "assign").click()
    want = list(reviews["labels"])
    for i in expected:
        want[i] = "cluster-a"

    browser.find_element("id", "download-jsonl").click()
    lines = wait_for_file(downloads / "labels.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert records == [{"text": t, "label": l, "row": i} for i, (t, l) in enumerate(zip(reviews["texts"], want))]
    assert hook(browser, "labelsJsonl()") == "\n".join(lines) + "\n"
    browser.find_element("id", "download-csv").click()
    with open(wait_for_file(downloads / "labels.csv"), newline="", encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    assert [(r["text"], r["label"], int(r["row"])) for r in table] == [
        (t, l, i) for i, (t, l) in enumerate(zip(reviews["texts"], want))]

    # The screenshot of docs/explorer.md: the selection highlighted in both
    # spaces. It replaces the committed one only when asked
    # (EMBETTER_UPDATE_SCREENSHOTS=1), so a test run leaves the tree clean.
    png = browser.get_screenshot_as_png()
    assert len(distinct_colours(png)) >= 6, "the screenshot looks blank"
    (reviews["folder"] / "explorer.png").write_bytes(png)
    if os.environ.get("EMBETTER_UPDATE_SCREENSHOTS") == "1":
        (ROOT / "docs" / "images").mkdir(parents=True, exist_ok=True)
        (ROOT / "docs" / "images" / "explorer.png").write_bytes(png)

    # The loop closes: the downloaded files train a tuner on their labelled rows,
    # in Python (read_labels takes both formats) and on the command line.
    from embetter.finetune import read_labels

    raw = np.load(reviews["folder"] / "raw.npy")
    labelled = [i for i, label in enumerate(want) if label]
    for name in ("labels.jsonl", "labels.csv"):
        X_labelled, y = read_labels(downloads / name, raw)
        np.testing.assert_array_equal(X_labelled, raw[labelled])
        assert y.tolist() == [want[i] for i in labelled]
    if not CLI.exists():
        missing(f"the embetter CLI at {CLI} (bash scripts/build.sh embetter_cli)")
    out = reviews["folder"] / "tuner.safetensors"
    run = subprocess.run([str(CLI), "-q", "finetune", "--train", str(reviews["folder"] / "raw.npy"),
                          "--labels", str(downloads / "labels.jsonl"), "--label-field", "label",
                          "--row-field", "row", "--epochs", "20", "--seed", "0", "--save", str(out)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert out.stat().st_size > 0
    assert network_requests(browser) == []


def test_box_selection(browser, reviews):
    from selenium.webdriver import ActionChains

    canvases = open_page(browser, reviews["page"])
    raw = canvases[0]
    w, h = raw.size["width"], raw.size["height"]
    browser.find_element("css selector", "input[name=mode][value=box]").click()
    # Press at one corner, pass through an arbitrary point, release at the other: a box, not a lasso.
    x0, y0, x1, y1 = round(0.3 * w), round(0.25 * h), round(0.7 * w), round(0.75 * h)
    ActionChains(browser, duration=0).move_to_element_with_offset(raw, x0 - w // 2, y0 - h // 2).click_and_hold() \
        .move_by_offset(round(0.1 * w), round(0.4 * h)).move_by_offset(x1 - x0 - round(0.1 * w), y1 - y0 - round(0.4 * h)) \
        .release().perform()
    polygon = np.array(hook(browser, "lastPolygon('raw')"))
    assert polygon.shape == (4, 2)
    expected = np.flatnonzero(point_in_polygon(reviews["spaces"]["raw"], polygon.tolist()))
    assert len(expected) > 20
    assert hook(browser, "selection()") == expected.tolist()
    # An axis-aligned rectangle (two distinct x and two distinct y), whatever the path in between.
    assert len(np.unique(polygon[:, 0])) == 2 and len(np.unique(polygon[:, 1])) == 2
    browser.find_element("css selector", "input[name=mode][value=lasso]").click()


# ---- The demo's own page: `embetter demo --encoder lite --explore` ---------------------


def page_data(path):
    html = path.read_text(encoding="utf-8")
    start = html.index('<script type="application/json" id="embetter-data">')
    return json.loads(html[html.index(">", start) + 1:html.index("</script>", start)])


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    if not CLI.exists():
        missing(f"the embetter CLI at {CLI} (bash scripts/build.sh embetter_cli)")
    data = SHARED / "data" / "imdb-5000.jsonl"
    if not data.exists():
        missing(f"the demo's data {data}")
    out = tmp_path_factory.mktemp("demo")
    start = time.perf_counter()
    run = subprocess.run([str(CLI), "-q", "demo", "--encoder", "lite", "--explore", "--data", str(data),
                          "--out", str(out)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    print(f"\ndemo --encoder lite --explore: {time.perf_counter() - start:.1f} s")
    return {"page": out / "explore.html", "data": page_data(out / "explore.html"), "folder": out}


def test_demo_page_draws_its_2000_test_rows_in_every_space(browser, demo):
    texts = demo["data"]["texts"]
    assert len(texts) == 2000
    assert np.load(demo["folder"] / "explore-raw.npy").shape[0] == 2000  # the rows the labels download names
    canvases = open_page(browser, demo["page"])
    names = [c.get_attribute("data-space") for c in canvases]
    assert names == [s["name"] for s in demo["data"]["spaces"]]
    assert names[0] == "raw" and len(names) == 3  # raw and the two tuned spaces (hidden_dim 200 and 10)
    assert hook(browser, "rows") == 2000
    for name in names:
        assert hook(browser, f"drawnPoints({json.dumps(name)})") == 2000, name
    print(f"\ndemo page, 2,000 rows x {len(names)} spaces: first draw {hook(browser, 'firstDrawMs'):.0f} ms after "
          f"navigation start, page {demo['page'].stat().st_size / 1e6:.2f} MB")
    assert network_requests(browser) == []

    # Hover, in each space, the point farthest from its neighbours: the card shows that row's text.
    for name, canvas in zip(names, canvases):
        xy = np.array(hook(browser, f"screenPoints({json.dumps(name)})"))
        inside = (xy[:, 0] > 10) & (xy[:, 0] < canvas.size["width"] - 10) & (xy[:, 1] > 10) & (
            xy[:, 1] < canvas.size["height"] - 10)
        d = np.linalg.norm(xy[:, None, :] - xy[None, :, :], axis=2) + np.eye(len(xy)) * 1e9
        row = int(np.argmax(np.where(inside, d.min(axis=1), -1)))
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", canvas)  # 3 charts: 2 rows
        move_to(browser, canvas, *xy[row])
        assert hook(browser, "hoverText()") == texts[row], name
        assert browser.find_element("id", "hover-label").text.endswith(f"row {row}")


# ---- 100,000 generated points in two spaces -----------------------------------------


@pytest.fixture(scope="module")
def large(tmp_path_factory):
    import embetter

    n, k = 100_000, 8
    rng = np.random.default_rng(0)
    cluster = rng.integers(0, k, n)
    centres = rng.normal(scale=4.0, size=(k, 2))
    raw = (centres[cluster] * 0.4 + rng.normal(size=(n, 2))).astype(np.float32)
    tuned = (centres[cluster] + rng.normal(scale=0.5, size=(n, 2))).astype(np.float32)
    texts = [f"generated review {i} about topic {c}: words words words" for i, c in enumerate(cluster)]
    labels = [f"topic {c}" if i % 50 == 0 else "" for i, c in enumerate(cluster)]
    path = tmp_path_factory.mktemp("large") / "explore.html"
    start = time.perf_counter()
    embetter.explore(texts, {"raw": raw, "tuned": tuned}, labels=labels, path=path)
    print(f"\n100,000 rows: page written in {time.perf_counter() - start:.2f} s")
    return {"path": path, "tuned": tuned, "texts": texts}


def test_100k_points(browser, large):
    size = large["path"].stat().st_size
    assert size < 15e6
    canvases = open_page(browser, large["path"])
    assert hook(browser, "drawnPoints('raw')") == 100_000
    assert hook(browser, "drawnPoints('tuned')") == 100_000
    first_draw = hook(browser, "firstDrawMs")
    print(f"\n100,000 rows x 2 spaces: file {size / 1e6:.2f} MB, first draw {first_draw:.0f} ms after navigation start")
    assert network_requests(browser) == []

    tuned = canvases[1]
    w, h = tuned.size["width"], tuned.size["height"]
    start = time.perf_counter()
    lasso(browser, tuned, [(0.2 * w, 0.2 * h), (0.6 * w, 0.25 * h), (0.55 * w, 0.7 * h), (0.25 * w, 0.6 * h)])
    took = time.perf_counter() - start
    polygon = hook(browser, "lastPolygon('tuned')")
    expected = np.flatnonzero(point_in_polygon(large["tuned"], polygon))
    assert hook(browser, "selection()") == expected.tolist()
    print(f"lasso of {len(expected)} rows (mouse drag to redrawn charts): {took * 1000:.0f} ms")

    row = int(expected[len(expected) // 2]) if len(expected) else 0
    x, y = hook(browser, f"screenPoint('tuned', {row})")
    start = time.perf_counter()
    move_to(browser, tuned, x, y)
    text = hook(browser, "hoverText()")
    print(f"hover: {(time.perf_counter() - start) * 1000:.0f} ms")
    assert text is not None and text.startswith("generated review")
