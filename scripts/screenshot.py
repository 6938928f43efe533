"""Take docs/screenshot.png, the picture in the README: the household list as the street caseworker
sees it, in Chinese, in a 1280×800 window.

    .venv/bin/python scripts/screenshot.py [--households 6000] [--out docs/screenshot.png]

It starts the real system exactly as the browser tests do (tests/e2e/system.py: a fresh database in a
temporary directory, migrations, the demo city, gunicorn and the worker) and drives Debian's Chromium
through Playwright. Needs `make setup` (node_modules) and fonts-noto-cjk for the Chinese text.
"""

import argparse
import importlib.util
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MAX_BYTES = 300 * 1024


def _system():
    """tests/e2e/system.py, loaded by path: it depends on nothing but the standard library (and psycopg)."""
    spec = importlib.util.spec_from_file_location("zhongfu_e2e_system", REPO / "tests" / "e2e" / "system.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # Enough households that the street caseworker's list fills the window (a street holds about 1 in 400).
    parser.add_argument("--households", type=int, default=6000)
    parser.add_argument("--user", default="street")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshot.png")
    args = parser.parse_args()

    from playwright.sync_api import expect, sync_playwright

    system = _system()
    with tempfile.TemporaryDirectory(prefix="zhongfu-screenshot-") as tmp:
        with system.running_system(Path(tmp), households=args.households, logs=Path(tmp) / "logs") as zhongfu:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=system.CHROMIUM, args=system.CHROMIUM_ARGS, headless=True)
                context = browser.new_context(
                    base_url=zhongfu.url,
                    viewport={"width": 1280, "height": 800},
                    locale="zh-CN",
                    timezone_id="Asia/Shanghai",
                )
                page = context.new_page()
                system.login(page, args.user)
                page.goto("/registry/households/")
                expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
                expect(page.locator("#results tbody tr a").first).to_be_visible()
                page.evaluate("document.fonts.ready")
                args.out.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=args.out)
                browser.close()
    size = args.out.stat().st_size
    print(f"{args.out}: {size // 1024} KB")
    if size > MAX_BYTES:
        print(f"larger than {MAX_BYTES // 1024} KB; keep the README light", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
