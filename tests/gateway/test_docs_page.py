"""`/docs` in a real headless browser (Debian's chromium): Swagger UI over the six documents.

No skip when the browser is missing: .ci/run installs chromium and chromium-driver, and a
machine without them fails here saying so.
"""

from __future__ import annotations

import json
import shutil
from urllib.parse import urlsplit

import pytest
import requests
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait

from servicekit.pages import API_DOCUMENTS
from tests.helpers import sign_up


@pytest.fixture(scope="module")
def browser():
    """Headless chromium that records the console and every network request."""
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    assert chromium and driver, "apt-get install chromium chromium-driver (.ci/run does)"
    options = Options()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--no-first-run"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    session = webdriver.Chrome(service=Service(driver), options=options)
    session.set_page_load_timeout(30)
    try:
        yield session
    finally:
        session.quit()


@pytest.fixture(scope="module")
def docs_page(stack, browser):
    """The browser on the gateway's /docs, once Swagger UI has rendered a document."""
    browser.get(f"{stack.gateway_url}/docs")
    WebDriverWait(browser, 30).until(
        ready.presence_of_element_located((By.CSS_SELECTOR, ".opblock-summary-path"))
    )
    return browser


def requested_urls(browser) -> list[str]:
    """Every URL the page asked for so far (Chrome's performance log)."""
    urls = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def test_docs_is_public_html(stack):
    answer = requests.get(f"{stack.gateway_url}/docs", timeout=10)

    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/html")


def test_docs_page_lists_the_six_openapi_documents(docs_page):
    options = docs_page.find_elements(By.CSS_SELECTOR, ".topbar select option")

    assert [option.text for option in options] == [name for name, _ in API_DOCUMENTS]
    assert docs_page.find_element(By.CSS_SELECTOR, ".info .title").text.startswith("Auth service")


def test_docs_page_loads_everything_from_the_gateway_without_console_errors(stack, docs_page):
    errors = [entry for entry in docs_page.get_log("browser") if entry["level"] == "SEVERE"]
    origins = {
        urlsplit(url)[:2] for url in requested_urls(docs_page) if not url.startswith("data:")
    }

    assert errors == []
    assert origins == {tuple(urlsplit(stack.gateway_url)[:2])}


def test_try_it_out_with_a_bearer_token_returns_200_through_the_gateway(stack, docs_page):
    user = sign_up(stack.gateway_url, "Swagger")
    wait = WebDriverWait(docs_page, 20)

    docs_page.find_element(By.CSS_SELECTOR, ".auth-wrapper button.authorize").click()
    field = wait.until(ready.visibility_of_element_located((By.CSS_SELECTOR, ".modal-ux input")))
    field.send_keys(user.token)
    docs_page.find_element(By.CSS_SELECTOR, ".modal-ux button.authorize").click()
    docs_page.find_element(By.CSS_SELECTOR, ".modal-ux button.btn-done").click()
    summary = '//div[contains(@class,"opblock-get")][.//*[@data-path="/auth/me"]]'
    operation = docs_page.find_element(By.XPATH, summary)
    operation.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
    wait.until(lambda _: operation.find_element(By.CSS_SELECTOR, ".try-out__btn")).click()
    wait.until(lambda _: operation.find_element(By.CSS_SELECTOR, "button.execute")).click()
    status = wait.until(
        lambda _: operation.find_element(
            By.CSS_SELECTOR, ".live-responses-table tr.response .response-col_status"
        )
    )

    assert status.text.strip() == "200"
    body = operation.find_element(By.CSS_SELECTOR, ".live-responses-table .microlight").text
    assert json.loads(body)["userId"] == user.user_id
