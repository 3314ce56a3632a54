"""Headless Chromium (Debian's chromium + chromium-driver) driven by Selenium.

Missing pieces skip the tests locally and fail them under CI=true, as
tests/python/conftest.py does for fixtures."""
import shutil

import pytest

from browser_support import missing


def _find(names):
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def downloads(tmp_path_factory):
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="session")
def browser(downloads):
    try:
        from selenium import webdriver
    except ImportError:
        missing("the selenium Python package (pip install selenium; listed in requirements-dev.txt)")
    chromium = _find(["chromium", "chromium-browser", "google-chrome"])
    driver_path = _find(["chromedriver"])
    if chromium is None or driver_path is None:
        missing("chromium and chromedriver (apt-get install chromium chromium-driver; scripts/setup.sh does)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,900", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    # The performance log carries the DevTools Network events: the no-network check reads them.
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(driver_path))
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    yield driver
    driver.quit()
